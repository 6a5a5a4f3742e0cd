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
    TaskStatus,
    Team,
)
from roboco_sql.models.task import Task
from roboco_sql.repos import claims, graph, work_sessions

from . import words
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
    async def answer(task: Task) -> bool:
        if day.fate(task.id) is not Fate.WAIT_REPLY:
            return False
        await day.speak(conn, me, words.ANSWERED, task)
        await day.transition(conn, task, S.IN_PROGRESS, me)
        return True

    return await day.each_waiting(conn, S.BLOCKED, team, answer)


async def _review(day: Day, conn: Conn, me: Agent, team: Team) -> bool:
    async def review(task: Task) -> bool:
        if day.fate(task.id) is Fate.ESCALATE:
            return False  # the Main PM takes it to the CEO
        dev = day.staff_by_id(original_developer(task))
        if day.spend(task.id, Fate.PM_REJECT):
            await day.transition(conn, task, S.NEEDS_REVISION, me)
            await day.speak(conn, me, words.PM_REJECTED, task, to=dev)
        else:
            await merge_and_complete(day, conn, task, me, S.COMPLETED)
            await day.speak(conn, me, words.PM_ACCEPTED, task)
        return True

    return await day.each_waiting(conn, S.AWAITING_PM_REVIEW, team, review, limit=5)


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
        await day.speak(
            conn, me, words.CELL_CLOSED, child, room=feature.rooms[team], n=len(tree) - 1
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

    async def decide(task: Task) -> bool:
        waits_on = [d for d in task.dependency_ids if d in coordinations]
        for decision in waits_on:
            await day.speak(conn, me, words.DECIDED, task)
            moved = await graph.resolve_blocker(conn, task.id, decision, me)
            if moved.status is not S.BLOCKED:
                day.moved(moved, "unblocks")
        return bool(waits_on)

    return await day.each_waiting(conn, S.BLOCKED, team, decide)


async def _escalate(day: Day, conn: Conn, me: Agent, team: Team) -> bool:
    """Reviewed work that changes billing, taken to the CEO."""

    async def escalate(ready: Task) -> bool:
        if day.fate(ready.id) is not Fate.ESCALATE:
            return False
        task = await day.transition(conn, ready, S.AWAITING_CEO_APPROVAL, me)
        assert day.board is not None
        await day.speak(conn, me, words.ESCALATED, task, room=day.board, to=day.agent("ceo"))
        return True

    return await day.each_waiting(conn, S.AWAITING_PM_REVIEW, team, escalate, limit=5)


async def _ship(day: Day, conn: Conn, me: Agent, feature: Feature) -> bool:
    """The feature's coordination task, completed once its three cells are done."""
    coordination = feature.coordination
    if coordination.status in TERMINAL:
        return False
    if any(c.status not in TERMINAL for c in feature.children.values()):
        return False
    async with day.tx(conn):
        done = await day.transition(conn, coordination, S.COMPLETED, me)
        await day.speak(conn, me, words.SHIPPED, done, feature=feature.name)
    feature.coordination = done
    return True


# -- the CEO --------------------------------------------------------------------------------------


async def ceo(day: Day, conn: Conn, me: Agent) -> bool:
    """One turn: approve, merge and complete what the Main PM escalated."""
    await day.talk.inbox(conn, me)

    async def approve(ready: Task) -> bool:
        task = await merge_and_complete(day, conn, ready, me, S.COMPLETED)
        assert day.board is not None
        await day.speak(conn, me, words.APPROVED, task, room=day.board)
        return True

    did = False
    for team in CELLS:
        did = await day.each_waiting(conn, S.AWAITING_CEO_APPROVAL, team, approve) or did
    return did
