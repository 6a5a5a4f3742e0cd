"""The reviewers' turn: QA tests, documenters document, PR reviewers review.

Each takes the next task waiting at its gate in its cell, passes it on or sends it back for
revision (when the task's fate says so), tells the next in line and writes a journal entry.
"""

from __future__ import annotations

from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import TaskStatus
from roboco_sql.models.task import Task, TaskUpdate
from roboco_sql.repos import claims, tasks

from . import words
from .cast import Fate
from .day import Day, original_developer
from .talk import Conn

S = TaskStatus


async def qa(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: claim the next task awaiting QA, then fail or pass it; False if none."""
    await day.talk.inbox(conn, me)
    async with day.tx(conn):
        task = await claims.claim_next(conn, me)
        if task is None:
            return False
        day.moved(task, "claims")
        task = await day.transition(conn, task, S.IN_PROGRESS, me)
    async with day.tx(conn):
        if day.spend(task.id, Fate.QA_FAIL):
            await _qa_fail(day, conn, me, task)
        else:
            await _qa_pass(day, conn, me, task)
    return True


async def _qa_fail(day: Day, conn: Conn, me: Agent, task: Task) -> None:
    await tasks.update_task(
        conn, task.id, TaskUpdate(qa_notes="Fails at 320 px: the layout overflows.")
    )
    task = await day.transition(conn, task, S.NEEDS_REVISION, me)
    dev = day.staff_by_id(task.assigned_to)
    await day.speak(conn, me, words.QA_FAILED, task, to=dev)


async def _qa_pass(day: Day, conn: Conn, me: Agent, task: Task) -> None:
    task = await day.transition(conn, task, S.AWAITING_DOCUMENTATION, me)
    doc = day.cell_agent(task.team, "doc")
    await day.speak(conn, me, words.QA_PASSED, task, to=doc)


async def documenter(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: document the next task awaiting docs and hand it to PR review."""
    assert me.team is not None
    await day.talk.inbox(conn, me)
    async with day.tx(conn):
        ready = await day.waiting_in(conn, S.AWAITING_DOCUMENTATION, me.team, limit=1)
        if not ready:
            return False
        task = day.moved(await claims.claim(conn, ready[0].id, me), "claims")
        task = await day.transition(conn, task, S.IN_PROGRESS, me)
    async with day.tx(conn):
        await tasks.update_task(
            conn,
            task.id,
            TaskUpdate(docs_complete=True, doc_notes=f"Documented in docs/{task.id}.md"),
        )
        # entering the PR gate is a PM's action in RoboCo (submit_up), not the documenter's
        pm = day.cell_agent(task.team, "pm")
        task = await day.transition(conn, task, S.AWAITING_PR_REVIEW, pm)
        reviewer = day.cell_agent(task.team, "pr-reviewer")
        await day.speak(conn, me, words.DOCUMENTED, task, to=reviewer)
    return True


async def pr_reviewer(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: review the next PR, request changes or pass it to the cell PM."""
    assert me.team is not None
    await day.talk.inbox(conn, me)

    async def review(task: Task) -> bool:
        dev = day.staff_by_id(original_developer(task))
        if day.spend(task.id, Fate.PR_FAIL):
            notes = TaskUpdate(pr_reviewer_notes="N+1 queries in the list endpoint.")
            await tasks.update_task(conn, task.id, notes)
            task = await day.transition(conn, task, S.NEEDS_REVISION, me)
            await day.speak(conn, me, words.PR_CHANGES, task, to=dev)
        else:
            await tasks.update_task(conn, task.id, TaskUpdate(pr_reviewer_notes="LGTM"))
            task = await day.transition(conn, task, S.AWAITING_PM_REVIEW, me)
            pm = day.cell_agent(task.team, "pm")
            await day.speak(conn, me, words.PR_APPROVED, task, to=pm)
        return True

    return await day.each_waiting(conn, S.AWAITING_PR_REVIEW, me.team, review, limit=1)
