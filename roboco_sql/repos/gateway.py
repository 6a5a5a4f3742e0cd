"""Gateway triggers: each spawn-gateway decision (spawn, queue, drop) and its reason."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.models.gateway import GatewayDecision, GatewayTrigger, GatewayTriggerCreate
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._keyset import keyset
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "count_gateway_triggers",
    "get_gateway_trigger",
    "list_gateway_triggers",
    "record_gateway_trigger",
]

_Q = queries.load()
_RECORD = _Q["gateway.record_gateway_trigger"]
_GET = _Q["gateway.get_gateway_trigger"]
_LIST = _Q["gateway.list_gateway_triggers"]
_COUNT = _Q["gateway.count_gateway_triggers"]

_ROW = model_row(GatewayTrigger)


async def record_gateway_trigger(
    conn: AsyncConnection[Any], data: GatewayTriggerCreate
) -> GatewayTrigger:
    """Record one decision; a task that does not exist is NotFound naming it."""
    return await insert(conn, _RECORD, _ROW, data, entity="gateway trigger")


async def get_gateway_trigger(
    conn: AsyncConnection[Any], trigger_id: uuid.UUID
) -> GatewayTrigger | None:
    """One decision by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=trigger_id)


async def list_gateway_triggers(
    conn: AsyncConnection[Any],
    *,
    task_id: uuid.UUID | None = None,
    trigger_kind: str | None = None,
    decision: GatewayDecision | None = None,
    target_role: str | None = None,
    since: dt.datetime | None = None,
    before: GatewayTrigger | None = None,
    limit: int = 50,
) -> list[GatewayTrigger]:
    """Decisions matching every filter given, newest first; pass the last one as ``before``."""
    decision = optional_enum_arg("decision", GatewayDecision, decision)
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        task_id=task_id,
        trigger_kind=trigger_kind,
        decision=decision,
        target_role=target_role,
        since=since,
        **keyset("before", before, GatewayTrigger, "created_at", "id"),
        limit=checked_limit(limit),
    )


async def count_gateway_triggers(
    conn: AsyncConnection[Any],
    *,
    since: dt.datetime,
    task_id: uuid.UUID | None = None,
    target_role: str | None = None,
    decision: GatewayDecision | None = None,
) -> int:
    """How many decisions match since a time (the gateway's spawn rate limits)."""
    decision = optional_enum_arg("decision", GatewayDecision, decision)
    count = await queries.fetch_scalar(
        conn,
        _COUNT,
        int,
        since=since,
        task_id=task_id,
        target_role=target_role,
        decision=decision,
    )
    return count or 0
