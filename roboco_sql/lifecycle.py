"""RoboCo's task state machine, kept as data so every layer reads one table.

The edge table is the effective set RoboCo v0.29.0 enforces at runtime: the edges of its
canonical spec plus the legacy operational edges its services still take (unclaim, the reaper
sweep, PM direct completion, QA working a task by direct assignment). Role gates on an edge are
the union of the spec gate and the legacy gate. Where RoboCo gates the action rather than the
edge (an edge with no gate of its own), :data:`ACTIONS` holds the action's roles, and
:func:`authority_refusal` adds what RoboCo's gateway checks on top: the self-review block, the
team match and the holder of the task.

Nothing here touches the database: a later ``transition()`` locks the row, builds
:class:`TaskFacts` and :class:`Standing` from it and asks :func:`refusal` and
:func:`authority_refusal` before writing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from roboco_sql.errors import TransitionRefused, ValidationError
from roboco_sql.models.enums import AgentRole, TaskStatus
from roboco_sql.validate import shown

__all__ = [
    "ACTIONS",
    "ACTIVE",
    "CLAIMABLE_BY_ROLE",
    "EDGES",
    "MAX_DEPTH",
    "ORG_WIDE",
    "OWNER_BOUND",
    "PR_REVIEW_SOURCES",
    "TERMINAL",
    "WAITING",
    "ActionRule",
    "AgentRole",
    "Edge",
    "Precondition",
    "Standing",
    "TaskFacts",
    "TaskStatus",
    "allowed_targets",
    "authority_refusal",
    "can_claim",
    "check",
    "holds_own_work",
    "refusal",
]


class Precondition(enum.StrEnum):
    """Git facts an edge needs; named after the task column that records each one."""

    DOCS_COMPLETE = "docs_complete"
    PR_CREATED = "pr_created"
    PR_NUMBER = "pr_number"
    BRANCH_NAME = "branch_name"


# Task ``source`` values that mark a read-only PR review: such a task never owns a branch.
PR_REVIEW_SOURCES: Final[frozenset[str]] = frozenset({"external_pr", "internal_pr"})

# A new task may have at most MAX_DEPTH - 1 ancestors (root -> subtask -> sub-subtask);
# RoboCo refuses the create once the parent chain reaches MAX_DEPTH ancestors.
MAX_DEPTH: Final[int] = 3


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """The task columns the git preconditions read, detached from any row type."""

    branch_name: str | None = None
    pr_number: int | None = None
    pr_created: bool = False
    docs_complete: bool = False
    # project_id NULL and product_id set: a fan-out task with no repo, so never a branch.
    is_coordination: bool = False
    # source in PR_REVIEW_SOURCES: reviews someone else's PR, so never a branch.
    is_pr_review: bool = False

    @classmethod
    def from_mapping(cls, row: Mapping[str, object]) -> TaskFacts:
        """Build facts from a task row; missing keys read as "not done", which only refuses.

        ``is_coordination`` and ``is_pr_review`` may be given directly or are derived from
        ``project_id``/``product_id`` and ``source`` the way RoboCo derives them.
        """
        if "is_coordination" in row:
            coordination = _flag(row, "is_coordination")
        else:
            coordination = (
                "project_id" in row
                and row["project_id"] is None
                and row.get("product_id") is not None
            )
        if "is_pr_review" in row:
            pr_review = _flag(row, "is_pr_review")
        else:
            pr_review = row.get("source") in PR_REVIEW_SOURCES
        return cls(
            branch_name=_optional_str(row, "branch_name"),
            pr_number=_optional_int(row, "pr_number"),
            pr_created=_flag(row, "pr_created"),
            docs_complete=_flag(row, "docs_complete"),
            is_coordination=coordination,
            is_pr_review=pr_review,
        )


def _flag(row: Mapping[str, object], key: str) -> bool:
    value = row.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValidationError(f"task fact {key} must be a boolean, got {type(value).__name__}")
    return value


def _optional_str(row: Mapping[str, object], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"task fact {key} must be a string, got {type(value).__name__}")
    return value


def _optional_int(row: Mapping[str, object], key: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"task fact {key} must be an integer, got {type(value).__name__}")
    return value


_HOLDS: Final[Mapping[Precondition, Callable[[TaskFacts], bool]]] = MappingProxyType(
    {
        Precondition.DOCS_COMPLETE: lambda f: f.docs_complete,
        Precondition.PR_CREATED: lambda f: f.pr_created,
        Precondition.PR_NUMBER: lambda f: f.pr_number is not None,
        # An empty branch name counts as none, as in RoboCo.
        Precondition.BRANCH_NAME: lambda f: (
            bool(f.branch_name) or f.is_coordination or f.is_pr_review
        ),
    }
)

_WHY_UNMET: Final[Mapping[Precondition, str]] = MappingProxyType(
    {
        Precondition.DOCS_COMPLETE: "documentation not finished",
        Precondition.PR_CREATED: "no PR opened yet",
        Precondition.PR_NUMBER: "no PR number recorded",
        Precondition.BRANCH_NAME: "no branch, and not a coordination or PR-review task",
    }
)


@dataclass(frozen=True, slots=True)
class Edge:
    """One allowed transition: what triggers it, who may take it, what must already hold."""

    action: str
    # None: no transition-level gate (any role); the action's own roles apply upstream.
    roles: frozenset[AgentRole] | None
    preconditions: tuple[Precondition, ...] = ()
    # True for RoboCo's legacy operational edges, absent from its canonical spec graph.
    legacy: bool = False


_S = TaskStatus
_R = AgentRole

_PMS = frozenset({_R.CELL_PM, _R.MAIN_PM})
_PMS_AND_BOARD = _PMS | {_R.PRODUCT_OWNER, _R.HEAD_MARKETING}
_CEO_ESCALATORS = frozenset({_R.MAIN_PM, _R.PRODUCT_OWNER, _R.HEAD_MARKETING})
# RoboCo's cancellers, plus the system: RoboCo's engines (release proposals, X and video
# posts, stale explorations) cancel their own tasks by writing the column; ours go through
# the audited edge as the system actor instead.
_CANCELLERS = frozenset({_R.CELL_PM, _R.MAIN_PM, _R.CEO, _R.SYSTEM})
# A task waiting on the CEO is the CEO's to cancel (RoboCo pins that one source).
_CEO_CANCELLERS = frozenset({_R.CEO, _R.SYSTEM})

TERMINAL: Final[frozenset[TaskStatus]] = frozenset({_S.COMPLETED, _S.CANCELLED})
# Parks the owner waiting on someone else. RoboCo leaves awaiting_pr_review out.
WAITING: Final[frozenset[TaskStatus]] = frozenset(
    {
        _S.BLOCKED,
        _S.PAUSED,
        _S.AWAITING_QA,
        _S.AWAITING_DOCUMENTATION,
        _S.AWAITING_PM_REVIEW,
        _S.AWAITING_CEO_APPROVAL,
    }
)
ACTIVE: Final[frozenset[TaskStatus]] = frozenset(
    {_S.CLAIMED, _S.IN_PROGRESS, _S.VERIFYING, _S.NEEDS_REVISION}
)

_Row = tuple[TaskStatus, TaskStatus, Edge]

_SPEC: tuple[_Row, ...] = (
    (_S.BACKLOG, _S.PENDING, Edge("activate", None)),
    # Who may claim what lives in CLAIMABLE_BY_ROLE, hence the open gates on two claims.
    (_S.PENDING, _S.CLAIMED, Edge("claim", None)),
    (_S.AWAITING_QA, _S.CLAIMED, Edge("claim", frozenset({_R.QA}))),
    (_S.AWAITING_DOCUMENTATION, _S.CLAIMED, Edge("claim", frozenset({_R.DOCUMENTER}))),
    (_S.NEEDS_REVISION, _S.CLAIMED, Edge("claim", None)),
    (_S.AWAITING_PR_REVIEW, _S.CLAIMED, Edge("claim", frozenset({_R.PR_REVIEWER}))),
    (_S.CLAIMED, _S.IN_PROGRESS, Edge("start", None, (Precondition.BRANCH_NAME,))),
    (_S.IN_PROGRESS, _S.BLOCKED, Edge("block", None)),
    (_S.IN_PROGRESS, _S.PAUSED, Edge("pause", None)),
    (_S.BLOCKED, _S.IN_PROGRESS, Edge("unblock", None)),
    # Blocked before it was ever claimed: no branch, so it goes back to the pool.
    (_S.BLOCKED, _S.PENDING, Edge("unblock", None)),
    (_S.PAUSED, _S.IN_PROGRESS, Edge("resume", None)),
    (_S.IN_PROGRESS, _S.VERIFYING, Edge("submit_verification", None)),
    (_S.VERIFYING, _S.AWAITING_QA, Edge("submit_qa", None)),
    # Spec gate pr_reviewer, widened by the legacy gate for PMs and the board completing
    # their own non-PR work.
    (_S.IN_PROGRESS, _S.COMPLETED, Edge("pr_review_done", _PMS_AND_BOARD | {_R.PR_REVIEWER})),
    (_S.AWAITING_QA, _S.AWAITING_DOCUMENTATION, Edge("qa_pass", frozenset({_R.QA}))),
    (_S.AWAITING_QA, _S.NEEDS_REVISION, Edge("qa_fail", frozenset({_R.QA}))),
    # Spec gate documenter, widened by the legacy gate: the developer may finish the
    # parallel docs/PR phase last. Both halves must be done either way.
    (
        _S.AWAITING_DOCUMENTATION,
        _S.AWAITING_PM_REVIEW,
        Edge(
            "docs_complete",
            frozenset({_R.DOCUMENTER, _R.DEVELOPER}),
            (Precondition.DOCS_COMPLETE, Precondition.PR_CREATED),
        ),
    ),
    (_S.IN_PROGRESS, _S.AWAITING_PR_REVIEW, Edge("submit_for_review", None)),
    (_S.AWAITING_PR_REVIEW, _S.AWAITING_PM_REVIEW, Edge("pr_pass", frozenset({_R.PR_REVIEWER}))),
    (_S.AWAITING_PR_REVIEW, _S.NEEDS_REVISION, Edge("pr_fail", frozenset({_R.PR_REVIEWER}))),
    (_S.AWAITING_PM_REVIEW, _S.COMPLETED, Edge("complete", _PMS)),
    (
        _S.AWAITING_PM_REVIEW,
        _S.AWAITING_CEO_APPROVAL,
        Edge("escalate_to_ceo", _CEO_ESCALATORS, (Precondition.PR_NUMBER,)),
    ),
    (_S.BLOCKED, _S.AWAITING_CEO_APPROVAL, Edge("escalate_to_ceo", _CEO_ESCALATORS)),
    (_S.AWAITING_CEO_APPROVAL, _S.COMPLETED, Edge("ceo_approve", frozenset({_R.CEO}))),
    (_S.AWAITING_CEO_APPROVAL, _S.NEEDS_REVISION, Edge("ceo_reject", frozenset({_R.CEO}))),
    # A branchless coordination root has no developer to revise it: back to the pool.
    (_S.AWAITING_CEO_APPROVAL, _S.PENDING, Edge("ceo_reject_to_pool", frozenset({_R.CEO}))),
    # Spec gate PMs, widened by the legacy gate for the board.
    (_S.AWAITING_PM_REVIEW, _S.NEEDS_REVISION, Edge("request_changes", _PMS_AND_BOARD)),
    (_S.IN_PROGRESS, _S.AWAITING_PM_REVIEW, Edge("submit_pm_review", None)),
    *(
        (
            src,
            _S.CANCELLED,
            Edge(
                "cancel",
                _CEO_CANCELLERS if src is _S.AWAITING_CEO_APPROVAL else _CANCELLERS,
            ),
        )
        for src in TaskStatus
        if src not in TERMINAL
    ),
)

# RoboCo gives these edges no action name; the names here are ours, after the service
# call that takes them.
_LEGACY: tuple[_Row, ...] = (
    (_S.CLAIMED, _S.PENDING, Edge("unclaim", None, legacy=True)),
    (_S.IN_PROGRESS, _S.PENDING, Edge("unclaim", None, legacy=True)),
    (_S.VERIFYING, _S.PENDING, Edge("unclaim", None, legacy=True)),
    (_S.NEEDS_REVISION, _S.PENDING, Edge("unclaim", None, legacy=True)),
    # QA working a directly assigned task, with no awaiting_qa hop.
    (_S.IN_PROGRESS, _S.AWAITING_DOCUMENTATION, Edge("qa_pass", frozenset({_R.QA}), legacy=True)),
    (_S.IN_PROGRESS, _S.NEEDS_REVISION, Edge("qa_fail", frozenset({_R.QA}), legacy=True)),
    # QA or a PM may fail a task out of verifying; the developer may not self-route.
    (
        _S.VERIFYING,
        _S.NEEDS_REVISION,
        Edge("fail_verification", _PMS_AND_BOARD | {_R.QA}, legacy=True),
    ),
    (_S.AWAITING_QA, _S.BLOCKED, Edge("block", None, legacy=True)),
    (_S.NEEDS_REVISION, _S.IN_PROGRESS, Edge("resume_revision", None, legacy=True)),
)


def _build_edges(rows: Iterable[_Row]) -> Mapping[tuple[TaskStatus, TaskStatus], Edge]:
    table: dict[tuple[TaskStatus, TaskStatus], Edge] = {}
    for src, dst, edge in rows:
        if (src, dst) in table:
            raise AssertionError(f"duplicate lifecycle edge {src} -> {dst}")
        table[(src, dst)] = edge
    return MappingProxyType(table)


EDGES: Final[Mapping[tuple[TaskStatus, TaskStatus], Edge]] = _build_edges(_SPEC + _LEGACY)

_TARGETS: Final[Mapping[TaskStatus, tuple[TaskStatus, ...]]] = MappingProxyType(
    {src: tuple(dst for dst in TaskStatus if (src, dst) in EDGES) for src in TaskStatus}
)

# RoboCo's per-role claim authority. Roles it gives no rule (prompter, secretary, system)
# appear with an empty set so every role is a key.
CLAIMABLE_BY_ROLE: Final[Mapping[AgentRole, frozenset[TaskStatus]]] = MappingProxyType(
    {
        _R.DEVELOPER: frozenset({_S.PENDING, _S.NEEDS_REVISION}),
        _R.QA: frozenset({_S.AWAITING_QA}),
        _R.DOCUMENTER: frozenset({_S.PENDING, _S.AWAITING_DOCUMENTATION}),
        # PMs re-claim needs_revision to recover a rejected coordination task.
        _R.CELL_PM: frozenset({_S.PENDING, _S.NEEDS_REVISION}),
        _R.MAIN_PM: frozenset({_S.PENDING, _S.NEEDS_REVISION}),
        _R.PR_REVIEWER: frozenset({_S.PENDING, _S.AWAITING_PR_REVIEW}),
        _R.PRODUCT_OWNER: frozenset(),
        _R.HEAD_MARKETING: frozenset(),
        _R.AUDITOR: frozenset(),
        _R.CEO: frozenset(),
        _R.PROMPTER: frozenset(),
        _R.SECRETARY: frozenset(),
        _R.SYSTEM: frozenset(),
    }
)


@dataclass(frozen=True, slots=True)
class ActionRule:
    """What RoboCo's gateway checks for an action besides its edge."""

    roles: frozenset[AgentRole]
    team_match: bool = True  # the actor's team must be the task's (org-wide roles exempt)
    self_review: bool = False  # the task's original developer may not take it


