"""The audit log: append-only events (denials, overrides, task transitions), read back by
entity or by actor."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from roboco_sql import queries
from roboco_sql.models.audit import AuditLogCreate, AuditLogEntry, AuditSeverity
from roboco_sql.models.base import JsonObject
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._keyset import keyset
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = ["append_audit_event", "get_audit_event", "list_audit_log"]

_Q = queries.load()
_APPEND = _Q["audit.append_audit_event"]
_GET = _Q["audit.get_audit_event"]
_LIST = _Q["audit.list_audit_log"]

_ROW = model_row(AuditLogEntry)


async def append_audit_event(conn: AsyncConnection[Any], data: AuditLogCreate) -> AuditLogEntry:
    """Append one event; a missing acting agent is NotFound naming it.

    Runs in the caller's transaction, so an event recorded with the change it describes
    commits or rolls back with it.
    """
    return await insert(
        conn, _APPEND, _ROW, data, entity="audit event", details=Jsonb(data.details)
    )


async def get_audit_event(conn: AsyncConnection[Any], event_id: uuid.UUID) -> AuditLogEntry | None:
    """One audit event by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=event_id)


async def list_audit_log(
    conn: AsyncConnection[Any],
    *,
    target_type: str | None = None,
    target_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    event_type: str | None = None,
    severities: Collection[AuditSeverity] | None = None,
    since: dt.datetime | None = None,
    details_contain: JsonObject | None = None,
    before: AuditLogEntry | None = None,
    limit: int = 50,
) -> list[AuditLogEntry]:
    """Events matching every filter given, newest first; pass the last one as ``before``.

    By entity: target_type and target_id (e.g. "task", its id); by actor: agent_id.
    ``details_contain`` matches events whose details include that object, e.g.
    ``{"reason": "tracing_gap"}``.
    """
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        target_type=target_type,
        target_id=target_id,
        agent_id=agent_id,
        event_type=event_type,
        severities=None if severities is None else list(severities),
        since=since,
        details_contain=None if details_contain is None else Jsonb(details_contain),
        **keyset("before", before, AuditLogEntry, "timestamp", "id"),
        limit=checked_limit(limit),
    )
