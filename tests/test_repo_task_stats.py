"""roboco_sql.repos.task_stats against a real database: RoboCo's dashboard, metrics and cockpit
aggregates, each checked against figures worked out by hand."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql.errors import ValidationError
from roboco_sql.models.enums import TaskStatus, Team
from roboco_sql.repos import task_stats as ts
from tests.test_repo_task_queues import World, make_world

Conn = AsyncConnection[Any]
S = TaskStatus


def ago(hours: float = 0, days: float = 0) -> dt.datetime:
    """A moment before now; the aggregates read the clock a moment later."""
    return dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours, days=days)


@pytest.fixture
async def w(conn: Conn) -> World:
    return await make_world(conn)


async def test_counts_by_status_and_team(w: World) -> None:
    assert await ts.count_by_status(w.conn) == {}
    for status, team in [
        ("pending", "backend"),
        ("pending", "backend"),
        ("blocked", "backend"),
        ("blocked", "frontend"),
        ("completed", "frontend"),
    ]:
        await w.task(status=status, team=team)
    assert await ts.count_by_status(w.conn) == {S.PENDING: 2, S.BLOCKED: 2, S.COMPLETED: 1}
    assert await ts.count_by_status(w.conn, team=Team.FRONTEND) == {S.BLOCKED: 1, S.COMPLETED: 1}
    assert await ts.count_by_team(w.conn) == {Team.BACKEND: 3, Team.FRONTEND: 2}
    blocked = await ts.count_by_team(w.conn, status=S.BLOCKED)
    assert blocked == {Team.BACKEND: 1, Team.FRONTEND: 1}


async def test_velocity_over_a_window(w: World) -> None:
    old = ago(days=20)
    await w.task(status="completed", created_at=old, started_at=ago(5), completed_at=ago(3))
    await w.task(status="completed", created_at=old, started_at=ago(9), completed_at=ago(5))
    await w.task(status="completed", created_at=old, completed_at=ago(1))  # no start
    await w.task(
        status="completed", created_at=old, started_at=ago(days=11), completed_at=ago(days=10)
    )
    await w.task(status="cancelled", created_at=old, completed_at=ago(2))  # not completed
    await w.task(created_at=ago(days=2))
    await w.task(created_at=ago(days=1), team="frontend")

    v = await ts.velocity(w.conn)
    assert (v.tasks_completed, v.tasks_created) == (3, 2)
    assert v.avg_completion_hours == pytest.approx(3.0)
    assert v.completion_rate == pytest.approx(1.5)
    month = await ts.velocity(w.conn, days=30)
    assert (month.tasks_completed, month.tasks_created) == (4, 7)
    assert month.avg_completion_hours == pytest.approx((2 + 4 + 24) / 3)
    frontend = await ts.velocity(w.conn, team=Team.FRONTEND)
    assert (frontend.tasks_completed, frontend.tasks_created) == (0, 1)
    assert frontend.avg_completion_hours is None and frontend.completion_rate == 0.0


async def test_team_and_agent_metrics(w: World) -> None:
    dev = await w.agent("be-dev-1", name="Backend Dev")
    for status in ("claimed", "in_progress", "verifying", "awaiting_qa", "blocked", "pending"):
        await w.task(status=status)
    await w.task(status="in_progress", team="frontend")
    await w.task(
        status="completed", assigned_to=dev, started_at=ago(6), completed_at=ago(1), dev_notes="x"
    )
    await w.task(status="completed", assigned_to=dev, started_at=ago(4), completed_at=ago(3))
    await w.task(status="completed", assigned_to=dev, completed_at=ago(days=9), dev_notes="y")

    team = await ts.team_metrics(w.conn, Team.BACKEND)
    assert (team.active_tasks, team.blocked_tasks, team.completed_tasks_week) == (4, 1, 2)
    assert team.avg_completion_hours == pytest.approx(3.0)
    assert (team.completed_total, team.completed_with_notes) == (3, 2)
    assert team.documentation_coverage == pytest.approx(2 / 3)
    empty = await ts.team_metrics(w.conn, Team.UX_UI)
    assert empty.documentation_coverage == 0.0 and empty.avg_completion_hours is None

    agent = await ts.agent_metrics(w.conn, dev)
    assert agent is not None
    assert (agent.agent_name, agent.tasks_completed_week) == ("Backend Dev", 2)
    assert agent.avg_completion_hours == pytest.approx(3.0)
    assert agent.current_task_id is None
    idle = await ts.agent_metrics(w.conn, w.creator)
    assert idle is not None and idle.tasks_completed_week == 0 and idle.avg_completion_hours is None
    assert await ts.agent_metrics(w.conn, uuid.uuid4()) is None


async def test_health_counts_and_verdict(w: World) -> None:
    healthy = await ts.health_counts(w.conn)
    assert (healthy.active_tasks, healthy.blocked_ratio, healthy.status) == (0, 0.0, "ok")
    for _ in range(6):
        await w.task(status="in_progress")
    slow = await ts.health_counts(w.conn)
    assert (slow.active_tasks, slow.completed_this_week, slow.status) == (6, 0, "slow")
    await w.task(status="completed", completed_at=ago(2))
    assert (await ts.health_counts(w.conn)).status == "ok"
    await w.task(status="blocked")
    slow_blocked = await ts.health_counts(w.conn)  # 1 of 7 active blocked: 14%, still ok
    assert (slow_blocked.blocked_tasks, slow_blocked.status) == (1, "ok")
    await w.task(status="blocked", team="frontend")
    assert (await ts.health_counts(w.conn)).status == "slow"  # 2 of 8: 25%
    frontend = await ts.health_counts(w.conn, team=Team.FRONTEND)
    assert (frontend.active_tasks, frontend.blocked_ratio, frontend.status) == (1, 1.0, "critical")


async def test_blocker_stats_prefer_the_blocked_audit_row(w: World) -> None:
    none = await ts.blocker_stats(w.conn)
    assert none.active_blockers == 0 and none.avg_blocked_hours is None
    assert none.longest_blocked_task_id is None
    audited = await w.task(status="blocked", updated_at=ago(1))
    for hours, event in ((10, "task.blocked"), (30, "task.blocked"), (2, "task.claimed")):
        await w.conn.execute(
            "INSERT INTO audit_log (id, event_type, target_type, target_id, severity, details,"
            " timestamp) VALUES (%s, %s, 'task', %s, 'info', %s, %s)",
            (uuid.uuid4(), event, audited, Json({}), ago(hours)),
        )
    await w.task(status="blocked", updated_at=ago(2))
    await w.task(status="blocked", updated_at=None, created_at=ago(4))
    await w.task(status="in_progress", updated_at=ago(50))

    stats = await ts.blocker_stats(w.conn)
    assert stats.active_blockers == 3
    assert stats.avg_blocked_hours == pytest.approx((10 + 2 + 4) / 3, abs=0.01)
    assert stats.longest_blocked_task_id == audited  # the latest task.blocked row: 10 h ago
    assert stats.longest_blocked_hours == pytest.approx(10, abs=0.01)


async def test_delivery_stats_over_thirty_days(w: World) -> None:
    empty = await ts.delivery_stats_30d(w.conn)
    assert (empty.completed_30d, empty.median_lead_time_hours) == (0, None)
    root = None
    for lead in (2, 4, 10, 6):
        root = await w.task(status="completed", created_at=ago(lead + 1), completed_at=ago(1))
    await w.task(status="completed", parent_task_id=root, created_at=ago(99), completed_at=ago(1))
    await w.task(
        status="completed", task_type="administrative", created_at=ago(99), completed_at=ago(1)
    )
    for source in ("x_post", "release_manager", "video_post", "x_feature_exploration"):
        await w.task(status="completed", source=source, created_at=ago(99), completed_at=ago(1))
    await w.task(status="completed", created_at=ago(days=41), completed_at=ago(days=40))
    await w.task(status="in_progress", created_at=ago(99))

    stats = await ts.delivery_stats_30d(w.conn)
    assert stats.completed_30d == 4
    assert stats.median_lead_time_hours == pytest.approx(5.0)  # the mean of 4 and 6


async def test_roadmap_progress_and_audit_queue(w: World) -> None:
    assert (await ts.roadmap_progress(w.conn)).progress == 0.0
    await w.task(priority=0, status="completed")
    await w.task(priority=1)
    await w.task(priority=1, status="completed")
    await w.task(priority=2, status="completed")
    progress = await ts.roadmap_progress(w.conn)
    assert (progress.high_priority_total, progress.high_priority_completed) == (3, 2)
    assert progress.progress == pytest.approx(2 / 3)

    qa_first_made = await w.task(status="awaiting_qa")
    blocked_a = await w.task(status="blocked")
    blocked_b = await w.task(status="blocked")
    await w.task(status="in_progress")
    queue = await ts.audit_queue(w.conn)
    assert [t.id for t in queue] == [blocked_a, blocked_b, qa_first_made]
    assert [t.id for t in await ts.audit_queue(w.conn, limit=2)] == [blocked_a, blocked_b]


async def test_bad_input_is_refused_before_sql(conn: Conn) -> None:
    await conn.close()  # any SQL would now fail with a different error
    bad: list[tuple[Any, str]] = [
        (ts.velocity(conn, days=0), "days must be"),
        (ts.velocity(conn, team="crew"), "team must be one of"),  # type: ignore[arg-type]
        (ts.team_metrics(conn, None), "team must be one of"),  # type: ignore[arg-type]
        (ts.agent_metrics(conn, "be-dev-1"), "agent_id must be a UUID"),  # type: ignore[arg-type]
        (ts.count_by_team(conn, status="stuck"), "status must be one of"),  # type: ignore[arg-type]
        (ts.audit_queue(conn, limit=5000), "limit must be between"),
        (ts.health_counts(conn, days=True), "days must be"),  # a bool, an int to mypy
    ]
    for call, message in bad:
        with pytest.raises(ValidationError, match=message):
            await call
