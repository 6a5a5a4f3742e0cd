"""Task status transitions: the lifecycle's edges applied to rows, race-safe and audited.

``transition()`` reads the task, asks :func:`roboco_sql.lifecycle.refusal` with the row's git
facts, then writes with one conditional statement (sql/queries/transitions.sql): ``UPDATE ...
WHERE id = :id AND status = :from`` plus the edge's preconditions, the audit row, the closing
of the task's work sessions and, on completion, RoboCo's dependency rule for its dependents.
Of two writers that read the same state, exactly one matches; the other gets
:class:`~roboco_sql.errors.Conflict` naming the task and the state it found.

What an edge does besides moving the status is data: :data:`EFFECTS` (in
:mod:`roboco_sql.repos.transition_effects`, re-exported here) maps every lifecycle edge to an
:class:`Effects` record, and the statement turns each field into a fixed ``CASE``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection

from roboco_sql import lifecycle, queries
from roboco_sql.errors import Conflict, NotFound, TransitionRefused, ValidationError
from roboco_sql.lifecycle import EDGES, PR_REVIEW_SOURCES, Precondition, Standing, TaskFacts
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import (
    AgentRole,
    BlockerResolverType,
    TaskStatus,
    Team,
)
from roboco_sql.models.task import Task
from roboco_sql.repos import tasks
from roboco_sql.repos._checks import member, optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._rows import model_row
from roboco_sql.repos.transition_effects import EFFECTS, Effects, Owner
from roboco_sql.validate import shown

__all__ = [
    "EFFECTS",
    "SYSTEM",
    "Actor",
    "ActorLike",
    "Effects",
    "Owner",
    "actor_of",
    "admin_set_status",
    "apply_transition",
    "standing",
    "transition",
]

_Q = queries.load()
_TRANSITION = _Q["transitions.transition_task"]
_ADMIN = _Q["transitions.admin_set_task_status"]
_SUBTREE = _Q["graph.task_subtree"]
_REASON_MAX = 2000
_ROW = model_row(Task)
_PR_REVIEW_SOURCES = sorted(PR_REVIEW_SOURCES)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an agent's id, role and team; ``id`` None is the system itself."""

    id: uuid.UUID | None
    role: AgentRole
    team: Team | None = None


ActorLike = Agent | Actor | tuple[uuid.UUID, AgentRole | str]
"""An Agent row, an Actor, or ``(agent_id, role)``."""

SYSTEM: Final = Actor(None, AgentRole.SYSTEM)
"""The system's own moves (the reaper); audited with no agent."""


def actor_of(who: ActorLike) -> Actor:
    """Normalise the forms an actor may take; an unknown role or team is a ValidationError
    (an Actor's labels too: RoboCo may build one from text)."""
    if isinstance(who, Agent):
        return Actor(who.id, who.role, who.team)
    if isinstance(who, Actor):
        return Actor(who.id, _role(who.role), optional_enum_arg("team", Team, who.team))
    agent_id, role = who
    return Actor(agent_id, _role(role))


def _role(role: object) -> AgentRole:
    return member(AgentRole, role, f"unknown agent role {shown(role)}")


def _not_found(task_id: uuid.UUID) -> NotFound:
    return NotFound(f"task {task_id} not found")


async def transition(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    to: TaskStatus | str,
    actor: ActorLike,
    *,
    resolver_type: BlockerResolverType | None = None,
) -> Task:
    """Move a task to ``to`` as ``actor``, with the edge's side effects and an audit row.

    TransitionRefused names from, to, role and the rule (no edge, role gate, unmet git
    facts); Conflict when another writer moved the task first; NotFound when it does not
    exist. ``resolver_type`` applies to a block (default ``agent``, as RoboCo's soft block).
    A claim through here stamps the claimant only; :func:`roboco_sql.repos.claims.claim`
    also checks the role's claim rule, names the branch and opens the work session.
    """
    dst = member(TaskStatus, to, f"unknown task status {shown(to)}")
    who = actor_of(actor)
    task = await tasks.get_task(conn, task_id)
    if task is None:
        raise _not_found(task_id)
    return await apply_transition(conn, task, dst, who, resolver_type=resolver_type)


