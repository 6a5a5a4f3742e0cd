"""Projects: the git repositories agents work in, with their per-repo commands.

The git token is written encrypted and read back only through ``read_git_token``; every
other function returns ``Project``, which reports it as ``has_git_token``.
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from pydantic import SecretStr

from roboco_sql import queries
from roboco_sql.config import Settings
from roboco_sql.crypto import SecretBox
from roboco_sql.errors import EncryptionError, NotFound
from roboco_sql.models.enums import Team
from roboco_sql.models.project import Project, ProjectCreate, ProjectUpdate
from roboco_sql.repos._errors import translated
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "create_project",
    "get_project",
    "get_project_by_slug",
    "list_projects",
    "read_git_token",
    "update_project",
]

_Q = queries.load()
_CREATE = _Q["projects.create_project"]
_GET = _Q["projects.get_project"]
_GET_BY_SLUG = _Q["projects.get_project_by_slug"]
_LIST = _Q["projects.list_projects"]
_UPDATE = _Q["projects.update_project"]
_GET_TOKEN = _Q["projects.get_project_git_token"]

_ROW = model_row(Project)

# ProjectUpdate fields update_project's statement writes (git_token travels separately).
_UPDATABLE = (
    "name",
    "git_url",
    "default_branch",
    "protected_branches",
    "test_command",
    "lint_command",
    "format_command",
    "typecheck_command",
    "build_command",
    "quality_command",
    "assigned_cell",
    "allowed_agents",
    "workspace_path",
    "last_synced_at",
    "head_commit",
    "is_active",
    "ci_watch_enabled",
    "ci_watch_workflow",
    "dep_update_command",
    "dep_update_paths",
    "sandbox_services",
    "video_engine_enabled",
    "sandbox_extensions",
    "environments",
    "git_provider",
    "github_installation_id",
    "codegen_command",
    "monthly_budget_usd",
    "board_programs",
)
_JSON = ("sandbox_extensions", "environments", "board_programs")


def _box(box: SecretBox | None) -> SecretBox:
    """The box given, else one from ROBOCO_ENCRYPTION_KEY (keys are parsed at first use)."""
    return box if box is not None else SecretBox.from_settings(Settings.from_env())


async def create_project(
    conn: AsyncConnection[Any], data: ProjectCreate, *, box: SecretBox | None = None
) -> Project:
    """Insert a project, encrypting its git token first (EncryptionError before any SQL).

    A taken slug is a Conflict; an unknown created_by is NotFound naming the agent id.
    """
    ciphertext = _box(box).encrypt(data.git_token) if data.git_token is not None else None
    with translated("project"):
        project = await queries.fetch_one(
            conn,
            _CREATE,
            _ROW,
            id=data.id,
            name=data.name,
            slug=data.slug,
            git_url=data.git_url,
            default_branch=data.default_branch,
            protected_branches=data.protected_branches,
            git_token_encrypted=ciphertext,
            test_command=data.test_command,
            lint_command=data.lint_command,
            format_command=data.format_command,
            typecheck_command=data.typecheck_command,
            build_command=data.build_command,
            quality_command=data.quality_command,
            assigned_cell=data.assigned_cell,
            allowed_agents=data.allowed_agents,
            workspace_path=data.workspace_path,
            created_by=data.created_by,
            is_active=data.is_active,
            created_at=data.created_at,
            environments=(
                Jsonb([env.model_dump() for env in data.environments])
                if data.environments is not None
                else None
            ),
            git_provider=data.git_provider,
            github_installation_id=data.github_installation_id,
            codegen_command=data.codegen_command,
            monthly_budget_usd=data.monthly_budget_usd,
        )
    assert project is not None  # INSERT ... RETURNING always yields the row
    return project


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
    after_slug: str | None = None,
    limit: int = 100,
) -> list[Project]:
    """Projects matching every filter given, by slug; pass the last slug as after_slug for more."""
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        assigned_cell=assigned_cell,
        is_active=is_active,
        after_slug=after_slug,
        limit=limit,
    )


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
    token = _box(box).token_update(patch.git_token) if patch.git_token is not None else None
    params["set_git_token_encrypted"] = token is not None and token.changes
    params["git_token_encrypted"] = token.ciphertext if token is not None else None
    with translated("project"):
        project = await queries.fetch_one(conn, _UPDATE, _ROW, **params)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


async def read_git_token(
    conn: AsyncConnection[Any], project_id: uuid.UUID, *, box: SecretBox | None = None
) -> SecretStr | None:
    """The project's git token in plaintext (as SecretStr), or None when it has none.

    The one explicit read of the secret, decrypted on demand and never cached. NotFound if
    there is no such project; EncryptionError naming the project if no key opens the token.
    """
    ciphertext = await queries.fetch_scalar(conn, _GET_TOKEN, str, id=project_id)
    if ciphertext is None:
        raise NotFound(f"project {project_id} not found")
    if ciphertext == "":
        return None
    opener = _box(box)
    try:
        return opener.decrypt(ciphertext, what=f"project {project_id} git token")
    except EncryptionError:
        # The failure path only: look the slug up so the operator sees which project.
        project = await get_project(conn, project_id)
        if project is None:
            raise
        return opener.decrypt(ciphertext, what=f"project '{project.slug}' git token")
