"""What each lifecycle edge does besides moving the status, as data.

:data:`EFFECTS` maps every edge of :data:`roboco_sql.lifecycle.EDGES` to an :class:`Effects`
record, built from one rule per target state plus a few per action; the transition statement
(sql/queries/transitions.sql) turns each field into a fixed ``CASE`` of its SET list.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Final

from roboco_sql.lifecycle import EDGES
from roboco_sql.models.enums import TaskStatus, WorkSessionStatus

__all__ = ["EFFECTS", "Effects", "Owner"]


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