_DEV = frozenset({_R.DEVELOPER})
_WORKERS = frozenset({_R.DEVELOPER, _R.QA, _R.DOCUMENTER})
_CEO = frozenset({_R.CEO})

# RoboCo's atomic actions that move a task, with their roles, team rule and self-review
# block. The action's roles are enforced only where the edge has no gate of its own (where it
# has one, that gate already is RoboCo's runtime union of spec and legacy roles).
ACTIONS: Final[Mapping[str, ActionRule]] = MappingProxyType(
    {
        "activate": ActionRule(_PMS),
        "claim": ActionRule(_WORKERS | _PMS | {_R.PR_REVIEWER}),
        "start": ActionRule(_WORKERS | _PMS | {_R.PR_REVIEWER}),
        "block": ActionRule(_WORKERS | _PMS),
        "unblock": ActionRule(_PMS),
        "pause": ActionRule(_DEV | _PMS),
        "resume": ActionRule(_WORKERS | _PMS),
        "submit_verification": ActionRule(_DEV),
        "submit_qa": ActionRule(_DEV),
        "qa_pass": ActionRule(frozenset({_R.QA}), self_review=True),
        "qa_fail": ActionRule(frozenset({_R.QA}), self_review=True),
        "pr_review_done": ActionRule(frozenset({_R.PR_REVIEWER}), team_match=False),
        "docs_complete": ActionRule(frozenset({_R.DOCUMENTER}), self_review=True),
        "submit_for_review": ActionRule(_PMS),
        "pr_pass": ActionRule(frozenset({_R.PR_REVIEWER}), self_review=True),
        "pr_fail": ActionRule(frozenset({_R.PR_REVIEWER}), self_review=True),
        "complete": ActionRule(_PMS),
        "request_changes": ActionRule(_PMS),
        "submit_pm_review": ActionRule(_WORKERS | _PMS),
        "escalate_to_ceo": ActionRule(_CEO_ESCALATORS, team_match=False),
        "ceo_approve": ActionRule(_CEO, team_match=False),
        "ceo_reject": ActionRule(_CEO, team_match=False),
        "ceo_reject_to_pool": ActionRule(_CEO, team_match=False),
        "cancel": ActionRule(_PMS | _CEO, team_match=False),
    }
)

