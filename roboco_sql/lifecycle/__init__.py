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

The package keeps one concept per module: :mod:`.facts` (what the rules read), :mod:`.edges`
(the edge table and claim rule, as data), :mod:`.gates` (the edge's own gates) and
:mod:`.authority` (the gateway's rules beyond the edge). Every public name is re-exported
here, and the table's halves and builder for the test that rebuilds it.
"""

from __future__ import annotations

from roboco_sql.lifecycle.authority import (
    ACTIONS,
    ORG_WIDE,
    OWNER_BOUND,
    ActionRule,
    Standing,
    authority_refusal,
    holds_own_work,
)
from roboco_sql.lifecycle.edges import _LEGACY as _LEGACY
from roboco_sql.lifecycle.edges import _SPEC as _SPEC
from roboco_sql.lifecycle.edges import (
    ACTIVE,
    CLAIMABLE_BY_ROLE,
    EDGES,
    TERMINAL,
    WAITING,
    Edge,
)
from roboco_sql.lifecycle.edges import _build_edges as _build_edges
from roboco_sql.lifecycle.facts import (
    MAX_DEPTH,
    PR_REVIEW_SOURCES,
    Precondition,
    TaskFacts,
)
from roboco_sql.lifecycle.gates import allowed_targets, can_claim, check, refusal
from roboco_sql.models.enums import AgentRole, TaskStatus

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
