"""The edge table and the per-role claim rule, as data: every layer reads these tables.

The edges are the effective set RoboCo v0.29.0 enforces at runtime: its canonical spec plus
the legacy operational edges its services still take (unclaim, the reaper sweep, PM direct
completion, QA working a task by direct assignment). A role gate on an edge is the union of
the spec gate and the legacy gate. The module is long because the table is: one row per edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from roboco_sql.lifecycle.facts import Precondition
from roboco_sql.models.enums import AgentRole, TaskStatus


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