# Roles that act across cells by design: exempt from the team rule.
ORG_WIDE: Final[frozenset[AgentRole]] = frozenset(
    {_R.MAIN_PM, _R.CEO, _R.PRODUCT_OWNER, _R.HEAD_MARKETING, _R.AUDITOR, _R.PR_REVIEWER}
)
# Roles whose moves out of a working state are moves of their own work: they must hold the
# task (assignee or live claimant), as RoboCo's owns_task precondition and claimant lock.
OWNER_BOUND: Final[frozenset[AgentRole]] = _WORKERS
_HELD: Final = frozenset({_S.CLAIMED, _S.IN_PROGRESS, _S.VERIFYING, _S.NEEDS_REVISION, _S.PAUSED})
# Review roles the self-review block applies to; RoboCo's developer may still finish the
# parallel docs/PR phase of its own task (the legacy docs_complete trigger).
_REVIEWERS: Final = frozenset({_R.QA, _R.DOCUMENTER, _R.PR_REVIEWER})


@dataclass(frozen=True, slots=True)
class Standing:
    """Who acts, relative to the task: what the authority rules read.

    ``holders`` are the task's assignee and live claimant; ``original_developer`` is its
    ``orchestration_markers.original_developer`` (set when it went to QA). An unknown actor
    team (None) skips the team rule, as RoboCo's gateway does when it has no team.
    """

    agent_id: str | None = None
    agent_team: str | None = None
    task_team: str | None = None
    holders: frozenset[str] = frozenset()
    original_developer: str | None = None


