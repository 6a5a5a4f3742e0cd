"""The managers' turn: the cell PMs, the Main PM and the CEO.

A cell PM grooms its backlog in the morning, answers questions that block its developers,
reviews finished work (accepting and merging it, or sending it back) and closes its cell's task
once every subtask is closed. The Main PM resolves the decisions developers wait on, escalates
what needs the board to the CEO and ships a feature once its three cells are done; the CEO
approves what is escalated.
"""

from __future__ import annotations

from roboco_sql.lifecycle import TERMINAL
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import (
    A2AMessageKind,
    JournalEntryType,
    NotificationType,
    TaskStatus,
    Team,
)
from roboco_sql.models.task import Task
from roboco_sql.repos import claims, graph, work_sessions

from .cast import CELLS, Fate
from .day import Day, Feature, original_developer
from .talk import Conn

S = TaskStatus


async def merge_and_complete(day: Day, conn: Conn, task: Task, me: Agent, to: TaskStatus) -> Task:
    if task.work_session_id is not None:
        await work_sessions.record_merge(conn, task.work_session_id, me.id)
        day.count["merges"] += 1
    return await day.transition(conn, task, to, me)


# -- a cell's PM ----------------------------------------------------------------------------------


async def cell_pm(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: groom (the first), answer, review, close; True if any of them did something."""
    team = me.team
    assert team is not None
    await day.talk.inbox(conn, me)
    did = await _groom(day, conn, me, team)
    did = await _answer_questions(day, conn, me, team) or did
    did = await _review(day, conn, me, team) or did
    for feature in day.features:
        did = await _close_cell(day, conn, me, feature, team) or did
    return did


async def _groom(day: Day, conn: Conn, me: Agent, team: Team) -> bool:
    """The morning: the spikes are descoped, the backlog's work is made ready."""
    if me.id in day.started_pms:
        return False
    day.started_pms.add(me.id)
    async with day.tx(conn):
        for feature in day.features:
            for spike in feature.spikes:
                if spike.team == team:
                    await day.transition(conn, spike, S.CANCELLED, me)
        for task in day.from_backlog:
            if task.team == team:
                await day.transition(conn, task, S.PENDING, me)
    return True


async def _answer_questions(day: Day, conn: Conn, me: Agent, team: Team) -> bool:
    did = False
    async with day.tx(conn):
        for task in await day.waiting_in(conn, S.BLOCKED, team):
            if day.fate(task.id) is Fate.WAIT_REPLY:
                await day.talk.say(
                    conn,
                    day.room_of[task.id],
                    me,
                    "Yes: keep the old endpoint until the rollout reaches 100%.",
                    task=task,
                    kind=A2AMessageKind.RESPONSE,
                )
                await day.transition(conn, task, S.IN_PROGRESS, me)
                did = True
    return did


async def _review(day: Day, conn: Conn, me: Agent, team: Team) -> bool:
    did = False
    async with day.tx(conn):
        for task in await day.waiting_in(conn, S.AWAITING_PM_REVIEW, team, limit=5):
            if day.fate(task.id) is Fate.ESCALATE:
                continue  # the Main PM takes it to the CEO
            await _review_one(day, conn, me, task)
            did = True
    return did


async def _review_one(day: Day, conn: Conn, me: Agent, task: Task) -> None:
    dev = day.staff_by_id(original_developer(task))
    if day.spend(task.id, Fate.PM_REJECT):
        await day.transition(conn, task, S.NEEDS_REVISION, me)
        await day.talk.notify(
            conn,
            me,
            [dev],
            NotificationType.TASK_ASSIGNMENT,
            f"Not yet: {task.title}",
            body="The empty state copy does not match the spec.",
            task=task,
        )
        await day.talk.say(
            conn,
            day.room_of[task.id],
            me,
            f"'{task.title}' goes back: the empty state copy is off. @{dev.slug}",
            task=task,
            mentions=[dev],
        )
        verdict = "sent it back: the empty state copy does not match the spec"
    else:
        await merge_and_complete(day, conn, task, me, S.COMPLETED)
        verdict = "accepted it and merged the PR"
    await day.talk.write(
        conn,
        me,
        JournalEntryType.DECISION_LOG,
        f"PM review of {task.title}",
        f"Reviewed {task.title} against the acceptance criteria and {verdict}. "
        "Reviewing in the morning and after lunch keeps the queue short.",
        task=task,
    )


async def _close_cell(day: Day, conn: Conn, me: Agent, feature: Feature, team: Team) -> bool:
    """The cell's task of the feature, completed once all its subtasks are closed."""
    child = feature.children[team]
    if child.status in TERMINAL:
        return False
    async with day.tx(conn):
        tree = await graph.subtree(conn, child.id)
        if any(t.status not in TERMINAL for t in tree[1:]):
            return False
        child = day.moved(await claims.claim(conn, child.id, me), "claims")
        child = await day.transition(conn, child, S.IN_PROGRESS, me)
        child = await day.transition(conn, child, S.COMPLETED, me)
        await day.talk.say(
            conn,
            feature.rooms[team],
            me,
            f"'{child.title}' is done: {len(tree) - 1} subtasks closed.",
            task=child,
            kind=A2AMessageKind.RESPONSE,
        )
        await day.talk.write(
            conn,
            me,
            JournalEntryType.TASK_REFLECTION,
            f"Closed {child.title}",
            f"All {len(tree) - 1} subtasks of {child.title} are closed. The spike was "
            "descoped in the morning, which kept the cell on the critical path.",
            task=child,
        )
    feature.children[team] = child  # committed: the Main PM may close the feature
    return True


# -- the Main PM --------------------------------------------------------------------------------


async def main_pm(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: decide, escalate, ship; the day is done once every feature has shipped."""
    await day.talk.inbox(conn, me)
    did = False
    for team in CELLS:
        did = await _decide(day, conn, me, team) or did
        did = await _escalate(day, conn, me, team) or did
    for feature in day.features:
        did = await _ship(day, conn, me, feature) or did
    if all(f.coordination.status is S.COMPLETED for f in day.features):
        day.done = True
        day.signals.kick_all()
    return did


async def _decide(day: Day, conn: Conn, me: Agent, team: Team) -> bool:
    """The product decisions the cell's blocked tasks wait on, made; the tasks unblocked."""
    coordinations = {f.coordination.id for f in day.features}
    did = False
    async with day.tx(conn):
        for task in await day.waiting_in(conn, S.BLOCKED, team):
            waits_on = [d for d in task.dependency_ids if d in coordinations]
            for decision in waits_on:
                await day.talk.say(
                    conn,
                    day.room_of[task.id],
                    me,
                    f"Decision for '{task.title}': the standard storage tier.",
                    task=task,
                    kind=A2AMessageKind.RESPONSE,
                )
                moved = await graph.resolve_blocker(conn, task.id, decision, me)
                if moved.status is not S.BLOCKED:
                    day.moved(moved, "unblocks")
                did = True
    return did


async def _escalate(day: Day, conn: Conn, me: Agent, team: Team) -> bool:
    """Reviewed work that changes billing, taken to the CEO."""
    did = False
    async with day.tx(conn):
        for ready in await day.waiting_in(conn, S.AWAITING_PM_REVIEW, team, limit=5):
            if day.fate(ready.id) is not Fate.ESCALATE:
                continue
            task = await day.transition(conn, ready, S.AWAITING_CEO_APPROVAL, me)
            ceo = day.agent("ceo")
            assert day.board is not None
            await day.talk.say(
                conn,
                day.board,
                me,
                f"'{task.title}' changes what customers are billed; it needs your approval. @ceo",
                task=task,
                mentions=[ceo],
            )
            await day.talk.notify(
                conn,
                me,
                [ceo],
                NotificationType.APPROVAL,
                f"Approval needed: {task.title}",
                body=f"PR #{task.pr_number}; QA, docs and review passed.",
                task=task,
            )
            await day.talk.write(
                conn,
                me,
                JournalEntryType.DECISION_LOG,
                f"Escalated {task.title}",
                f"Escalated {task.title} to the CEO: it changes what customers are "
                "billed, which is the board's call, not the cell's.",
                task=task,
            )
            did = True
    return did


async def _ship(day: Day, conn: Conn, me: Agent, feature: Feature) -> bool:
    """The feature's coordination task, completed once its three cells are done."""
    coordination = feature.coordination
    if coordination.status in TERMINAL:
        return False
    if any(c.status not in TERMINAL for c in feature.children.values()):
        return False
    async with day.tx(conn):
        done = await day.transition(conn, coordination, S.COMPLETED, me)
        await day.talk.write(
            conn,
            me,
            JournalEntryType.TASK_REFLECTION,
            f"Shipped {feature.name}",
            f"{feature.name} shipped across all three cells today. UX/UI went first, "
            "backend and frontend followed on its design; one escalation, no slips.",
            task=done,
        )
    feature.coordination = done
    return True


# -- the CEO --------------------------------------------------------------------------------------


async def ceo(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: approve, merge and complete what the Main PM escalated."""
    await day.talk.inbox(conn, me)
    did = False
    for team in CELLS:
        async with day.tx(conn):
            for ready in await day.waiting_in(conn, S.AWAITING_CEO_APPROVAL, team):
                task = await merge_and_complete(day, conn, ready, me, S.COMPLETED)
                assert day.board is not None
                await day.talk.say(
                    conn,
                    day.board,
                    me,
                    f"Approved '{task.title}'. Ship it.",
                    task=task,
                    kind=A2AMessageKind.RESPONSE,
                )
                await day.talk.write(
                    conn,
                    me,
                    JournalEntryType.DECISION_LOG,
                    f"Approved {task.title}",
                    f"Approved {task.title}: the pricing change is reversible and the "
                    "billing tests cover the edge cases the board asked about.",
                    task=task,
                )
                did = True
    return did
