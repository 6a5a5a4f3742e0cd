"""Task status transitions: the lifecycle's edges applied to rows, race-safe and audited.

``transition()`` reads the task, asks :func:`roboco_sql.lifecycle.refusal` with the row's git
facts, then writes with one conditional statement (sql/queries/transitions.sql): ``UPDATE ...
WHERE id = :id AND status = :from`` plus the edge's preconditions, the audit row, the closing
of the task's work sessions and, on completion, RoboCo's dependency rule for its dependents.
Of two writers that read the same state, exactly one matches; the other gets
:class:`~roboco_sql.errors.Conflict` naming the task and the state it found.

What an edge does besides moving the status is data: :data:`EFFECTS` maps every lifecycle
edge to an :class:`Effects` record, built from one rule per target state plus a few per
action, and the statement turns each field into a fixed ``CASE`` of its SET list.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
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
    WorkSessionStatus,
)
from roboco_sql.models.task import Task
from roboco_sql.repos import tasks
from roboco_sql.repos._errors import translated
from roboco_sql.repos._rows import model_row

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
    """Normalise the forms an actor may take; an unknown role is a ValidationError."""
    if isinstance(who, Actor):
        return who
    if isinstance(who, Agent):
        return Actor(who.id, who.role, who.team)
    agent_id, role = who
    try:
        return Actor(agent_id, AgentRole(role))
    except ValueError:
        raise ValidationError(f"unknown agent role {role!r}") from None


class Owner(enum.StrEnum):
    """What happens to ``assigned_to`` / ``claimed_by`` on an edge."""

    KEEP = "keep"
    ACTOR = "actor"  # the actor takes the task (a claim)
    CLEAR = "clear"  # both cleared: handed off to the next role's claim
    UNASSIGN = "unassign"  # assigned_to cleared, claimed_by kept (an agent's unclaim)
    RESTORE = "restore"  # back to whoever held it before the block
    HOLDER = "holder"  # both set to whoever holds it (the reaper keeps the owner)
    DEVELOPER = "developer"  # back to the original developer (a failed review), else none
    REVIEW_PM = "review_pm"  # the PM who assembles it: its cell's PM, else the Main PM
    DEVELOPER_OR_PM = "developer_or_pm"  # the original developer, else that PM
    REVISION_DEV = "revision_dev"  # the original developer, else its latest developer session
    ANCESTOR = "ancestor"  # the first assignee up the parent chain, with the live claim


@dataclass(frozen=True, slots=True)
class Effects:
    """The columns an edge writes besides ``status``, each a fixed CASE in the statement."""

    owner: Owner = Owner.KEEP
    claim: bool = False  # claimed_at, active_claimant_id, last_heartbeat_at = actor, now
    release: bool = False  # the live claim ends: active_claimant_id, last_heartbeat_at NULL
    start: bool = False  # started_at, first time only
    complete: bool = False  # completed_at, and the dependents' rule
    cascade_cancel: bool = False  # the unfinished subtree is cancelled too
    detach_session: bool = False  # work_session_id NULL
    session: WorkSessionStatus | None = None  # end its active work sessions with this outcome
    snapshot_block: bool = False  # pre_block_state/assignee (first block), blocker metadata
    clear_block: bool = False  # pre-block snapshot and blocker metadata cleared
    mark_developer: bool = False  # orchestration_markers.original_developer = assigned_to
    self_verified: bool = False
    qa_verified: bool | None = None
    reset_docs: bool = False  # docs_complete = false: the documenter writes this cycle's docs


_S = TaskStatus
_HANDOFF = Effects(owner=Owner.CLEAR, release=True)

# One rule per target state (RoboCo's TaskService methods that reach it) ...
_BY_TARGET: Final[Mapping[TaskStatus, Effects]] = MappingProxyType(
    {
        _S.BACKLOG: Effects(),
        _S.PENDING: Effects(
            owner=Owner.UNASSIGN,
            release=True,
            detach_session=True,
            session=WorkSessionStatus.ABANDONED,
        ),
        _S.CLAIMED: Effects(owner=Owner.ACTOR, claim=True),
        _S.IN_PROGRESS: Effects(start=True),
        _S.BLOCKED: Effects(snapshot_block=True),
        _S.PAUSED: Effects(),
        _S.VERIFYING: Effects(self_verified=True),  # the developer's own check, attested
        _S.AWAITING_QA: replace(_HANDOFF, mark_developer=True, self_verified=True),
        _S.AWAITING_DOCUMENTATION: _HANDOFF,
        _S.AWAITING_PR_REVIEW: _HANDOFF,
        _S.AWAITING_PM_REVIEW: _HANDOFF,
        # an escalation changes only the status (its note: task_notes.set_transition_note)
        _S.AWAITING_CEO_APPROVAL: Effects(),
        _S.NEEDS_REVISION: Effects(owner=Owner.DEVELOPER, release=True),
        _S.COMPLETED: Effects(complete=True, release=True, session=WorkSessionStatus.COMPLETED),
        _S.CANCELLED: Effects(
            release=True, session=WorkSessionStatus.ABANDONED, cascade_cancel=True
        ),
    }
)

# ... refined per action where RoboCo's method for it does more.
_BY_ACTION: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType(
    {
        # a backlog task becomes claimable; whoever it was assigned to keeps it
        "activate": {
            "owner": Owner.KEEP,
            "release": False,
            "detach_session": False,
            "session": None,
        },
        "unblock": {"owner": Owner.RESTORE, "clear_block": True},
        # a coordination root back to the pool for the Main PM to re-plan: the owner stays
        "ceo_reject_to_pool": {
            "owner": Owner.KEEP,
            "detach_session": False,
            "session": None,
        },
        "qa_pass": {"qa_verified": True, "reset_docs": True},
        "qa_fail": {"qa_verified": False, "owner": Owner.REVISION_DEV},
        # the documented task goes to the PM up its parent chain, who also takes the claim
        "docs_complete": {"owner": Owner.ANCESTOR},
        # RoboCo hands a passed assembled PR to its PM; a failed one to its PM as well (an
        # assembled task carries no original developer), a leaf back to its developer
        "pr_pass": {"owner": Owner.REVIEW_PM},
        "pr_fail": {"owner": Owner.DEVELOPER_OR_PM},
        "request_changes": {"owner": Owner.DEVELOPER_OR_PM},
        # a direct submission for PM review changes only the status
        "submit_pm_review": {"owner": Owner.KEEP, "release": False},
    }
)


def _edge_effects() -> Mapping[tuple[TaskStatus, TaskStatus], Effects]:
    table = {
        pair: replace(_BY_TARGET[pair[1]], **_BY_ACTION.get(edge.action, {}))
        for pair, edge in EDGES.items()
    }
    return MappingProxyType(table)


EFFECTS: Final[Mapping[tuple[TaskStatus, TaskStatus], Effects]] = _edge_effects()
"""The side effects of every lifecycle edge, keyed like :data:`lifecycle.EDGES`."""


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
    try:
        dst = TaskStatus(to)
    except ValueError:
        raise ValidationError(f"unknown task status {to!r}") from None
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
    reason = lifecycle.refusal(src, dst, who.role, _facts(task))
    if reason is None:
        reason = lifecycle.authority_refusal(src, dst, who.role, standing(task, who), action=action)
    if reason is not None:
        raise TransitionRefused(f"task {task.id}: {reason}")
    if holder is None and who.id is not None and lifecycle.holds_own_work(who.role, src):
        holder = who.id  # the holder is re-checked by the write itself
    edge = EDGES[(src, dst)]
    eff = effects if effects is not None else EFFECTS[(src, dst)]
    if eff.cascade_cancel:
        await _check_cascade(conn, task.id, who)
    needs = set(edge.preconditions)
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
            owner=eff.owner,
            claim=eff.claim,
            release=eff.release,
            start=eff.start,
            complete=eff.complete,
            cascade_cancel=eff.cascade_cancel,
            detach_session=eff.detach_session,
            session_outcome=eff.session,
            snapshot_block=eff.snapshot_block,
            clear_block=eff.clear_block,
            resolver_type=resolver_type,
            raised_by=raised_by,
            mark_developer=eff.mark_developer,
            self_verified=eff.self_verified,
            qa_verified=eff.qa_verified,
            reset_docs=eff.reset_docs,
            need_docs=Precondition.DOCS_COMPLETE in needs,
            need_pr_created=Precondition.PR_CREATED in needs,
            need_pr_number=Precondition.PR_NUMBER in needs,
            need_branch=Precondition.BRANCH_NAME in needs,
            pr_review_sources=_PR_REVIEW_SOURCES,
        )
    if moved is None:
        raise await _miss(conn, task.id, src=src, dst=dst, who=who, holder=holder, action=action)
    return moved


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
    reason = lifecycle.refusal(src, dst, who.role, _facts(now))
    if reason is None:
        reason = lifecycle.authority_refusal(src, dst, who.role, standing(now, who), action=action)
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
    try:
        dst = TaskStatus(to)
    except ValueError:
        raise ValidationError(f"admin_set_status: unknown task status {to!r}") from None
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