async def apply_transition(
    conn: AsyncConnection[Any],
    task: Task,
    dst: TaskStatus,
    who: Actor,
    *,
    effects: Effects | None = None,
    action: str | None = None,
    holder: uuid.UUID | None = None,
    resolver_type: BlockerResolverType | None = None,
    raised_by: uuid.UUID | None = None,
) -> Task:
    """The write half of a transition from the state ``task`` was read in.

    For the flows built on transitions (release, blockers): ``effects`` and ``action`` replace
    the edge's own, ``holder`` requires that agent to hold the task at write time, and a block
    records ``resolver_type`` and ``raised_by`` (else the assignee) unless already set.
    """
    src = task.status
    reason = _refusal(task, src, dst, who, action)
    if reason is not None:
        raise TransitionRefused(f"task {task.id}: {reason}")
    if holder is None and who.id is not None and lifecycle.holds_own_work(who.role, src):
        holder = who.id  # the holder is re-checked by the write itself
    edge = EDGES[(src, dst)]
    eff = effects if effects is not None else EFFECTS[(src, dst)]
    if eff.cascade_cancel:
        await _check_cascade(conn, task.id, who)
    with translated("task"):
        moved = await queries.fetch_one(
            conn,
            _TRANSITION,
            _ROW,
            id=task.id,
            from_status=src,
            to_status=dst,
            actor_id=who.id,
            actor_role=who.role,
            action=action or edge.action,
            holder=holder,
            resolver_type=resolver_type,
            raised_by=raised_by,
            pr_review_sources=_PR_REVIEW_SOURCES,
            **_effect_params(eff),
            **_precondition_params(edge.preconditions),
        )
    if moved is None:
        raise await _miss(conn, task.id, src=src, dst=dst, who=who, holder=holder, action=action)
    return moved


def _refusal(
    task: Task, src: TaskStatus, dst: TaskStatus, who: Actor, action: str | None
) -> str | None:
    """Why the lifecycle refuses this move on this row: the edge's gates, then authority."""
    reason = lifecycle.refusal(src, dst, who.role, _facts(task))
    if reason is None:
        reason = lifecycle.authority_refusal(src, dst, who.role, standing(task, who), action=action)
    return reason


def _effect_params(eff: Effects) -> dict[str, object]:
    """The statement's parameters for the edge's effects, one per CASE of its SET list."""
    return {
        "owner": eff.owner,
        "claim": eff.claim,
        "release": eff.release,
        "start": eff.start,
        "complete": eff.complete,
        "cascade_cancel": eff.cascade_cancel,
        "detach_session": eff.detach_session,
        "session_outcome": eff.session,
        "snapshot_block": eff.snapshot_block,
        "clear_block": eff.clear_block,
        "mark_developer": eff.mark_developer,
        "self_verified": eff.self_verified,
        "qa_verified": eff.qa_verified,
        "reset_docs": eff.reset_docs,
    }


def _precondition_params(preconditions: tuple[Precondition, ...]) -> dict[str, bool]:
    """Which git facts the statement re-checks at write time (the edge's preconditions)."""
    return {
        "need_docs": Precondition.DOCS_COMPLETE in preconditions,
        "need_pr_created": Precondition.PR_CREATED in preconditions,
        "need_pr_number": Precondition.PR_NUMBER in preconditions,
        "need_branch": Precondition.BRANCH_NAME in preconditions,
    }


async def _check_cascade(conn: AsyncConnection[Any], task_id: uuid.UUID, who: Actor) -> None:
    """Refuse a cancel whose cascade would reach a descendant this role may not cancel (a
    task awaiting the CEO, for a PM), as RoboCo refuses the whole cancel rather than leave an
    orphaned subtree."""
    barred = [
        src
        for (src, dst), edge in EDGES.items()
        if dst is TaskStatus.CANCELLED and edge.roles is not None and who.role not in edge.roles
    ]
    if not barred:
        return
    for node in (await queries.fetch_all(conn, _SUBTREE, _ROW, id=task_id))[1:]:
        if node.status in barred:
            raise TransitionRefused(
                f"task {task_id}: cancel refused for role {who.role}: descendant {node.id} is "
                f"{node.status}, which the role may not cancel"
            )


