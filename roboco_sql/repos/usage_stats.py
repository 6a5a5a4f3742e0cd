"""Usage read back: the daily roll-up sweep and the dashboards' sums over closed spawns.

RoboCo's usage views (summary with trend, time series, breakdowns by agent/team/model/role,
7-day projection, cache efficiency, today's card) are all sums of the same five counters over
a window; each is one grouped query here, and the derived figures (totals, rates, shares) are
properties of the small row types rather than more SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import class_row, kwargs_row

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.usage import DailyUsageRollup
from roboco_sql.repos._rows import model_row

__all__ = [
    "Dimension",
    "UsageBucket",
    "UsageShare",
    "UsageTotals",
    "rollup_totals",
    "sweep_daily_rollups",
    "usage_by",
    "usage_series",
    "usage_totals",
]

Dimension = Literal["agent_slug", "team", "model", "role"]
_DIMENSIONS: frozenset[str] = frozenset({"agent_slug", "team", "model", "role"})
_BUCKETS: frozenset[str] = frozenset({"hour", "day"})
_MAX_SWEEP_DAYS = 366

_Q = queries.load()
_SWEEP = _Q["usage_stats.sweep_daily_rollups"]
_SUMS = _Q["usage_stats.usage_sums"]
_ROLLUP_TOTALS = _Q["usage_stats.rollup_totals"]


@dataclass(frozen=True, slots=True)
class UsageTotals:
    """The five counters summed over a window, and how many spawns they came from."""

    tokens_input: int
    tokens_output: int
    tokens_cache_read: int
    tokens_cache_write: int
    cost_usd: float
    spawns: int

    @property
    def total_tokens(self) -> int:
        """All four token kinds, as RoboCo's summary and series count them."""
        return (
            self.tokens_input
            + self.tokens_output
            + self.tokens_cache_read
            + self.tokens_cache_write
        )

    @property
    def cache_hit_rate(self) -> float:
        """Cache reads over everything read as input (0.0 when nothing was read)."""
        read = self.tokens_input + self.tokens_cache_read
        return self.tokens_cache_read / read if read else 0.0


@dataclass(frozen=True, slots=True)
class UsageBucket(UsageTotals):
    """The sums of one hour or day."""

    bucket: dt.datetime


@dataclass(frozen=True, slots=True)
class UsageShare(UsageTotals):
    """The sums of one agent, team, model or role."""

    key: str


R = TypeVar("R")

# what the sums are over no spawn at all
_NOTHING = UsageTotals(
    tokens_input=0,
    tokens_output=0,
    tokens_cache_read=0,
    tokens_cache_write=0,
    cost_usd=0.0,
    spawns=0,
)


def _aware(name: str, value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValidationError(f"{name} must be a timezone-aware datetime, not {value!r}")
    return value


async def sweep_daily_rollups(
    conn: AsyncConnection[Any], since: dt.date, until: dt.date
) -> list[DailyUsageRollup]:
    """Recompute and overwrite the roll-ups of the UTC days [since, until] from closed spawns.

    Idempotent, unlike `usage.upsert_daily_rollup` (which adds a batch): sweep the trailing
    week as often as RoboCo's sweeper does and the totals stay right. A day whose spawns are
    all still open keeps its row as it was.
    """
    for name, day in (("since", since), ("until", until)):
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise ValidationError(f"{name} must be a date, not {day!r}")
    if until < since or (until - since).days >= _MAX_SWEEP_DAYS:
        raise ValidationError(
            f"until must be on or after since and within {_MAX_SWEEP_DAYS} days of it"
        )
    return await queries.fetch_all(
        conn, _SWEEP, model_row(DailyUsageRollup), since=since, until=until
    )


def _totals(bucket: object, key: object, **sums: Any) -> UsageTotals:
    return UsageTotals(**sums)


def _bucket(bucket: dt.datetime, key: object, **sums: Any) -> UsageBucket:
    return UsageBucket(bucket=bucket, **sums)


def _share(bucket: object, key: str, **sums: Any) -> UsageShare:
    return UsageShare(key=key, **sums)


async def _sums(
    conn: AsyncConnection[Any],
    group: str,
    make: Callable[..., R],
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
    agent_slug: str | None = None,
) -> list[R]:
    """The usage sums grouped by `group` (total, hour, day or a dimension), each row made by
    `make` from its bucket, key and sums."""
    return await queries.fetch_all(
        conn,
        _SUMS,
        kwargs_row(make),
        group=group,
        since=since,
        until=until,
        agent_slug=agent_slug,
    )


async def usage_totals(
    conn: AsyncConnection[Any],
    since: dt.datetime,
    until: dt.datetime | None = None,
    *,
    agent_slug: str | None = None,
) -> UsageTotals:
    """Sums of the closed spawns started in [since, until) (until None: up to now)."""
    rows = await _sums(
        conn,
        "total",
        _totals,
        since=_aware("since", since),
        until=None if until is None else _aware("until", until),
        agent_slug=agent_slug,
    )
    return rows[0] if rows else _NOTHING


async def usage_series(
    conn: AsyncConnection[Any],
    since: dt.datetime,
    *,
    bucket: Literal["hour", "day"] = "hour",
    agent_slug: str | None = None,
) -> list[UsageBucket]:
    """The sums per UTC hour or day since `since`, oldest first (empty buckets absent)."""
    if bucket not in _BUCKETS:
        raise ValidationError(f"bucket must be 'hour' or 'day', not {bucket!r}")
    return await _sums(conn, bucket, _bucket, since=_aware("since", since), agent_slug=agent_slug)


async def usage_by(
    conn: AsyncConnection[Any], dimension: Dimension, since: dt.datetime
) -> list[UsageShare]:
    """The sums per agent, team, model or role since `since`, heaviest first."""
    if dimension not in _DIMENSIONS:
        raise ValidationError(
            f"dimension must be one of {', '.join(sorted(_DIMENSIONS))}, not {dimension!r}"
        )
    return await _sums(conn, dimension, _share, since=_aware("since", since))


async def rollup_totals(
    conn: AsyncConnection[Any], since: dt.date, until: dt.date | None = None
) -> UsageTotals:
    """The roll-ups' sums over the days [since, until] (one day when until is None)."""
    row = await queries.fetch_one(
        conn, _ROLLUP_TOTALS, class_row(UsageTotals), since=since, until=until or since
    )
    assert row is not None
    return row
