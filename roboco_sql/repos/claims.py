"""Claiming tasks: claim one, claim the next from the queue, heartbeat, release, reap.

A claim is one statement (sql/queries/claims.sql): the row is taken ``FOR UPDATE SKIP
LOCKED``, so any number of workers draining the queue never wait on each other and never
take the same task; the same statement stamps the claimant, names the branch, opens the work
session and writes the audit row. Who may claim what is RoboCo's claim rule
(:data:`roboco_sql.lifecycle.CLAIMABLE_BY_ROLE`), not the edge table's role gates.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from types import MappingProxyType
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import scalar_row

from roboco_sql import lifecycle, queries
from roboco_sql.errors import Conflict, TransitionRefused, ValidationError
from roboco_sql.lifecycle import CLAIMABLE_BY_ROLE, EDGES, MAX_DEPTH, PR_REVIEW_SOURCES
from roboco_sql.models.enums import AgentRole, TaskStatus, TaskType
from roboco_sql.models.task import Task, TaskUpdate
from roboco_sql.repos import graph, tasks
from roboco_sql.repos._errors import translated
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._task_common import task_not_found
from roboco_sql.repos.transitions import (
    EFFECTS,
    SYSTEM,
    Actor,
    ActorLike,
    Owner,
    actor_of,
    apply_transition,
)
from roboco_sql.validate import check_span

__all__ = [
    "ANY_TEAM_ROLES",
    "REVIEW_QUEUES",
    "claim",
    "claim_next",
    "claim_review",
    "heartbeat",
    "reap_stale_claims",
    "release",
    "reset_to_pending",
    "touch",
]

_Q = queries.load()
_CLAIM = _Q["claims.claim_task"]
_HEARTBEAT = _Q["claims.heartbeat_task"]
_REAP = _Q["claims.reap_stale_claims"]
_CLAIM_REVIEW = _Q["claims.claim_review_task"]
_UNASSIGN_PENDING = _Q["claims.release_pending_assignment"]
_ROW = model_row(Task)
_PR_REVIEW_SOURCES = sorted(PR_REVIEW_SOURCES)

_R = AgentRole
ANY_TEAM_ROLES: Final = frozenset({_R.MAIN_PM, _R.PRODUCT_OWNER, _R.HEAD_MARKETING, _R.AUDITOR})
"""Management roles RoboCo lets claim tasks of any team; every other role only its own."""

# QA and documenters may not claim work they developed themselves.
_SELF_REVIEW_GUARDED: Final = frozenset({_R.QA, _R.DOCUMENTER})
# Only a developer's claim opens a work session (QA, docs and PMs review existing work).
_SESSION_ROLES: Final = frozenset({_R.DEVELOPER})
_RELEASABLE: Final = (
    TaskStatus.CLAIMED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.VERIFYING,
    TaskStatus.NEEDS_REVISION,
    TaskStatus.BLOCKED,
)
_RESETTABLE: Final = (TaskStatus.CLAIMED, TaskStatus.IN_PROGRESS)
# The review queue each role claims in place (RoboCo's qa_claim, doc_claim, pr_gate_claim and
# the PM's claim of an ownerless review task).
REVIEW_QUEUES: Final = MappingProxyType(
    {
        _R.QA: TaskStatus.AWAITING_QA,
        _R.DOCUMENTER: TaskStatus.AWAITING_DOCUMENTATION,
        _R.PR_REVIEWER: TaskStatus.AWAITING_PR_REVIEW,
        _R.CELL_PM: TaskStatus.AWAITING_PM_REVIEW,
        _R.MAIN_PM: TaskStatus.AWAITING_PM_REVIEW,
    }
)
_REVIEW_ANY_TEAM: Final = ANY_TEAM_ROLES | {_R.PR_REVIEWER}
_REVIEWERS: Final = frozenset({_R.QA, _R.DOCUMENTER, _R.PR_REVIEWER})


def _rules_agree() -> None:
    """The claim rule never asks for an edge the lifecycle lacks or a gate it closes, and the
    reaper's edges are open to the system; checked once, at import."""
    for role, statuses in CLAIMABLE_BY_ROLE.items():
        for status in statuses:
            edge = EDGES[(status, TaskStatus.CLAIMED)]
            assert not edge.preconditions and (edge.roles is None or role in edge.roles)
    for status in (TaskStatus.CLAIMED, TaskStatus.IN_PROGRESS):
        assert EDGES[(status, TaskStatus.PENDING)].roles is None