def _facts(task: Task) -> TaskFacts:
    return TaskFacts.from_mapping(dict(task))


def standing(task: Task, who: Actor) -> Standing:
    """The actor's standing on the task, for :func:`lifecycle.authority_refusal`."""
    holders = {str(h) for h in (task.assigned_to, task.active_claimant_id) if h is not None}
    marker = (task.orchestration_markers or {}).get("original_developer")
    return Standing(
        agent_id=None if who.id is None else str(who.id),
        agent_team=None if who.team is None else str(who.team),
        task_team=str(task.team),
        holders=frozenset(holders),
        original_developer=marker if isinstance(marker, str) else None,
    )


async def _miss(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    *,
    src: TaskStatus,
    dst: TaskStatus,
    who: Actor,
    holder: uuid.UUID | None,
    action: str | None,
) -> Exception:
    """Why the conditional write matched no row: the error to raise."""
    now = await tasks.get_task(conn, task_id)
    if now is None:
        return _not_found(task_id)
    if now.status != src:
        return Conflict(
            f"task {task_id}: expected {src} for {src} -> {dst}, found {now.status} "
            "(another writer moved it first)"
        )
    if holder is not None and holder not in (now.assigned_to, now.active_claimant_id):
        return Conflict(
            f"task {task_id}: no longer held by agent {holder} "
            f"(assigned to {now.assigned_to}, claimant {now.active_claimant_id})"
        )
    reason = _refusal(now, src, dst, who, action)
    if reason is not None:
        return TransitionRefused(f"task {task_id}: {reason}")
    return Conflict(f"task {task_id}: changed concurrently during {src} -> {dst}; retry")


async def admin_set_status(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    to: TaskStatus | str,
    actor: ActorLike,
    *,
    reason: str,
    force: bool = False,
) -> Task:
    """RoboCo's privileged override: set any status past the edge table, always audited.

    For an operator, the CEO's secretary or the orchestrator recovering a wedged task. The
    effects are RoboCo's admin_set_status (see sql/queries/transitions.sql): a pre-block owner
    restored on the way out of blocked, stale claims dropped on the way into a review queue,
    nothing else. The audit row names the actor and ``reason``; a forced or restoring override
    adds a ``task.admin_override`` warning. A finished task is brought back only with
    ``force`` (TransitionRefused otherwise); Conflict when the task moved meanwhile.
    """
    dst = member(TaskStatus, to, f"admin_set_status: unknown task status {to!r}")
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError("admin_set_status: reason must be a non-empty string")
    if len(reason) > _REASON_MAX:
        raise ValidationError(f"admin_set_status: reason is over {_REASON_MAX} characters")
    who = actor_of(actor)
    task = await tasks.get_task(conn, task_id)
    if task is None:
        raise _not_found(task_id)
    src = task.status
    if src in lifecycle.TERMINAL and dst not in lifecycle.TERMINAL and not force:
        raise TransitionRefused(
            f"task {task_id}: admin_set_status refuses {src} -> {dst} for role {who.role}: "
            "a finished task comes back only with force=True"
        )
    with translated("task"):
        moved = await queries.fetch_one(
            conn,
            _ADMIN,
            _ROW,
            id=task_id,
            from_status=src,
            to_status=dst,
            actor_id=who.id,
            actor_role=who.role,
            reason=reason.strip(),
            force=force,
        )
    if moved is None:
        now = await tasks.get_task(conn, task_id)
        if now is None:
            raise _not_found(task_id)
        raise Conflict(
            f"task {task_id}: expected {src} for the override to {dst}, found {now.status} "
            "(another writer moved it first)"
        )
    return moved
