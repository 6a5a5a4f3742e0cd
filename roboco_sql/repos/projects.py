"""Projects: the git repositories agents work in, with their per-repo commands.

The git token is written encrypted and read back only through ``read_git_token``; every
other function returns ``Project``, which reports it as ``has_git_token``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from pydantic import SecretStr

from roboco_sql import queries
from roboco_sql.crypto import SecretBox
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import Team
from roboco_sql.models.project import Project, ProjectCreate, ProjectUpdate, TaskProgress
from roboco_sql.repos import work_sessions
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import existing, insert
from roboco_sql.repos._paging import Page, checked_limit, checked_offset
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._secrets import box_or_default, read_token, token_params

__all__ = [
    "ProjectOrder",
    "add_allowed_agent",
    "create_project",
    "delete_project",
    "get_project",
    "get_project_by_slug",
    "list_projects",
    "oldest_active_project",
    "page_projects",
    "read_git_token",
    "remove_allowed_agent",
    "task_progress",
    "update_project",
]

ProjectOrder = Literal["slug", "name", "created_at"]
"""How list_projects sorts: by slug (keyset), by name (RoboCo's lists), oldest first."""

_Q = queries.load()
_CREATE = _Q["projects.create_project"]
_GET = _Q["projects.get_project"]
_GET_BY_SLUG = _Q["projects.get_project_by_slug"]
_LIST = _Q["projects.list_projects"]
_UPDATE = _Q["projects.update_project"]
_GET_TOKEN = _Q["projects.get_project_git_token"]
_COUNT = _Q["projects.count_projects"]
_ADD_ALLOWED = _Q["projects.add_project_allowed_agent"]
_REMOVE_ALLOWED = _Q["projects.remove_project_allowed_agent"]
_DELETE = _Q["projects.delete_project"]
_PROGRESS = _Q["projects.task_progress_of_projects"]
_ORDERS = ("slug", "name", "created_at")

_ROW = model_row(Project)
_PROGRESS_ROW = model_row(TaskProgress)

_UPDATABLE = ProjectUpdate.columns()
_JSON = ("sandbox_extensions", "environments", "board_programs")


async def create_project(
    conn: AsyncConnection[Any], data: ProjectCreate, *, box: SecretBox | None = None
) -> Project:
    """Insert a project, encrypting its git token first (EncryptionError before any SQL).

    A taken slug is a Conflict; an unknown created_by is NotFound naming the agent id.
    """
    ciphertext = box_or_default(box).encrypt(data.git_token) if data.git_token is not None else None
    return await insert(
        conn,
        _CREATE,
        _ROW,
        data,
        entity="project",
        git_token_encrypted=ciphertext,
        environments=(
            Jsonb([env.model_dump() for env in data.environments])
            if data.environments is not None
            else None
        ),
    )


async def get_project(conn: AsyncConnection[Any], project_id: uuid.UUID) -> Project | None:
    """One project by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=project_id)


async def get_project_by_slug(conn: AsyncConnection[Any], slug: str) -> Project | None:
    """One project by slug, or None."""
    return await queries.fetch_one(conn, _GET_BY_SLUG, _ROW, slug=slug)


async def list_projects(
    conn: AsyncConnection[Any],
    *,
    assigned_cell: Team | None = None,
    is_active: bool | None = None,
    order: ProjectOrder = "slug",
    after_slug: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[Project]:
    """Projects matching every filter given, by slug (pass the last slug as after_slug for
    more), by name or oldest first (page those by offset)."""
    if order not in _ORDERS:
        raise ValidationError(f"order must be one of {', '.join(_ORDERS)}, not {order!r}")
    if after_slug is not None and order != "slug":
        raise ValidationError("after_slug pages the slug order only; use offset")
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        assigned_cell=optional_enum_arg("assigned_cell", Team, assigned_cell),
        is_active=is_active,
        order_by=order,
        after_slug=after_slug,
        offset=checked_offset(offset),
        limit=checked_limit(limit),
    )


async def page_projects(
    conn: AsyncConnection[Any],
    *,
    assigned_cell: Team | None = None,
    is_active: bool | None = True,
    offset: int = 0,
    limit: int = 100,
) -> Page[Project]:
    """Projects by name, one offset page with the total: RoboCo's list_all (active only by
    default) and, with assigned_cell, its list_by_cell."""
    assigned_cell = optional_enum_arg("assigned_cell", Team, assigned_cell)
    items = await list_projects(
        conn,
        assigned_cell=assigned_cell,
        is_active=is_active,
        order="name",
        offset=offset,
        limit=checked_limit(limit),
    )
    total = await queries.fetch_scalar(
        conn, _COUNT, int, assigned_cell=assigned_cell, is_active=is_active
    )
    return Page(items=items, total=total or 0, offset=offset, limit=limit)


async def oldest_active_project(conn: AsyncConnection[Any]) -> Project | None:
    """The active project created first (RoboCo's default project for git context), or None."""
    found = await list_projects(conn, is_active=True, order="created_at", limit=1)
    return found[0] if found else None


async def add_allowed_agent(
    conn: AsyncConnection[Any], project_id: uuid.UUID, agent_id: uuid.UUID
) -> Project:
    """Allow an agent on the project in one statement, so concurrent additions all survive (a
    project with no list, open to its whole cell, gets a list of one); NotFound if none."""
    with translated("project"):
        found = await queries.fetch_scalar(
            conn, _ADD_ALLOWED, uuid.UUID, id=project_id, agent_id=agent_id, updated_at=utcnow()
        )
    return await _reread(conn, project_id, found)


async def remove_allowed_agent(
    conn: AsyncConnection[Any], project_id: uuid.UUID, agent_id: uuid.UUID
) -> Project:
    """Take an agent off the project's allowed list in one statement (no list stays no list);
    NotFound if there is no such project."""
    with translated("project"):
        found = await queries.fetch_scalar(
            conn, _REMOVE_ALLOWED, uuid.UUID, id=project_id, agent_id=agent_id, updated_at=utcnow()
        )
    return await _reread(conn, project_id, found)


async def _reread(
    conn: AsyncConnection[Any], project_id: uuid.UUID, found: uuid.UUID | None
) -> Project:
    project = None if found is None else await get_project(conn, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


async def delete_project(conn: AsyncConnection[Any], project_id: uuid.UUID) -> bool:
    """Delete a project as RoboCo does: its active work sessions are abandoned first, then the
    row goes (its work sessions and conventions with it). False when there was none.

    Conflict, with nothing changed, while tasks or a product's cell map still point at it:
    RoboCo's callers cancel or move those first.
    """
    async with queries.atomic(conn):
        await work_sessions.abandon_for_project(conn, project_id)
        with translated("project"):
            deleted = await queries.execute_rows(conn, _DELETE, id=project_id)
    return deleted > 0


async def update_project(
    conn: AsyncConnection[Any],
    project_id: uuid.UUID,
    patch: ProjectUpdate,
    *,
    box: SecretBox | None = None,
) -> Project:
    """Write the fields the patch set; git_token None keeps, "" clears, anything else replaces.

    The box is consulted only when a token is being set, so edits that leave the token alone
    work without a key. NotFound if there is no such project.
    """
    changes = patch.changes()
    params = {"id": project_id, **patch_params(changes, _UPDATABLE, json=_JSON)}
    params |= token_params(box, patch.git_token, "git_token_encrypted")
    return await existing(conn, _UPDATE, _ROW, "project", project_id, **params)


async def read_git_token(
    conn: AsyncConnection[Any], project_id: uuid.UUID, *, box: SecretBox | None = None
) -> SecretStr | None:
    """The project's git token in plaintext (as SecretStr), or None when it has none.

    The one explicit read of the secret, decrypted on demand and never cached. NotFound if
    there is no such project; EncryptionError naming the project if no key opens the token.
    """
    return await read_token(
        conn,
        _GET_TOKEN,
        project_id,
        box,
        entity="project",
        token="git token",
        get=get_project,
        name="slug",
    )


async def task_progress(
    conn: AsyncConnection[Any], project_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, TaskProgress]:
    """Each project's tasks by progress (done, active, blocked), in one grouped statement; a
    project with no tasks is absent, and the caller shows zeros, as RoboCo's list does."""
    rows = await queries.fetch_all(conn, _PROGRESS, _PROGRESS_ROW, ids=list(set(project_ids)))
    return {r.id: r for r in rows}