_rules_agree()


def _params(who: Actor, task_id: uuid.UUID | None, statuses: list[TaskStatus]) -> dict[str, Any]:
    if who.id is None:
        raise ValidationError("a claim needs an agent id")
    return {
        "task_id": task_id,
        "statuses": statuses,
        "any_team": who.role in ANY_TEAM_ROLES,
        "team": who.team,
        "agent_id": who.id,
        "agent_role": who.role,
        "self_review": who.role in _SELF_REVIEW_GUARDED,
        "no_code": who.role is _R.MAIN_PM,
        "open_session": who.role in _SESSION_ROLES,
        "session_id": uuid.uuid4(),
        "max_depth": MAX_DEPTH,
        "pr_review_sources": _PR_REVIEW_SOURCES,
    }


async def claim_next(conn: AsyncConnection[Any], agent: ActorLike) -> Task | None:
    """Claim the queue's next task for the agent, or None when nothing is claimable now.

    The next task: highest priority (0 first), then oldest, among those the agent's role may
    claim, of its team (management roles: any team), not assigned to another agent, not its
    own work (QA, documenter), with every dependency completed or cancelled. One statement;
    concurrent callers skip each other's rows instead of waiting. Pass the Agent row (or an
    Actor with its team): a cell agent given as ``(id, role)`` has no team and claims nothing.
    """
    who = actor_of(agent)
    statuses = sorted(CLAIMABLE_BY_ROLE[who.role])
    if not statuses:
        return None
    with translated("task claim"):
        return await queries.fetch_one(conn, _CLAIM, _ROW, **_params(who, None, statuses))


