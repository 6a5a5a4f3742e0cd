"""Task aggregates as RoboCo's dashboard, metrics and cockpit read them: counts by status and
team, velocity, team and agent figures, health, blockers, delivery lead time, roadmap
progress and the audit queue.

Each aggregate is one statement where RoboCo ran one query per figure. The definitions
(which statuses count as active, which window, which rows a lead time covers) are RoboCo
v0.29.0's; the figures come back exact, and rounding them for display is the caller's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

from psycopg import AsyncConnection
from pydantic import BaseModel

from roboco_sql import queries
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import TaskStatus, Team
from roboco_sql.models.task import Task
from roboco_sql.models.task_views import (
    LEAD_TIME_EXCLUDED_SOURCES,
    AgentMetrics,
    BlockerStats,
    DeliveryStats,
    HealthCounts,
    RoadmapProgress,
    TaskStatusCount,
    TaskTeamCount,
    TeamMetrics,
    Velocity,
)
from roboco_sql.repos._checks import enum_arg, int_arg, optional_enum_arg, uuid_arg
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "DEFAULT_DAYS",
    "agent_metrics",
    "audit_queue",
    "blocker_stats",
    "count_by_status",
    "count_by_team",
    "delivery_stats_30d",
    "health_counts",
    "roadmap_progress",
    "team_metrics",
    "velocity",
]

_Q = queries.load()
_BY_STATUS = _Q["task_stats.count_tasks_by_status"]
_BY_TEAM = _Q["task_stats.count_tasks_by_team"]
_VELOCITY = _Q["task_stats.task_velocity"]
_TEAM = _Q["task_stats.team_task_metrics"]
_AGENT = _Q["task_stats.agent_task_metrics"]
_HEALTH = _Q["task_stats.task_health_counts"]
_BLOCKERS = _Q["task_stats.blocker_stats"]
_DELIVERY = _Q["task_stats.delivery_stats"]
_ROADMAP = _Q["task_stats.roadmap_progress"]
_AUDIT_QUEUE = _Q["task_stats.audit_queue"]

DEFAULT_DAYS = 7
"""RoboCo's metrics window: a week."""

_MAX_DAYS = 3650

M = TypeVar("M", bound=BaseModel)


def _since(days: int) -> dt.datetime:
    """The window's start by the application's clock, as RoboCo computes it."""
    return utcnow() - dt.timedelta(days=int_arg("days", days, 1, _MAX_DAYS))


async def _one(conn: AsyncConnection[Any], q: queries.Query, model: type[M], **p: object) -> M:
    row = await queries.fetch_one(conn, q, model_row(model), **p)
    if row is None:  # an aggregate without GROUP BY always returns its row
        raise RuntimeError(f"{q.label} returned no row")
    return row


async def count_by_status(
    conn: AsyncConnection[Any], *, team: Team | None = None
) -> dict[TaskStatus, int]:
    """How many tasks each status holds (of one team, or all); a status with none is absent,
    as in RoboCo's count_by_status and kanban board stats."""
    rows = await queries.fetch_all(
        conn, _BY_STATUS, model_row(TaskStatusCount), team=optional_enum_arg("team", Team, team)
    )
    return {r.status: r.count for r in rows}


async def count_by_team(
    conn: AsyncConnection[Any], *, status: TaskStatus | None = None
) -> dict[Team, int]:
    """How many tasks each team holds (in one status, or any): RoboCo's count_by_team, and with
    status=BLOCKED the blockers by team of its blocker metrics."""
    rows = await queries.fetch_all(
        conn,
        _BY_TEAM,
        model_row(TaskTeamCount),
        status=optional_enum_arg("status", TaskStatus, status),
    )
    return {r.team: r.count for r in rows}


async def velocity(
    conn: AsyncConnection[Any], *, days: int = DEFAULT_DAYS, team: Team | None = None
) -> Velocity:
    """Tasks completed and created over the last ``days`` and their mean cycle hours."""
    return await _one(
        conn, _VELOCITY, Velocity, since=_since(days), team=optional_enum_arg("team", Team, team)
    )


async def team_metrics(
    conn: AsyncConnection[Any], team: Team, *, days: int = DEFAULT_DAYS
) -> TeamMetrics:
    """A team's active, blocked and completed work and its documentation coverage."""
    return await _one(
        conn, _TEAM, TeamMetrics, team=enum_arg("team", Team, team), since=_since(days)
    )


async def agent_metrics(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, *, days: int = DEFAULT_DAYS
) -> AgentMetrics | None:
    """An agent's completed tasks and mean cycle hours over the window; None: no such agent."""
    return await queries.fetch_one(
        conn,
        _AGENT,
        model_row(AgentMetrics),
        agent_id=uuid_arg("agent_id", agent_id),
        since=_since(days),
    )


async def health_counts(
    conn: AsyncConnection[Any], *, team: Team | None = None, days: int = DEFAULT_DAYS
) -> HealthCounts:
    """Active, blocked and recently completed tasks, with RoboCo's ok/slow/critical verdict."""
    return await _one(
        conn, _HEALTH, HealthCounts, team=optional_enum_arg("team", Team, team), since=_since(days)
    )


async def blocker_stats(conn: AsyncConnection[Any]) -> BlockerStats:
    """How many tasks are blocked now, for how long on average, and the longest blocked."""
    return await _one(conn, _BLOCKERS, BlockerStats, now=utcnow())


async def delivery_stats_30d(conn: AsyncConnection[Any]) -> DeliveryStats:
    """Root delivery tasks completed in the last 30 days and their median lead time (hours
    from creation to completion; the mean of the middle two for an even count)."""
    return await _one(
        conn,
        _DELIVERY,
        DeliveryStats,
        since=_since(30),
        excluded_sources=sorted(LEAD_TIME_EXCLUDED_SOURCES),
    )


async def roadmap_progress(conn: AsyncConnection[Any]) -> RoadmapProgress:
    """High-priority (P0/P1) tasks in all and completed."""
    return await _one(conn, _ROADMAP, RoadmapProgress)


async def audit_queue(conn: AsyncConnection[Any], *, limit: int = 10) -> list[Task]:
    """The auditor's queue: blocked tasks, then tasks awaiting QA, oldest first in each."""
    return await queries.fetch_all(conn, _AUDIT_QUEUE, model_row(Task), limit=checked_limit(limit))
