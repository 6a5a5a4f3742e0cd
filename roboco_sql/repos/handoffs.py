"""Handoffs: what a developer leaves the documenter when a task's code is done (one per task)."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.models.enums import HandoffStatus
from roboco_sql.models.handoff import Handoff, HandoffCreate
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._inputs import returned
from roboco_sql.repos._keyset import keyset
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = ["create_handoff", "get_handoff", "get_handoff_for_task", "list_handoffs"]

_Q = queries.load()
_CREATE = _Q["handoffs.create_handoff"]
_GET = _Q["handoffs.get_handoff"]
_GET_FOR_TASK = _Q["handoffs.get_handoff_for_task"]
_LIST = _Q["handoffs.list_handoffs"]

_ROW = model_row(Handoff)
_JSON = (
    "required_docs",
    "optional_docs",
    "commits",
    "new_files",
    "modified_files",
    "key_conversations",
    "code_samples",
    "gotchas",
    "key_decisions",
)


async def create_handoff(conn: AsyncConnection[Any], data: HandoffCreate) -> Handoff:
    """Insert a task's handoff; a second one for the same task is a Conflict naming it."""
    params = data.model_dump()
    for name in _JSON:
        params[name] = Json(params[name])
    return await returned(conn, _CREATE, _ROW, "handoff", **params)


async def get_handoff(conn: AsyncConnection[Any], handoff_id: uuid.UUID) -> Handoff | None:
    """One handoff by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=handoff_id)


async def get_handoff_for_task(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Handoff | None:
    """The handoff of a task, or None while it has none."""
    return await queries.fetch_one(conn, _GET_FOR_TASK, _ROW, task_id=task_id)


async def list_handoffs(
    conn: AsyncConnection[Any],
    *,
    status: HandoffStatus | None = None,
    assigned_to: uuid.UUID | None = None,
    after: Handoff | None = None,
    limit: int = 50,
) -> list[Handoff]:
    """Handoffs by status and/or assignee, oldest first; pass the last one as ``after``."""
    status = optional_enum_arg("status", HandoffStatus, status)
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        status=status,
        assigned_to=assigned_to,
        **keyset("after", after, Handoff, "created_at", "id"),
        limit=checked_limit(limit),
    )
