"""The developers' turn: claim the next task, commit, open a PR and hand it to QA.

On its way a subtask may meet its fate (see :class:`~.cast.Fate`): handed back to the pool,
blocked on a question to the cell PM, or blocked on the Main PM's decision. A task sent back
for revision comes round again through ``claim_next`` with its PR already open.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from roboco_sql.errors import RobocoSQLError
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import (
    A2AMessageKind,
    AgentStatus,
    TaskStatus,
)
from roboco_sql.models.task import Task, TaskUpdate
from roboco_sql.repos import agents, claims, graph, tasks, work_sessions

from . import words
from .cast import FILES, Fate, cell_slug
from .day import Day
from .talk import Conn, Room

S = TaskStatus


async def developer(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: resume a task unblocked meanwhile, else claim the next; False if none."""
    assert me.team is not None
    await day.talk.inbox(conn, me)
    async with day.tx(conn):
        resumed = await tasks.list_tasks(
            conn,
            status=S.IN_PROGRESS,
            assigned_to=me.id,
            project_id=day.project(me.team),
            limit=1,
        )
    if resumed:  # unblocked while it worked on something else
        await build(day, conn, me, resumed[0], resumed=True)
        return True
    async with day.tx(conn):
        task = await claims.claim_next(conn, me)
        if task is None:
            return False
        day.moved(task, "claims")
        await agents.update_status(conn, me.id, AgentStatus.ACTIVE, current_task_id=task.id)
        revision = task.pr_number is not None
        await day.talk.say(
            conn,
            day.room_of[task.id],
            me,
            f"{'Back on' if revision else 'Picking up'} '{task.title}' on {task.branch_name}.",
            task=task,
            kind=A2AMessageKind.MESSAGE,
        )
    await build(day, conn, me, task, resumed=False)
    return True


async def build(day: Day, conn: Conn, me: Agent, task: Task, *, resumed: bool) -> None:
    """Start (unless resumed), commit, then block on the task's fate or submit it for QA."""
    room = day.room_of[task.id]
    session_id = task.work_session_id
    if session_id is None:
        raise RobocoSQLError(
            f"task {task.id}: a developer's claim opened no work session (branch "
            f"{task.branch_name!r}, project {task.project_id})"
        )
    if not resumed:
        if day.spend(task.id, Fate.RELEASE):
            await _release(day, conn, me, task, room)
            return
        async with day.tx(conn):
            task = await day.transition(conn, task, S.IN_PROGRESS, me)
    revision = task.pr_number is not None
    feature = task.title.split(" for ", 1)[-1]
    n = day.count["commits"]
    async with day.tx(conn):
        sha = hashlib.sha1(f"{task.id}:{n}:{resumed}".encode()).hexdigest()
        files = [f.format(f=re.sub(r"\W+", "_", feature)) for f in FILES[task.team]]
        await work_sessions.record_commits(conn, session_id, [sha], files)
        await claims.heartbeat(conn, task.id, me)
        day.count["commits"] += 1
    if not resumed and day.spend(task.id, Fate.WAIT_REPLY):
        await _ask_pm(day, conn, me, task, room, feature=feature)
        return
    if not resumed and day.spend(task.id, Fate.ON_DECISION):
        await _wait_on_decision(day, conn, me, task, room)
        return
    await _submit_for_qa(day, conn, me, task, session_id=session_id, revision=revision)


async def _release(day: Day, conn: Conn, me: Agent, task: Task, room: Room) -> None:
    async with day.tx(conn):
        back = await claims.release(conn, task.id, me)
        day.moved(back, "releases")
        await day.talk.say(
            conn,
            room,
            me,
            f"Handing '{task.title}' back to the pool: my pair knows this part "
            "of the design system better.",
            task=task,
        )
        await agents.update_status(conn, me.id, AgentStatus.IDLE, current_task_id=None)


async def _ask_pm(day: Day, conn: Conn, me: Agent, task: Task, room: Room, *, feature: str) -> None:
    pm = day.cell_agent(task.team, "pm")
    async with day.tx(conn):
        await day.transition(conn, task, S.BLOCKED, me)
        await day.talk.escalate(
            conn,
            room,
            me,
            pm,
            task=task,
            text=f"Blocked on '{task.title}': should {feature} keep the old endpoint "
            f"during the rollout? @{pm.slug}",
            subject=f"Question blocks {task.title}",
            body="Keep the old endpoint during the rollout?",
        )


async def _wait_on_decision(day: Day, conn: Conn, me: Agent, task: Task, room: Room) -> None:
    main = day.agent("main-pm")
    decision = day.feature_of(task).coordination
    async with day.tx(conn):
        blocked = await graph.add_blocker(conn, task.id, decision.id, raised_by=me)
        if blocked.status is S.BLOCKED:
            day.moved(blocked, "blocks")
        await day.talk.escalate(
            conn,
            room,
            me,
            main,
            task=task,
            text=f"'{task.title}' waits on a product decision in "
            f"'{decision.title}': which storage tier? @main-pm",
            subject=f"Decision needed for {task.title}",
            body="Which storage tier should the data model target?",
        )


async def _submit_for_qa(
    day: Day,
    conn: Conn,
    me: Agent,
    task: Task,
    *,
    session_id: uuid.UUID,
    revision: bool,
) -> None:
    """Open the PR (a revision has one), verify, hand over to QA, and write it down."""
    async with day.tx(conn):
        if not revision:
            day.pr_numbers += 1
            number = day.pr_numbers
            url = f"https://git.example.com/roboco/{day.slug}-{cell_slug(task.team)}/pull/{number}"
            await work_sessions.record_pr(conn, session_id, number, url)
            await tasks.update_task(
                conn,
                task.id,
                TaskUpdate(pr_number=number, pr_url=url, pr_created=True, dev_notes="ready"),
            )
            day.count["prs"] += 1
        task = await day.transition(conn, task, S.VERIFYING, me)
        task = await day.transition(conn, task, S.AWAITING_QA, me)
        qa = day.cell_agent(task.team, "qa")
        await day.speak(conn, me, words.FOR_QA, task, to=qa)
        reflection = words.REWORKED if revision else words.BUILT
        await day.speak(conn, me, reflection, task)
        await agents.update_status(conn, me.id, AgentStatus.IDLE, current_task_id=None)
