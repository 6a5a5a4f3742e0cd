"""A task's direct children and the checks RoboCo runs over its siblings: the subtask lists,
whether all are finished, the claim-time code-sibling order, the cells the children cover, the
criteria they declare, and the parent lock a merge takes.

Each is one statement, read as a projection where RoboCo loaded whole rows to fold them.
Nothing here writes; the caller owns the transaction (and, for lock_task, the lock).
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import scalar_row

from roboco_sql import queries
from roboco_sql.models.task import Task
from roboco_sql.models.task_views import ChildCoverage
from roboco_sql.repos._checks import uuid_arg
from roboco_sql.repos._paging import MAX_LIMIT, checked_limit
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._task_common import bool_arg, one_task, task_list, yes_no

__all__ = [
    "all_children_terminal",
    "children_coverage",
    "has_earlier_open_code_sibling",
    "list_children",
    "lock_task",
    "uncovered_required_cells",
]

_Q = queries.load()
_CHILDREN = _Q["task_queues.list_child_tasks"]
_CHILDREN_DONE = _Q["task_queues.children_all_terminal"]
_EARLIER_SIBLING = _Q["task_queues.earlier_open_code_sibling"]
_UNCOVERED_CELLS = _Q["task_queues.uncovered_required_cells"]
_COVERAGE = _Q["task_queues.children_coverage"]
_LOCK = _Q["task_queues.lock_task"]


async def list_children(
    conn: AsyncConnection[Any],
    parent_id: uuid.UUID,
    *,
    live_only: bool = False,
    limit: int = MAX_LIMIT,
) -> list[Task]:
    """A task's direct children, oldest first (RoboCo's get_subtasks); with live_only, without
    the cancelled ones (get_live_subtasks)."""
    live = bool_arg("live_only", live_only)
    parent = uuid_arg("parent_id", parent_id)
    return await task_list(
        conn, _CHILDREN, parent_id=parent, live_only=live, limit=checked_limit(limit)
    )


async def all_children_terminal(conn: AsyncConnection[Any], parent_id: uuid.UUID) -> bool:
    """Whether every direct child is completed or cancelled (true with no children)."""
    return await yes_no(conn, _CHILDREN_DONE, parent_id=uuid_arg("parent_id", parent_id))


async def has_earlier_open_code_sibling(conn: AsyncConnection[Any], task_id: uuid.UUID) -> bool:
    """Whether a code task waits behind an open code sibling of the same assignee with a lower
    (sequence, created_at); false for a non-code, parentless or unassigned task."""
    return await yes_no(conn, _EARLIER_SIBLING, id=uuid_arg("task_id", task_id))


async def uncovered_required_cells(conn: AsyncConnection[Any], parent_id: uuid.UUID) -> list[str]:
    """The cells the parent's required_cells marker names that no direct child's team covers,
    normalised and in marker order; [] when there is no marker (or no such task)."""
    return await queries.fetch_all(
        conn, _UNCOVERED_CELLS, scalar_row, parent_id=uuid_arg("parent_id", parent_id)
    )


async def children_coverage(
    conn: AsyncConnection[Any], parent_id: uuid.UUID
) -> list[ChildCoverage]:
    """Each direct child's status and declared parent criteria (ids or texts), oldest first:
    the projection RoboCo's acceptance-criteria coverage checks fold."""
    return await queries.fetch_all(
        conn, _COVERAGE, model_row(ChildCoverage), parent_id=uuid_arg("parent_id", parent_id)
    )


async def lock_task(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Task | None:
    """Lock a task row FOR UPDATE until the caller's transaction ends and return it (None: no
    such task). RoboCo locks a parent so two merges into it run one after the other."""
    return await one_task(conn, _LOCK, id=uuid_arg("task_id", task_id))