def authority_refusal(
    from_status: TaskStatus | str,
    to_status: TaskStatus | str,
    role: AgentRole | str,
    standing: Standing,
    *,
    action: str | None = None,
) -> str | None:
    """Why this actor may not take this (existing) edge, or None; RoboCo's gateway order:
    the action's roles, the self-review block, the team, then the holder. The system actor
    is exempt (RoboCo's own moves pass no role). ``action`` names the flow taking the edge
    when it is not the edge's own action (an agent's release rides the unblock edge, with
    its own authority): only the rules of that action apply."""
    src, dst, who = _status(from_status), _status(to_status), _role(role)
    edge = EDGES.get((src, dst))
    if edge is None or who is _R.SYSTEM:
        return None
    head = f"{src} -> {dst} refused for role {who}"
    name = action or edge.action
    rule = ACTIONS.get(name)
    if rule is not None:
        if edge.roles is None and who not in rule.roles:
            return f"{head}: role may not {name} (allowed: {_names(rule.roles)})"
        if (
            rule.self_review
            and who in _REVIEWERS
            and standing.agent_id is not None
            and standing.agent_id == standing.original_developer
        ):
            return f"{head}: agent {standing.agent_id} developed it (no self-review)"
        if (
            rule.team_match
            and who not in ORG_WIDE
            and standing.agent_team is not None
            and standing.task_team is not None
            and standing.agent_team != standing.task_team
        ):
            return (
                f"{head}: task is for team {standing.task_team}, agent is in {standing.agent_team}"
            )
    if who in OWNER_BOUND and src in _HELD and standing.agent_id not in standing.holders:
        held = ", ".join(sorted(standing.holders)) or "nobody"
        return f"{head}: agent {standing.agent_id} does not hold it (held by {held})"
    return None


