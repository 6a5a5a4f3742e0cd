"""Secretary directives: what the CEO ordered, and how each order ended.

Every directive is inserted ``pending``; only a pending one can be resolved (executed, failed,
or rejected by the CEO), and only once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import Conflict, NotFound
from roboco_sql.models.secretary import (
    DirectiveKind,
    DirectiveStatus,
    SecretaryDirective,
    SecretaryDirectiveCreate,
    SecretaryDirectiveResolution,
)
from roboco_sql.repos._checks import member
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._paging import checked_limit, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "create_directive",
    "get_directive",
    "list_directives",
    "resolve_directive",
]

_Q = queries.load()
_CREATE = _Q["secretary.create_directive"]
_GET = _Q["secretary.get_directive"]
_LIST = _Q["secretary.list_directives"]
_RESOLVE = _Q["secretary.resolve_directive"]

_DIRECTIVE = model_row(SecretaryDirective)


async def create_directive(
    conn: AsyncConnection[Any], directive: SecretaryDirectiveCreate
) -> SecretaryDirective:
    """Record a new directive, pending."""
    return await insert(
        conn, _CREATE, _DIRECTIVE, directive, entity="secretary directive", json=("payload",)
    )


async def get_directive(
    conn: AsyncConnection[Any], directive_id: uuid.UUID
) -> SecretaryDirective | None:
    """One directive, or None."""
    return await queries.fetch_one(conn, _GET, _DIRECTIVE, id=directive_id)


async def list_directives(
    conn: AsyncConnection[Any],
    *,
    status: DirectiveStatus | None = None,
    kind: DirectiveKind | None = None,
    before: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int = 100,
) -> list[SecretaryDirective]:
    """Directives newest first (e.g. the pending queue); `before` pages by (requested_at, id)."""
    refused = "secretary directive filter: {!r} is not a valid {}"
    if status is not None:
        status = member(DirectiveStatus, status, refused.format(status, "DirectiveStatus"))
    if kind is not None:
        kind = member(DirectiveKind, kind, refused.format(kind, "DirectiveKind"))
    return await queries.fetch_all(
        conn,
        _LIST,
        _DIRECTIVE,
        status=status,
        kind=kind,
        **cursor_params(before),
        limit=checked_limit(limit),
    )


async def resolve_directive(
    conn: AsyncConnection[Any],
    directive_id: uuid.UUID,
    resolution: SecretaryDirectiveResolution,
) -> SecretaryDirective:
    """End a pending directive; NotFound if missing, Conflict if it was already resolved."""
    changes = resolution.changes()
    with translated("secretary directive"):
        row = await queries.fetch_one(
            conn,
            _RESOLVE,
            _DIRECTIVE,
            id=directive_id,
            status=changes["status"],
            decided_at=changes["decided_at"],
            set_decided_by="decided_by" in changes,
            decided_by=changes.get("decided_by"),
            set_result="result" in changes,
            result=changes.get("result"),
        )
    if row is not None:
        return row
    existing = await get_directive(conn, directive_id)
    if existing is None:
        raise NotFound(f"secretary directive {directive_id} not found")
    raise Conflict(f"secretary directive {directive_id} is already {existing.status}, not pending")