async def _found(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Task:
    """The task as it is now (read through ``tasks.get_task``); NotFound when there is none."""
    task = await tasks.get_task(conn, task_id)
    if task is None:
        raise task_not_found(task_id)
    return task


async def _lost(conn: AsyncConnection[Any], task_id: uuid.UUID, what: str) -> Conflict:
    """Why a write on the live claim matched no row, told from the task as it is now (through
    `_found`: NotFound when it is gone)."""
    now = await _found(conn, task_id)
    return Conflict(
        f"task {task_id}: {what}: status {now.status}, live claimant {now.active_claimant_id}"
    )


async def claim(conn: AsyncConnection[Any], task_id: uuid.UUID, agent: ActorLike) -> Task:
    """Claim one task for the agent, with the same effects as :func:`claim_next`.

    TransitionRefused names the rule that forbids it (the role's claim rule, the team, an
    assignment to another agent, self-review, unmet dependencies); Conflict when the task
    changed or is locked by another writer meanwhile; NotFound when it does not exist.
    """
    who = actor_of(agent)
    task = await _found(conn, task_id)
    _check_claim(task, who)
    with translated("task claim"):
        claimed = await queries.fetch_one(
            conn, _CLAIM, _ROW, **_params(who, task_id, [task.status])
        )
    if claimed is not None:
        return claimed
    now = await _found(conn, task_id)
    if now.status != task.status or now.assigned_to != task.assigned_to:
        raise Conflict(
            f"task {task_id}: changed while claiming (was {task.status}, found {now.status} "
            f"assigned to {now.assigned_to})"
        )
    unmet = await graph.unmet_dependencies(conn, task_id)
    if unmet:
        raise TransitionRefused(
            f"task {task_id}: claim refused for role {who.role}: depends on unfinished "
            f"task(s) {', '.join(map(str, unmet))}"
        )
    _check_claim(now, who)
    raise Conflict(f"task {task_id}: locked by another writer; retry")


def _check_claim(task: Task, who: Actor) -> None:
    """RoboCo's claim preconditions, in its order; raises TransitionRefused."""
    head = f"task {task.id}: claim refused for role {who.role}"
    if not lifecycle.can_claim(who.role, task.status):
        allowed = ", ".join(sorted(CLAIMABLE_BY_ROLE[who.role])) or "nothing"
        raise TransitionRefused(f"{head}: {task.status} is not claimable (claims: {allowed})")
    if who.role not in ANY_TEAM_ROLES and who.team != task.team:
        raise TransitionRefused(f"{head}: task is for team {task.team}, agent is in {who.team}")
    if task.assigned_to is not None and task.assigned_to != who.id:
        raise TransitionRefused(f"{head}: task is assigned to agent {task.assigned_to}")
    markers = task.orchestration_markers or {}
    if who.role in _SELF_REVIEW_GUARDED and markers.get("original_developer") == str(who.id):
        raise TransitionRefused(f"{head}: the agent developed it (no self-review)")
    if (
        who.role is _R.MAIN_PM
        and task.task_type is TaskType.CODE
        and task.status is not TaskStatus.NEEDS_REVISION
    ):
        raise TransitionRefused(
            f"{head}: a Main PM coordinates and does not own a code task; delegate it"
        )
    lifecycle.check(task.status, TaskStatus.CLAIMED, who.role, lifecycle.TaskFacts())


async def heartbeat(
    conn: AsyncConnection[Any], task_id: uuid.UUID, agent: ActorLike
) -> dt.datetime:
    """Touch the live claim's heartbeat; the new time. Only the active claimant can.

    Conflict when the agent holds no live claim on the task (released, reaped, handed on).
    """
    who = actor_of(agent)
    beat = await queries.fetch_scalar(conn, _HEARTBEAT, dt.datetime, id=task_id, agent_id=who.id)
    if beat is not None:
        return beat
    raise await _lost(conn, task_id, f"agent {who.id} holds no live claim on it")


async def claim_review(conn: AsyncConnection[Any], task_id: uuid.UUID, agent: ActorLike) -> Task:
    """Take a task in the agent's review queue without moving it: RoboCo's in-place claim.

    QA claims awaiting_qa, a documenter awaiting_documentation, a PR reviewer
    awaiting_pr_review, a PM an ownerless awaiting_pm_review; the task keeps its status and
    the agent becomes its assignee and live claimant, so its verdict (qa_pass, docs_complete,
    pr_pass, complete, ...) leaves from the queue itself. One statement; no audit row (no
    status changes). TransitionRefused for another role's queue, another team's task
    (management roles and PR reviewers: any team) or the agent's own work; Conflict when
    another agent holds the live claim or the task left the queue; NotFound when missing.
    """
    who = actor_of(agent)
    if who.id is None:
        raise ValidationError("claim_review needs an agent id")
    queue = REVIEW_QUEUES.get(who.role)
    head = f"task {task_id}: review claim refused for role {who.role}"
    if queue is None:
        raise TransitionRefused(f"{head}: the role claims no review queue")
    task = await _found(conn, task_id)
    if task.status is not queue:
        raise TransitionRefused(f"{head}: {task.status} is not its queue ({queue})")
    if who.role not in _REVIEW_ANY_TEAM and who.team is not None and who.team != task.team:
        raise TransitionRefused(f"{head}: task is for team {task.team}, agent is in {who.team}")
    markers = task.orchestration_markers or {}
    if who.role in _REVIEWERS and markers.get("original_developer") == str(who.id):
        raise TransitionRefused(f"{head}: the agent developed it (no self-review)")
    with translated("task claim"):
        claimed = await queries.fetch_one(
            conn,
            _CLAIM_REVIEW,
            _ROW,
            id=task_id,
            status=queue,
            agent_id=who.id,
            mark_developer=who.role in _SELF_REVIEW_GUARDED,
        )
    if claimed is not None:
        return claimed
    raise await _lost(conn, task_id, "review claim lost")


async def touch(
    conn: AsyncConnection[Any], task_id: uuid.UUID, agent: ActorLike
) -> dt.datetime | None:
    """The silent heartbeat of RoboCo's gateway (``_touch`` on every verb): the new time when
    the agent holds the live claim, else None, never an error.

    Unlike RoboCo's, a touch by anyone but the live claimant writes nothing: refreshing
    another agent's heartbeat would keep a dead claim from the reaper. :func:`heartbeat` is
    the strict form that says why nothing was touched.
    """
    who = actor_of(agent)
    if who.id is None:
        return None
    return await queries.fetch_scalar(conn, _HEARTBEAT, dt.datetime, id=task_id, agent_id=who.id)


async def reset_to_pending(
    conn: AsyncConnection[Any], task_id: uuid.UUID, *, forget_branch: bool = False
) -> Task | None:
    """The system sends one claimed/in_progress task back to pending, keeping its owner.

    RoboCo's ``_force_unclaim_to_pending`` (the reaper after a liveness check, startup
    reconciliation, a claim whose dependency is unmet): assigned_to and claimed_by stay on
    whoever held it so the same agent resumes it, the live claim and the work-session link
    are cleared, its active work sessions abandoned, audited as the system. With
    ``forget_branch`` (RoboCo's ``release_dependency_blocked_claim``) the branch name is
    dropped too, so the next claim cuts a fresh one. None, writing nothing, when the task is
    in no such state (as RoboCo's no-op); NotFound when it does not exist.
    """
    task = await _found(conn, task_id)
    if task.status not in _RESETTABLE:
        return None
    effects = replace(EFFECTS[(task.status, TaskStatus.PENDING)], owner=Owner.HOLDER)
    reset = await apply_transition(
        conn, task, TaskStatus.PENDING, SYSTEM, effects=effects, action="reset"
    )
    if forget_branch and reset.branch_name is not None:
        reset = await tasks.update_task(conn, task_id, TaskUpdate(branch_name=None))
    return reset


async def release(conn: AsyncConnection[Any], task_id: uuid.UUID, agent: ActorLike) -> Task:
    """The holder gives the task back to the pool, as RoboCo's unclaim.

    From claimed, in_progress, verifying or needs_revision: pending, audited, its work session
    abandoned, assigned_to and the live claim cleared (claimed_by/claimed_at stay as the record
    of the last claim); from blocked the pre-block snapshot and claimed_by go too. A pending
    task merely assigned to the agent is un-assigned with no status change (no audit row, as
    RoboCo). Only the task's assignee or live claimant may release it (Conflict otherwise);
    TransitionRefused from any other status.
    """
    who = actor_of(agent)
    task = await _found(conn, task_id)
    head = f"task {task_id}: release refused for role {who.role}"
    if task.status is TaskStatus.PENDING:
        if who.id is None or task.assigned_to != who.id:
            raise TransitionRefused(
                f"{head}: pending is not claimed, and not assigned to agent {who.id}"
            )
        with translated("task"):
            freed = await queries.fetch_one(
                conn, _UNASSIGN_PENDING, _ROW, id=task_id, agent_id=who.id
            )
        if freed is None:
            raise Conflict(f"task {task_id}: changed while releasing its assignment; retry")
        return freed
    if task.status not in _RELEASABLE:
        raise TransitionRefused(
            f"{head}: {task.status} is not claimed, in_progress, verifying, needs_revision or "
            "blocked"
        )
    if who.id is None or who.id not in (task.assigned_to, task.active_claimant_id):
        raise Conflict(
            f"task {task_id}: agent {who.id} does not hold it (assigned to {task.assigned_to}, "
            f"claimant {task.active_claimant_id})"
        )
    effects = EFFECTS[(task.status, TaskStatus.PENDING)]
    owner = Owner.CLEAR if task.status is TaskStatus.BLOCKED else Owner.UNASSIGN
    return await apply_transition(
        conn,
        task,
        TaskStatus.PENDING,
        who,
        effects=replace(effects, owner=owner),
        action="release",
        holder=who.id,
    )


async def reap_stale_claims(
    conn: AsyncConnection[Any], older_than: dt.timedelta, *, keep_owner: bool = True
) -> list[uuid.UUID]:
    """Claimed/in_progress tasks whose heartbeat is missing or older than ``older_than``, sent
    back to pending in one statement; their ids.

    Rows locked by another transaction are skipped and left for the next sweep. As RoboCo's
    reaper, the owner stays on the task (``keep_owner``) so the same agent resumes it; with
    ``keep_owner=False`` it returns to the open pool.
    """
    if isinstance(older_than, dt.timedelta) and older_than < dt.timedelta(0):
        raise ValidationError("reap_stale_claims: older_than must not be negative")
    older_than = check_span("older_than", older_than)  # not a span, or past the calendar
    return await queries.fetch_all(
        conn, _REAP, scalar_row, older_than=older_than, keep_owner=keep_owner
    )
