"""The end of the day: conversations closed, stale claims and open work sessions swept, and
the day checked from the database's side (no task open, one audit row per status change)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from roboco_sql.db import connection
from roboco_sql.errors import RobocoSQLError
from roboco_sql.lifecycle import TERMINAL
from roboco_sql.models.enums import TaskStatus, WorkSessionStatus
from roboco_sql.repos import a2a, audit, claims, graph, work_sessions

from .cast import CELLS
from .day import Day
from .talk import Conn, autocommit


async def wrap_up(day: Day) -> str:
    """Close the day's conversations, sweep for stale claims, check the audit log, count what's
    left."""
    report = day.report
    c = report.counts
    async with connection(day.pool) as conn, autocommit(conn):
        reaped, left_open = await _close(conn, day)
        statuses, audited = await _tally(conn, day)
    still_open = sum(n for s, n in statuses.items() if TaskStatus(s) not in TERMINAL)
    if still_open:
        raise RobocoSQLError(f"day {report.day} ended with {still_open} task(s) still open")
    if audited != c["transitions"]:
        raise RobocoSQLError(
            f"day {report.day}: {c['transitions']} status changes but {audited} audit rows"
        )
    return (
        f"{audited} audit rows for {c['transitions']} transitions; {reaped} stale claims, "
        f"{left_open} work sessions open"
    )


async def _close(conn: Conn, day: Day) -> tuple[int, int]:
    """The last word to the CEO, every conversation closed, stale claims reaped, open work
    sessions closed; returns the claims reaped and the sessions that were still open."""
    report, c = day.report, day.report.counts
    assert day.board is not None
    await day.talk.say(
        conn,
        day.board,
        day.agent("main-pm"),
        f"Day {report.day} is done: {len(report.task_ids)} tasks closed, "
        f"{c['escalations']} approved by the CEO.",
        mentions=[day.agent("ceo")],
    )
    for conversation_id in day.talk.conversations.values():
        await a2a.close_conversation(conn, conversation_id, resolution="end of the day")
    reaped = await claims.reap_stale_claims(conn, dt.timedelta(hours=1))
    left_open = 0
    seen: set[uuid.UUID] = set()
    for cell in CELLS:
        for ws in await work_sessions.list_work_sessions(
            conn, project_id=day.project(cell), limit=1000
        ):
            seen.add(ws.id)
            if ws.status is WorkSessionStatus.ACTIVE:
                await work_sessions.close_work_session(conn, ws.id)
                left_open += 1
    c["work_sessions"] = len(seen)
    c["conversations"] = len(day.talk.conversations)
    return len(reaped), left_open


async def _tally(conn: Conn, day: Day) -> tuple[Counter[str], int]:
    """The day's tasks by status (into the report) and the audit rows they have."""
    statuses: Counter[str] = Counter()
    audited = 0
    for feature in day.features:
        for task in await graph.subtree(conn, feature.coordination.id):
            statuses[task.status.value] += 1
            audited += len(
                await audit.list_audit_log(conn, target_type="task", target_id=task.id, limit=1000)
            )
    day.report.tasks_by_status = dict(statuses)
    return statuses, audited
