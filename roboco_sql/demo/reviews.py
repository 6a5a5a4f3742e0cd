"""The reviewers' turn: QA tests, documenters document, PR reviewers review.

Each takes the next task waiting at its gate in its cell, passes it on or sends it back for
revision (when the task's fate says so), tells the next in line and writes a journal entry.
"""

from __future__ import annotations

from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import JournalEntryType, NotificationType, TaskStatus
from roboco_sql.models.task import Task, TaskUpdate
from roboco_sql.repos import claims, tasks

from .cast import Fate
from .day import Day, original_developer
from .talk import Conn, Room

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
    room = day.room_of[task.id]
    async with day.tx(conn):
        if day.spend(task.id, Fate.QA_FAIL):
            await _qa_fail(day, conn, me, task, room)
        else:
            await _qa_pass(day, conn, me, task, room)
    return True


async def _qa_fail(day: Day, conn: Conn, me: Agent, task: Task, room: Room) -> None:
    await tasks.update_task(
        conn, task.id, TaskUpdate(qa_notes="Fails at 320 px: the layout overflows.")
    )
    task = await day.transition(conn, task, S.NEEDS_REVISION, me)
    dev = day.staff_by_id(task.assigned_to)
    await day.talk.say(
        conn,
        room,
        me,
        f"'{task.title}' goes back: it overflows at 320 px. @{dev.slug}",
        task=task,
        mentions=[dev],
    )
    await day.talk.notify(
        conn,
        me,
        [dev],
        NotificationType.TASK_ASSIGNMENT,
        f"Revision: {task.title}",
        body="QA found a layout overflow at 320 px.",
        task=task,
    )
    await day.talk.write(
        conn,
        me,
        JournalEntryType.LEARNING,
        f"Narrow screens break {task.title}",
        f"Testing {task.title} I found the layout overflows at 320 px. Lesson: "
        "start every QA pass at the narrowest supported width, where overflow "
        "bugs show first, and ask designers for the breakpoints up front.",
        task=task,
    )


async def _qa_pass(day: Day, conn: Conn, me: Agent, task: Task, room: Room) -> None:
    task = await day.transition(conn, task, S.AWAITING_DOCUMENTATION, me)
    doc = day.cell_agent(task.team, "doc")
    await day.talk.say(conn, room, me, f"'{task.title}' passes QA.", task=task)
    await day.talk.notify(
        conn,
        me,
        [doc],
        NotificationType.DOCUMENTATION_REQUEST,
        f"Docs please: {task.title}",
        body="QA passed; the behaviour is final.",
        task=task,
    )
    await day.talk.write(
        conn,
        me,
        JournalEntryType.TASK_REFLECTION,
        f"QA passed {task.title}",
        f"Verified {task.title} against every acceptance criterion: happy path, "
        "empty states, errors and the narrow layout. The checklist from the last "
        "revision paid off again.",
        task=task,
    )


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
        await day.talk.say(conn, day.room_of[task.id], me, f"Docs for '{task.title}' are in.")
        await day.talk.notify(
            conn,
            me,
            [reviewer],
            NotificationType.REVIEW_REQUEST,
            f"PR review: {task.title}",
            body=f"PR #{task.pr_number}, docs included.",
            task=task,
        )
        await day.talk.write(
            conn,
            me,
            JournalEntryType.GENERAL,
            f"Documented {task.title}",
            f"Wrote the user guide and the changelog entry for {task.title}. Screenshots "
            "come from the QA run, so they match what ships; the how-to leads with the "
            "most common task.",
            task=task,
        )
    return True


async def pr_reviewer(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: review the next PR, request changes or pass it to the cell PM."""
    assert me.team is not None
    await day.talk.inbox(conn, me)
    async with day.tx(conn):
        ready = await day.waiting_in(conn, S.AWAITING_PR_REVIEW, me.team, limit=1)
        if not ready:
            return False
        task = ready[0]
        dev = day.staff_by_id(original_developer(task))
        if day.spend(task.id, Fate.PR_FAIL):
            await tasks.update_task(
                conn,
                task.id,
                TaskUpdate(pr_reviewer_notes="N+1 queries in the list endpoint."),
            )
            task = await day.transition(conn, task, S.NEEDS_REVISION, me)
            await day.talk.notify(
                conn,
                me,
                [dev],
                NotificationType.TASK_ASSIGNMENT,
                f"PR changes requested: {task.title}",
                body="The list endpoint issues one query per row; batch it.",
                task=task,
            )
            verdict = "requested changes: the list endpoint issues one query per row"
        else:
            await tasks.update_task(conn, task.id, TaskUpdate(pr_reviewer_notes="LGTM"))
            task = await day.transition(conn, task, S.AWAITING_PM_REVIEW, me)
            pm = day.cell_agent(task.team, "pm")
            await day.talk.notify(
                conn,
                me,
                [pm],
                NotificationType.REVIEW_REQUEST,
                f"Ready for PM review: {task.title}",
                body=f"PR #{task.pr_number} approved.",
                task=task,
            )
            verdict = "approved it: small diff, tests cover the new paths"
        await day.talk.write(
            conn,
            me,
            JournalEntryType.DECISION_LOG,
            f"Reviewed PR #{task.pr_number}",
            f"Reviewed PR #{task.pr_number} for {task.title} and {verdict}. I read the "
            "tests first, then the diff, and checked the queries the change adds.",
            task=task,
        )
    return True
