"""The usage sweep and dashboards against hand-computed sums."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.models.usage import (
    AgentSpawnSessionCreate,
    AgentSpawnSessionEnd,
    DailyUsageRollupCreate,
    TokenUsageSnapshotCreate,
)
from roboco_sql.repos import usage, usage_stats

Conn = AsyncConnection[Any]
DAY = dt.date(2026, 6, 1)
T0 = dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC)


async def spend(
    conn: Conn,
    hours: float,
    tokens: tuple[int, int, int, int],
    cost: float,
    *,
    slug: str = "dev-1",
    team: str = "backend",
    model: str = "claude-sonnet",
    close: bool = True,
) -> None:
    """One spawn started `hours` after T0 that used `tokens` (in, out, cache read, cache write)."""
    start = T0 + dt.timedelta(hours=hours)
    s = await usage.create_spawn_session(
        conn,
        AgentSpawnSessionCreate(
            agent_slug=slug, team=team, role="developer", model=model, started_at=start
        ),
    )
    tokens_input, tokens_output, tokens_cache_read, tokens_cache_write = tokens
    await usage.add_usage_snapshot(
        conn,
        TokenUsageSnapshotCreate(
            agent_spawn_session_id=s.id,
            snapshotted_at=start,
            tokens_input=tokens_input,
            tokens_output=tokens_output,
            tokens_cache_read=tokens_cache_read,
            tokens_cache_write=tokens_cache_write,
        ),
    )
    if close:
        end = AgentSpawnSessionEnd(
            ended_at=start + dt.timedelta(minutes=5), estimated_cost_usd=cost
        )
        await usage.close_spawn_session(conn, s.id, end)


async def test_the_sweep_overwrites_so_re_sweeping_never_double_counts(conn: Conn) -> None:
    await spend(conn, 1, (100, 10, 50, 5), 0.5)
    await spend(conn, 2, (200, 20, 0, 0), 1.0)
    await spend(conn, 3, (999, 999, 0, 0), 9.0, close=False)  # still running: not counted
    await spend(conn, 25, (7, 7, 0, 0), 0.1)  # the next day
    await spend(conn, 4, (30, 3, 0, 0), 0.2, model="grok")
    first = await usage_stats.sweep_daily_rollups(conn, DAY, DAY + dt.timedelta(days=1))
    again = await usage_stats.sweep_daily_rollups(conn, DAY, DAY + dt.timedelta(days=1))
    assert sorted((r.date, r.model, r.tokens_input) for r in again) == sorted(
        (r.date, r.model, r.tokens_input) for r in first
    )
    sonnet = await usage.get_daily_rollup(conn, DAY, "dev-1", "backend", "claude-sonnet")
    assert sonnet is not None
    assert (sonnet.tokens_input, sonnet.tokens_output, sonnet.tokens_cache_read) == (300, 30, 50)
    assert (sonnet.session_count, round(sonnet.total_cost_usd, 6)) == (2, 1.5)
    next_day = await usage.get_daily_rollup(
        conn, DAY + dt.timedelta(days=1), "dev-1", "backend", "claude-sonnet"
    )
    assert next_day is not None and next_day.tokens_input == 7
    # the additive upsert is what double counts: the trap the sweep avoids
    await usage.upsert_daily_rollup(
        conn,
        DailyUsageRollupCreate(
            date=DAY, agent_slug="dev-1", team="backend", model="claude-sonnet", tokens_input=300
        ),
    )
    doubled = await usage.get_daily_rollup(conn, DAY, "dev-1", "backend", "claude-sonnet")
    assert doubled is not None and doubled.tokens_input == 600
    await usage_stats.sweep_daily_rollups(conn, DAY, DAY)
    fixed = await usage.get_daily_rollup(conn, DAY, "dev-1", "backend", "claude-sonnet")
    assert fixed is not None and fixed.tokens_input == 300


async def test_the_sweep_refuses_bad_windows_before_any_sql(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="until"):
        await usage_stats.sweep_daily_rollups(conn, DAY, DAY - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="since"):
        await usage_stats.sweep_daily_rollups(conn, T0, DAY)  # a datetime is not a date here
    with pytest.raises(ValidationError, match="366"):
        await usage_stats.sweep_daily_rollups(conn, DAY, DAY + dt.timedelta(days=400))


async def test_totals_trend_window_and_cache_rate(conn: Conn) -> None:
    await spend(conn, 1, (100, 10, 300, 5), 0.5)
    await spend(conn, 2, (200, 20, 0, 0), 1.0, slug="qa-1")
    await spend(conn, 30, (1, 1, 1, 1), 0.01)  # outside the first window
    window = await usage_stats.usage_totals(conn, T0, T0 + dt.timedelta(days=1))
    assert (window.tokens_input, window.tokens_output, window.spawns) == (300, 30, 2)
    assert window.total_tokens == 300 + 30 + 300 + 5
    assert window.cache_hit_rate == pytest.approx(300 / 600)
    assert round(window.cost_usd, 6) == 1.5
    one = await usage_stats.usage_totals(conn, T0, agent_slug="qa-1")
    assert (one.tokens_input, one.spawns) == (200, 1)
    empty = await usage_stats.usage_totals(conn, T0 + dt.timedelta(days=9))
    assert (empty.total_tokens, empty.cache_hit_rate, empty.spawns) == (0, 0.0, 0)
    with pytest.raises(ValidationError, match="since"):
        await usage_stats.usage_totals(conn, dt.datetime(2026, 6, 1))


async def test_series_buckets_and_breakdowns(conn: Conn) -> None:
    await spend(conn, 1.25, (100, 10, 0, 0), 0.5)
    await spend(conn, 1.5, (50, 5, 0, 0), 0.25, slug="qa-1", team="qa")
    await spend(conn, 3, (10, 1, 0, 0), 0.1, model="grok")
    hours = await usage_stats.usage_series(conn, T0, bucket="hour")
    assert [(b.bucket.hour, b.tokens_input) for b in hours] == [(1, 150), (3, 10)]
    days = await usage_stats.usage_series(conn, T0, bucket="day", agent_slug="dev-1")
    assert [(b.bucket.date(), b.tokens_input, b.spawns) for b in days] == [(DAY, 110, 2)]
    by_agent = await usage_stats.usage_by(conn, "agent_slug", T0)
    assert [(s.key, s.tokens_input) for s in by_agent] == [("dev-1", 110), ("qa-1", 50)]
    by_model = await usage_stats.usage_by(conn, "model", T0)
    assert [s.key for s in by_model] == ["claude-sonnet", "grok"]
    assert [s.key for s in await usage_stats.usage_by(conn, "team", T0)] == ["backend", "qa"]
    assert [s.key for s in await usage_stats.usage_by(conn, "role", T0)] == ["developer"]
    with pytest.raises(ValidationError, match="dimension"):
        await usage_stats.usage_by(conn, "agent; DROP TABLE x", T0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="bucket"):
        await usage_stats.usage_series(conn, T0, bucket="week")  # type: ignore[arg-type]


async def test_today_from_the_rollups(conn: Conn) -> None:
    for model, tin in (("a", 5), ("b", 7)):
        await usage.upsert_daily_rollup(
            conn,
            DailyUsageRollupCreate(
                date=DAY,
                agent_slug="dev-1",
                team="backend",
                model=model,
                tokens_input=tin,
                session_count=1,
                total_cost_usd=0.5,
            ),
        )
    today = await usage_stats.rollup_totals(conn, DAY)
    assert (today.tokens_input, today.spawns, today.cost_usd) == (12, 2, 1.0)
    none = await usage_stats.rollup_totals(conn, DAY + dt.timedelta(days=1))
    assert none.total_tokens == 0
