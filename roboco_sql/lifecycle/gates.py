"""The edge's own gates: is there such an edge, may this role take it, do the git facts hold.

:func:`check` is the write path's gate; :func:`refusal` says why in one line, in RoboCo's
order (the edge, the role gate, the git facts).
"""

from __future__ import annotations

from roboco_sql.errors import TransitionRefused
from roboco_sql.lifecycle.edges import _TARGETS, CLAIMABLE_BY_ROLE, EDGES, TERMINAL, Edge
from roboco_sql.lifecycle.facts import (
    _HOLDS,
    _WHY_UNMET,
    Precondition,
    TaskFacts,
    _names,
    _role,
    _status,
)
from roboco_sql.models.enums import AgentRole, TaskStatus


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
