"""Architectural conventions: the map derived per project commit, and the findings of checks.

The cache holds one row per (project, commit); re-deriving a commit replaces it. A task's
findings are replaced wholesale on each check, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.conventions import (
    ConventionsStatus,
    ProjectConventionFinding,
    ProjectConventionFindingCreate,
    ProjectConventionsCache,
    ProjectConventionsCacheCreate,
    RuleLevel,
)
from roboco_sql.repos._checks import member, optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._paging import checked_limit, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "add_convention_finding",
    "add_convention_findings",
    "get_conventions_cache",
    "get_latest_conventions_cache",
    "list_convention_findings",
    "replace_task_findings",
    "upsert_conventions_cache",
]

_Q = queries.load()
_UPSERT_CACHE = _Q["conventions.upsert_conventions_cache"]
_GET_CACHE = _Q["conventions.get_conventions_cache"]
_GET_LATEST = _Q["conventions.get_latest_conventions_cache"]
_ADD_FINDING = _Q["conventions.add_convention_finding"]
_INSERT_FINDING = _Q["conventions.insert_convention_finding"]
_DELETE_TASK_FINDINGS = _Q["conventions.delete_task_findings"]
_LIST_FINDINGS = _Q["conventions.list_convention_findings"]

_CACHE = model_row(ProjectConventionsCache)
_FINDING = model_row(ProjectConventionFinding)


# -- the cache ---------------------------------------------------------------------------------


async def upsert_conventions_cache(
    conn: AsyncConnection[Any], cache: ProjectConventionsCacheCreate
) -> ProjectConventionsCache:
    """Store a project commit's derived conventions, replacing an earlier derivation of it."""
    return await insert(
        conn,
        _UPSERT_CACHE,
        _CACHE,
        cache,
        entity="project conventions cache",
        effective_map=Jsonb(cache.effective_map),
    )


async def get_conventions_cache(
    conn: AsyncConnection[Any], project_id: uuid.UUID, commit_sha: str
) -> ProjectConventionsCache | None:
    """A project's conventions at one commit, or None if not derived yet."""
    return await queries.fetch_one(
        conn, _GET_CACHE, _CACHE, project_id=project_id, commit_sha=commit_sha
    )


async def get_latest_conventions_cache(
    conn: AsyncConnection[Any],
    project_id: uuid.UUID,
    *,
    status: ConventionsStatus | None = None,
) -> ProjectConventionsCache | None:
    """A project's most recently derived conventions (of one status, e.g. the last ``ok``
    derivation RoboCo falls back to), or None."""
    return await queries.fetch_one(
        conn,
        _GET_LATEST,
        _CACHE,
        project_id=project_id,
        status=optional_enum_arg("status", ConventionsStatus, status),
    )


# -- findings ----------------------------------------------------------------------------------


async def add_convention_finding(
    conn: AsyncConnection[Any], finding: ProjectConventionFindingCreate
) -> ProjectConventionFinding:
    """Record one finding; NotFound if its project does not exist."""
    return await insert(conn, _ADD_FINDING, _FINDING, finding, entity="project convention finding")


async def add_convention_findings(
    conn: AsyncConnection[Any], findings: Sequence[ProjectConventionFindingCreate]
) -> int:
    """Record a batch of findings (pipelined executemany), all or none; the rows written."""
    rows = [f.model_dump() for f in findings]
    if not rows:
        return 0
    with translated("project convention finding"):
        async with queries.atomic(conn):
            return await queries.execute_many(conn, _INSERT_FINDING, rows)


async def replace_task_findings(
    conn: AsyncConnection[Any],
    project_id: uuid.UUID,
    task_id: uuid.UUID,
    findings: Sequence[ProjectConventionFindingCreate],
) -> int:
    """A task's new check result: its old findings go, these come, in one transaction.

    Every finding must belong to that project and task (ValidationError before any SQL).
    Returns the number of findings written.
    """
    strays = [f.id for f in findings if f.project_id != project_id or f.task_id != task_id]
    if strays:
        raise ValidationError(
            f"project convention finding {strays[0]} does not belong to project {project_id} "
            f"task {task_id}"
        )
    rows = [f.model_dump() for f in findings]
    with translated("project convention finding"):
        async with queries.atomic(conn):
            await queries.execute_rows(
                conn, _DELETE_TASK_FINDINGS, project_id=project_id, task_id=task_id
            )
            if not rows:
                return 0
            return await queries.execute_many(conn, _INSERT_FINDING, rows)


async def list_convention_findings(
    conn: AsyncConnection[Any],
    project_id: uuid.UUID,
    *,
    level: RuleLevel | None = None,
    task_id: uuid.UUID | None = None,
    before: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int = 100,
) -> list[ProjectConventionFinding]:
    """A project's findings newest first, e.g. only the blocking ones of a task."""
    checked = (
        None
        if level is None
        else member(RuleLevel, level, f"{level!r} is not a convention rule level")
    )
    return await queries.fetch_all(
        conn,
        _LIST_FINDINGS,
        _FINDING,
        project_id=project_id,
        level=checked,
        task_id=task_id,
        **cursor_params(before),
        limit=checked_limit(limit),
    )
