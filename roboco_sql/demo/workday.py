"""The workday: every agent of the crew at once, each an asyncio task on a pooled connection
of its own, taking turns until the Main PM has shipped every feature (or time runs out)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, Final

from roboco_sql.db import connection
from roboco_sql.errors import RobocoSQLError
from roboco_sql.lifecycle import TERMINAL
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import AgentStatus, JournalEntryType
from roboco_sql.repos import agents, graph

from .cast import CREW, IDLE_WAIT
from .day import Day, Key
from .developers import developer
from .managers import cell_pm, ceo, main_pm
from .reviews import documenter, pr_reviewer, qa
from .talk import Conn, autocommit

Step = Callable[[Day, Conn, Agent], Awaitable[bool]]
"""One turn of an agent: True if it did something, False to wait for a wake-up."""

STEPS: Final[dict[str, Step]] = {
    "dev": developer,
    "qa": qa,
    "doc": documenter,
    "pr": pr_reviewer,
    "pm": cell_pm,
    "main": main_pm,
    "ceo": ceo,
}


def roster(day: Day) -> list[tuple[Agent, Key, Step]]:
    """The crew with what wakes each (its role and cell) and its turn."""
    return [(day.agent(slug), (role, team), STEPS[role]) for slug, role, team in CREW]


async def work(day: Day, me: Agent, key: Key, step: Step, deadline: float) -> None:
    """An agent's day: turns until the day is done, then the inbox and a wrap-up entry."""
    async with connection(day.pool) as conn, autocommit(conn):
        while not day.done:
            if time.monotonic() > deadline:
                return
            wake = day.signals.current(key)
            if not await step(day, conn, me):
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), IDLE_WAIT)
        await day.talk.inbox(conn, me)  # inbox zero before going home
        async with day.tx(conn):
            mine = day.talk.entries.get(me.id, [])
            await day.talk.write(
                conn,
                me,
                JournalEntryType.GENERAL,
                f"Day {day.report.day} wrap-up",
                f"Day {day.report.day} at RoboCo on {day.slug}: as {me.name} I wrote "
                f"{len(mine)} journal entries before this one. Tomorrow: keep the queue "
                "short, ask early when blocked, and review before starting new work.",
            )
            await agents.update_status(conn, me.id, AgentStatus.IDLE, current_task_id=None)


async def run_workday(day: Day, limit: float) -> int:
    """The crew at work until the day is done; raises if it is not within ``limit`` seconds.
    Returns how many agents worked."""
    deadline = time.monotonic() + limit
    crew = roster(day)
    try:
        async with asyncio.TaskGroup() as group:
            for agent, key, step in crew:
                group.create_task(work(day, agent, key, step, deadline))
    except BaseExceptionGroup as errors:
        raise _first_error(errors) from None
    if not day.done:
        async with connection(day.pool) as conn, autocommit(conn):
            stuck = [
                t
                for f in day.features
                for t in await graph.subtree(conn, f.coordination.id)
                if t.status not in TERMINAL
            ]
        shown = "; ".join(f"{s.title} ({s.status})" for s in stuck[:5])
        raise RobocoSQLError(
            f"day {day.report.day} did not finish in {limit:g} s: {len(stuck)} task(s) open: "
            f"{shown}"
        )
    return len(crew)


def _first_error(group: BaseExceptionGroup[Any]) -> BaseException:
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
