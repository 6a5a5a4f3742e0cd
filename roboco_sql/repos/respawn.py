"""The respawn tracker: strike counters per (agent, task), kept in the database so a restart
does not hand a stuck task a fresh budget. Every change is one statement on the row."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.respawn import RespawnRecord, RespawnRecordWrite
from roboco_sql.repos._inputs import checked_text, insert
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row
from roboco_sql.validate import check_span

__all__ = [
    "delete_respawn_record",
    "get_respawn_record",
    "list_respawn_records",
    "mark_respawn_notified",
    "record_respawn_strike",
    "reset_respawn_after_cooldown",
    "reset_respawn_on_progress",
    "save_respawn_record",
    "spend_respawn_reset",
]

_Q = queries.load()
_SAVE = _Q["respawn_tracker.save_respawn_record"]
_COUNT = _Q["respawn_tracker.count_respawn"]
_RESTART = _Q["respawn_tracker.restart_respawn_count"]
_NOTIFIED = _Q["respawn_tracker.mark_respawn_notified"]
_GET = _Q["respawn_tracker.get_respawn_record"]
_LIST = _Q["respawn_tracker.list_respawn_records"]
_DELETE = _Q["respawn_tracker.delete_respawn_record"]

_ROW = model_row(RespawnRecord)
_SLUG_MAX = 64  # the agent_slug column is varchar(64)


def _status(last_status: str | None) -> str | None:
    if last_status is not None and len(last_status) > 64:
        raise ValidationError("last_status must be at most 64 characters")
    return last_status


async def save_respawn_record(
    conn: AsyncConnection[Any], data: RespawnRecordWrite
) -> RespawnRecord:
    """Write the counter's whole state over whatever the row held (insert if none)."""
    return await insert(conn, _SAVE, _ROW, data, entity="respawn record")


async def record_respawn_strike(
    conn: AsyncConnection[Any], agent_slug: str, task_id: uuid.UUID, *, last_status: str | None
) -> RespawnRecord:
    """Count one more spawn that did not move the task (a new counter starts at 1)."""
    return await _count(conn, agent_slug, task_id, last_status, fresh=False)


async def reset_respawn_on_progress(
    conn: AsyncConnection[Any], agent_slug: str, task_id: uuid.UUID, *, last_status: str | None
) -> RespawnRecord:
    """The task reached a new status: the counter and both reset budgets start over."""
    return await _count(conn, agent_slug, task_id, last_status, fresh=True)


async def _count(
    conn: AsyncConnection[Any],
    agent_slug: str,
    task_id: uuid.UUID,
    last_status: str | None,
    *,
    fresh: bool,
) -> RespawnRecord:
    """Count one spawn: a strike, or with fresh a counter starting over; always the row."""
    record = await _keyed(conn, _COUNT, agent_slug, task_id, last_status, fresh=fresh)
    assert record is not None  # an upsert ... RETURNING always yields the row
    return record


async def _keyed(
    conn: AsyncConnection[Any],
    query: queries.Query,
    agent_slug: str,
    task_id: uuid.UUID,
    last_status: str | None,
    **extra: object,
) -> RespawnRecord | None:
    """Run one of the counter's statements on its (agent_slug, task_id) key."""
    return await queries.fetch_one(
        conn,
        query,
        _ROW,
        agent_slug=checked_text("agent_slug", agent_slug, _SLUG_MAX),
        task_id=task_id,
        last_status=_status(last_status),
        **extra,
    )


async def spend_respawn_reset(
    conn: AsyncConnection[Any],
    agent_slug: str,
    task_id: uuid.UUID,
    *,
    kind: Literal["tracing", "revisit"],
    max_resets: int,
    last_status: str | None = None,
) -> RespawnRecord | None:
    """Reset the counter to 1 out of a bounded budget: ``tracing`` (a rule-following retry)
    or ``revisit`` (a status seen before). None when that budget is spent or no counter."""
    if kind not in ("tracing", "revisit"):
        raise ValidationError(f"kind must be 'tracing' or 'revisit', not {kind!r}")
    if max_resets < 0:
        raise ValidationError(f"max_resets must not be negative, not {max_resets}")
    return await _keyed(
        conn,
        _RESTART,
        agent_slug,
        task_id,
        last_status,
        kind=kind,
        max_resets=max_resets,
        cooldown=None,
    )


async def reset_respawn_after_cooldown(
    conn: AsyncConnection[Any], agent_slug: str, task_id: uuid.UUID, *, cooldown: dt.timedelta
) -> RespawnRecord | None:
    """Heal a tripped counter whose last check is older than cooldown; None otherwise.
    The cooldown is refused unless 0 to 1000 years (the server's now() - it would overflow)."""
    return await _keyed(
        conn,
        _RESTART,
        agent_slug,
        task_id,
        None,
        kind="cooldown",
        max_resets=None,
        cooldown=check_span("cooldown", cooldown),
    )


async def mark_respawn_notified(
    conn: AsyncConnection[Any], agent_slug: str, task_id: uuid.UUID
) -> RespawnRecord | None:
    """Set the trip flag; the row only for the caller that flipped it (None if already set)."""
    slug = checked_text("agent_slug", agent_slug, _SLUG_MAX)
    return await queries.fetch_one(conn, _NOTIFIED, _ROW, agent_slug=slug, task_id=task_id)


async def get_respawn_record(
    conn: AsyncConnection[Any], agent_slug: str, task_id: uuid.UUID
) -> RespawnRecord | None:
    """One counter, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, agent_slug=agent_slug, task_id=task_id)


async def list_respawn_records(
    conn: AsyncConnection[Any], *, limit: int = 20
) -> list[RespawnRecord]:
    """Counters, highest first."""
    return await queries.fetch_all(conn, _LIST, _ROW, limit=checked_limit(limit))


async def delete_respawn_record(
    conn: AsyncConnection[Any], agent_slug: str, task_id: uuid.UUID
) -> bool:
    """Forget one counter; False if there was none."""
    return await queries.execute_rows(conn, _DELETE, agent_slug=agent_slug, task_id=task_id) == 1
