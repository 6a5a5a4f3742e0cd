"""The gateway's rules beyond the edge: action roles, self-review, team and holder.

Where RoboCo gates the action rather than the edge (an edge with no gate of its own),
:data:`ACTIONS` holds the action's roles, and :func:`authority_refusal` adds what RoboCo's
gateway checks on top: the self-review block, the team match and the holder of the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from roboco_sql.lifecycle.edges import _CEO_ESCALATORS, _PMS, EDGES
from roboco_sql.lifecycle.facts import _names, _role, _status
from roboco_sql.models.enums import AgentRole, TaskStatus

_S = TaskStatus
_R = AgentRole


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
