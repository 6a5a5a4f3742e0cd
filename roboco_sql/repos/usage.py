"""Token usage: spawn sessions, their cumulative snapshots, and the per-day roll-up.

A spawn session opens with zero counters; each snapshot is a cumulative reading that raises
the session's counters (never lowers them); closing stamps the end. The daily roll-up is
additive: every upsert adds its counts to the (date, agent, team, model) row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.models.usage import (
    AgentSpawnSession,
    AgentSpawnSessionCreate,
    AgentSpawnSessionEnd,
    DailyUsageRollup,
    DailyUsageRollupCreate,
    TokenUsageSnapshot,
    TokenUsageSnapshotCreate,
)
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import missed
from roboco_sql.repos._paging import MAX_LIMIT, checked_limit, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "add_usage_snapshot",
    "add_usage_snapshots",
    "close_spawn_session",
    "create_spawn_session",
    "get_daily_rollup",
    "get_spawn_session",
    "list_daily_rollups",
    "list_spawn_sessions",
    "list_usage_snapshots",
    "upsert_daily_rollup",
]

_Q = queries.load()
_CREATE_SPAWN = _Q["usage.create_spawn_session"]
_GET_SPAWN = _Q["usage.get_spawn_session"]
_LIST_SPAWNS = _Q["usage.list_spawn_sessions"]
_CLOSE_SPAWN = _Q["usage.close_spawn_session"]
_INSERT_SNAPSHOT = _Q["usage.insert_usage_snapshot"]
_LIST_SNAPSHOTS = _Q["usage.list_usage_snapshots"]
_UPSERT_ROLLUP = _Q["usage.upsert_daily_rollup"]
_GET_ROLLUP = _Q["usage.get_daily_rollup"]
_LIST_ROLLUPS = _Q["usage.list_daily_rollups"]

_SPAWN = model_row(AgentSpawnSession)
_SNAPSHOT = model_row(TokenUsageSnapshot)
_ROLLUP = model_row(DailyUsageRollup)


# -- spawn sessions ----------------------------------------------------------------------------


async def create_spawn_session(
    conn: AsyncConnection[Any], spawn: AgentSpawnSessionCreate
) -> AgentSpawnSession:
    """Open a spawn session; its counters start at zero."""
    with translated("agent spawn session"):
        row = await queries.fetch_one(conn, _CREATE_SPAWN, _SPAWN, **spawn.model_dump())
    assert row is not None
    return row


async def get_spawn_session(
    conn: AsyncConnection[Any], spawn_id: uuid.UUID
) -> AgentSpawnSession | None:
    """One spawn session, or None."""
    return await queries.fetch_one(conn, _GET_SPAWN, _SPAWN, id=spawn_id)


async def list_spawn_sessions(
    conn: AsyncConnection[Any],
    *,
    agent_slug: str | None = None,
    team: str | None = None,
    open_only: bool = False,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    before: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int = 100,
) -> list[AgentSpawnSession]:
    """Spawns newest first; `before` is the (started_at, id) of the previous page's last row."""
    return await queries.fetch_all(
        conn,
        _LIST_SPAWNS,
        _SPAWN,
        agent_slug=agent_slug,
        team=team,
        open_only=open_only,
        since=since,
        until=until,
        **cursor_params(before),
        limit=checked_limit(limit),
    )


async def close_spawn_session(
    conn: AsyncConnection[Any], spawn_id: uuid.UUID, end: AgentSpawnSessionEnd
) -> AgentSpawnSession:
    """Stamp a running spawn's end; NotFound if missing, Conflict if it already ended."""
    with translated("agent spawn session"):
        row = await queries.fetch_one(conn, _CLOSE_SPAWN, _SPAWN, id=spawn_id, **end.model_dump())
    if row is not None:
        return row
    raise missed(
        await get_spawn_session(conn, spawn_id),
        "agent spawn session",
        spawn_id,
        lambda now: f"agent spawn session {spawn_id} already ended at {now.ended_at}",
    )


# -- snapshots ---------------------------------------------------------------------------------


async def add_usage_snapshot(
    conn: AsyncConnection[Any], snapshot: TokenUsageSnapshotCreate
) -> TokenUsageSnapshot:
    """Record one cumulative reading and raise the spawn's counters to it; the row written
    (the reading as given: the statement stores it unchanged)."""
    values = snapshot.model_dump()
    with translated("token usage snapshot"):
        await queries.execute_rows(conn, _INSERT_SNAPSHOT, **values)
    return TokenUsageSnapshot.model_validate(values)


async def add_usage_snapshots(
    conn: AsyncConnection[Any], snapshots: Sequence[TokenUsageSnapshotCreate]
) -> int:
    """Record a batch of readings (pipelined executemany), all or none; the rows written."""
    rows = [s.model_dump() for s in snapshots]
    if not rows:
        return 0
    with translated("token usage snapshot"):
        async with queries.atomic(conn):
            return await queries.execute_many(conn, _INSERT_SNAPSHOT, rows)


async def list_usage_snapshots(
    conn: AsyncConnection[Any], spawn_id: uuid.UUID, *, limit: int = MAX_LIMIT
) -> list[TokenUsageSnapshot]:
    """A spawn's readings, oldest first."""
    return await queries.fetch_all(
        conn,
        _LIST_SNAPSHOTS,
        _SNAPSHOT,
        agent_spawn_session_id=spawn_id,
        limit=checked_limit(limit),
    )


# -- daily roll-ups ----------------------------------------------------------------------------


async def upsert_daily_rollup(
    conn: AsyncConnection[Any], usage: DailyUsageRollupCreate
) -> DailyUsageRollup:
    """Add usage to its day's row (created on first use); the row's totals come back."""
    with translated("daily usage rollup"):
        row = await queries.fetch_one(conn, _UPSERT_ROLLUP, _ROLLUP, **usage.model_dump())
    assert row is not None
    return row


async def get_daily_rollup(
    conn: AsyncConnection[Any], date: dt.date, agent_slug: str, team: str, model: str
) -> DailyUsageRollup | None:
    """One day's row for an (agent, team, model), or None."""
    return await queries.fetch_one(
        conn, _GET_ROLLUP, _ROLLUP, date=date, agent_slug=agent_slug, team=team, model=model
    )


async def list_daily_rollups(
    conn: AsyncConnection[Any],
    *,
    agent_slug: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int = 100,
) -> list[DailyUsageRollup]:
    """Roll-ups newest day first, for one agent or all, within an inclusive day range."""
    return await queries.fetch_all(
        conn,
        _LIST_ROLLUPS,
        _ROLLUP,
        agent_slug=agent_slug,
        since=since,
        until=until,
        limit=checked_limit(limit),
    )