def holds_own_work(role: AgentRole | str, from_status: TaskStatus | str) -> bool:
    """Whether :func:`authority_refusal` requires this role to hold a task in this status."""
    return _role(role) in OWNER_BOUND and _status(from_status) in _HELD


def _status(value: TaskStatus | str) -> TaskStatus:
    try:
        return TaskStatus(value)
    except ValueError:
        raise ValidationError(f"unknown task status {shown(value)}") from None


def _role(value: AgentRole | str) -> AgentRole:
    try:
        return AgentRole(value)
    except ValueError:
        raise ValidationError(f"unknown agent role {value!r}") from None


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _unmet(edge: Edge, facts: TaskFacts) -> list[Precondition]:
    return [p for p in edge.preconditions if not _HOLDS[p](facts)]


def allowed_targets(
    from_status: TaskStatus | str,
    role: AgentRole | str,
    facts: TaskFacts | None = None,
) -> frozenset[TaskStatus]:
    """Where this role may move a task next; with ``facts``, only where the git gates hold.

    Without ``facts`` the answer ignores preconditions, which suits menus and hints;
    anything that writes must go through :func:`check`.
    """
    src, who = _status(from_status), _role(role)
    return frozenset(
        dst
        for dst in _TARGETS[src]
        if (edge := EDGES[(src, dst)]).roles is None or who in edge.roles
        if facts is None or not _unmet(edge, facts)
    )


def refusal(
    from_status: TaskStatus | str,
    to_status: TaskStatus | str,
    role: AgentRole | str,
    facts: TaskFacts,
) -> str | None:
    """The one-line reason the move is refused, or None when it is allowed.

    Rules are tried in RoboCo's order: the edge, then the role gate, then git facts.
    """
    src, dst, who = _status(from_status), _status(to_status), _role(role)
    head = f"{src} -> {dst} refused for role {who}"
    edge = EDGES.get((src, dst))
    if edge is None:
        if src in TERMINAL:
            return f"{head}: no such edge ({src} is terminal)"
        return f"{head}: no such edge (from {src}: {', '.join(_TARGETS[src])})"
    if edge.roles is not None and who not in edge.roles:
        return f"{head}: role not allowed on {edge.action} (allowed: {_names(edge.roles)})"
    unmet = _unmet(edge, facts)
    if unmet:
        noun = "precondition" if len(unmet) == 1 else "preconditions"
        why = "; ".join(_WHY_UNMET[p] for p in unmet)
        return f"{head}: {noun} {', '.join(unmet)} unmet ({why})"
    return None


def check(
    from_status: TaskStatus | str,
    to_status: TaskStatus | str,
    role: AgentRole | str,
    facts: TaskFacts,
) -> None:
    """Raise :class:`TransitionRefused` unless the move is allowed; the write path's gate."""
    reason = refusal(from_status, to_status, role, facts)
    if reason is not None:
        raise TransitionRefused(reason)


def can_claim(role: AgentRole | str, status: TaskStatus | str) -> bool:
    """Whether the role's claim authority covers tasks in this status.

    This is RoboCo's per-role claim rule, separate from the edge table: the claim edges out
    of pending and needs_revision are open to any role, the rule narrows them per role.
    """
    return _status(status) in CLAIMABLE_BY_ROLE[_role(role)]
