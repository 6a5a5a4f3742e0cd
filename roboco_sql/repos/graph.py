"""The work graph: blockers and dependencies, the parent tree, and product fan-out.

Edges follow RoboCo's columns: ``dependency_ids`` lists the tasks a task waits on (the ones
that completed move to ``completed_dependency_ids``, see :mod:`.transitions`), and
``blocker_ids`` lists the tasks it blocks. Parent chains are at most
:data:`~roboco_sql.lifecycle.MAX_DEPTH` levels (root = 1). Edits that could close a cycle
(``add_blocker``, ``set_parent``) hold one transaction-scoped advisory lock, so two of them
can never each pass the cycle check and then close a loop together.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.rows import scalar_row

from roboco_sql import queries
from roboco_sql.errors import Conflict, NotFound, TransitionRefused, ValidationError
from roboco_sql.lifecycle import EDGES, MAX_DEPTH, TERMINAL
from roboco_sql.models.enums import CELL_TEAMS, BlockerResolverType, TaskStatus, Team
from roboco_sql.models.task import Task, TaskCreate
from roboco_sql.queries import Query
from roboco_sql.repos import products, tasks
from roboco_sql.repos._checks import enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._task_common import existing_task, one_task, task_list, task_not_found
from roboco_sql.repos.transitions import SYSTEM, ActorLike, actor_of, apply_transition

__all__ = [
    "add_blocker",
    "add_dependency",
    "ancestors",
    "fan_out",
    "resolve_blocker",
    "set_parent",
    "subtree",
    "unmet_dependencies",
]

_Q = queries.load()
_LOCK = _Q["graph.lock_task_graph"]
_DEPENDS = _Q["graph.task_depends_on"]
_RECORD = _Q["graph.record_task_blocker"]
_DROP = _Q["graph.drop_task_blocker"]
_SET_PARENT = _Q["graph.set_task_parent"]
_SUBTREE = _Q["graph.task_subtree"]
_ANCESTORS = _Q["graph.task_ancestors"]
_UNMET = _Q["graph.unmet_task_dependencies"]
_APPEND_DEP = _Q["graph.append_task_dependency"]

# pg_advisory_xact_lock key of the task graphs ("roboco" in ASCII, then 1)
_GRAPH_KEY: Final = 0x726F626F636F0001
# RoboCo's cross-cell sequencing: implementation cells wait on the UX/UI cell's design.
_WAITS_ON_UX: Final = frozenset({Team.FRONTEND, Team.BACKEND})


async def _lock_graph(conn: AsyncConnection[Any]) -> None:
    await queries.execute(conn, _LOCK, key=_GRAPH_KEY)


async def unmet_dependencies(conn: AsyncConnection[Any], task_id: uuid.UUID) -> list[uuid.UUID]:
    """The dependencies that still hold the task back (neither completed nor cancelled)."""
    return await queries.fetch_all(conn, _UNMET, scalar_row, id=task_id)


async def add_dependency(
    conn: AsyncConnection[Any], task_id: uuid.UUID, depends_on_id: uuid.UUID
) -> bool:
    """Make the task wait on ``depends_on_id`` WITHOUT changing its status: RoboCo's
    add_dependency (cross-cell sequencing, collision ordering). True when the edge is new,
    False when it was already there.

    A pending task with an unmet dependency stays out of the claim queue, and is released when
    the dependency finishes (see transitions). Unlike :func:`add_blocker` the other task's
    blocker_ids is not written and nothing moves. One append statement, under the graph lock
    that keeps two concurrent edits from closing a cycle. ValidationError for a task depending
    on itself or a dependency that (transitively) waits on the task; NotFound for either task
    missing.
    """
    if task_id == depends_on_id:
        raise ValidationError(f"task {task_id} cannot depend on itself")
    async with queries.atomic(conn):
        await _lock_graph(conn)
        await existing_task(conn, task_id)
        await existing_task(conn, depends_on_id, "dependency task")
        if await queries.fetch_scalar(conn, _DEPENDS, bool, from_id=depends_on_id, to_id=task_id):
            raise ValidationError(
                f"task {task_id} cannot depend on task {depends_on_id}: it already waits on it "
                "(the dependency would close a cycle)"
            )
        added = await queries.fetch_scalar(
            conn, _APPEND_DEP, bool, id=task_id, depends_on_id=depends_on_id
        )
    return added is True


async def add_blocker(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    blocker_id: uuid.UUID,
    resolver_type: BlockerResolverType = BlockerResolverType.AGENT,
    raised_by: ActorLike | None = None,
) -> Task:
    """Make ``blocker_id`` block ``task_id``, in one transaction, as RoboCo's block.

    The blocker joins the task's dependency_ids and the task the blocker's blocker_ids. A task
    that can move to blocked (in_progress, awaiting_qa) does so, recording the resolver type,
    who raised it (``raised_by``, else its assignee) and its pre-block state and owner; a
    pending or backlog task is held out of the claim queue by the dependency alone. A blocker
    that already completed or was cancelled holds nothing. The task is revived when its last
    blocker completes (see transitions) or is resolved here.

    ValidationError for a task blocking itself or a blocker that (transitively) waits on the
    task; TransitionRefused for a finished task; NotFound for either task missing.
    """
    if task_id == blocker_id:
        raise ValidationError(f"task {task_id} cannot block itself")
    resolver_type = enum_arg("resolver_type", BlockerResolverType, resolver_type)
    who = SYSTEM if raised_by is None else actor_of(raised_by)
    async with queries.atomic(conn):
        await _lock_graph(conn)
        task = await existing_task(conn, task_id)
        blocker = await existing_task(conn, blocker_id, "blocker task")
        if task.status in TERMINAL:
            raise TransitionRefused(f"task {task_id}: cannot be blocked, it is {task.status}")
        if await queries.fetch_scalar(conn, _DEPENDS, bool, from_id=blocker_id, to_id=task_id):
            raise ValidationError(
                f"task {blocker_id} cannot block task {task_id}: it already waits on it "
                "(the dependency would close a cycle)"
            )
        with translated("task"):
            recorded = await _edit_blockers(conn, _RECORD, task, blocker_id, "adding")
        if blocker.status in TERMINAL or (recorded.status, TaskStatus.BLOCKED) not in EDGES:
            return recorded
        return await apply_transition(
            conn,
            recorded,
            TaskStatus.BLOCKED,
            who,
            resolver_type=resolver_type,
            raised_by=who.id,
        )


async def _edit_blockers(
    conn: AsyncConnection[Any], query: Query, task: Task, blocker_id: uuid.UUID, doing: str
) -> Task:
    """Add or drop one blocker edge of a task, provided it is still in the status it was read
    in; Conflict (retry) when it changed meanwhile."""
    edited = await one_task(
        conn, query, task_id=task.id, blocker_id=blocker_id, expected_status=task.status
    )
    if edited is None:
        raise Conflict(f"task {task.id}: changed while {doing} blocker {blocker_id}; retry")
    return edited


async def resolve_blocker(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    blocker_id: uuid.UUID,
    actor: ActorLike | None = None,
) -> Task:
    """Drop ``blocker_id`` from the task's blockers without it completing, in one transaction.

    When that leaves a blocked task with no unmet dependency it is unblocked as RoboCo's
    unblock does: back to its pre-block owner, in_progress when it has a branch and an owner,
    else pending. A blocker that already completed is already resolved (the task is returned
    as is); NotFound when the task is missing or was never blocked by ``blocker_id``.
    """
    who = SYSTEM if actor is None else actor_of(actor)
    async with queries.atomic(conn):
        task = await existing_task(conn, task_id)
        if blocker_id not in task.dependency_ids:
            if blocker_id in task.completed_dependency_ids:
                return task
            raise NotFound(f"task {task_id} is not blocked by task {blocker_id}")
        dropped = await _edit_blockers(conn, _DROP, task, blocker_id, "resolving")
        if dropped.status is not TaskStatus.BLOCKED or await unmet_dependencies(conn, task_id):
            return dropped
        owner = (
            dropped.blocker_raised_by
            or dropped.pre_block_assignee
            or dropped.assigned_to
            or dropped.claimed_by
        )
        target = TaskStatus.IN_PROGRESS if dropped.branch_name and owner else TaskStatus.PENDING
        return await apply_transition(conn, dropped, target, who, action="unblock")


async def set_parent(
    conn: AsyncConnection[Any], task_id: uuid.UUID, parent_id: uuid.UUID | None
) -> Task:
    """Move a task, with its subtree, under ``parent_id`` (None: make it a root).

    ValidationError when the new parent is the task or one of its descendants (a cycle) or
    when the subtree's deepest task would sit deeper than MAX_DEPTH levels; NotFound for a
    missing task or parent. New tasks get the same depth rule from ``tasks.create_task``.
    """
    async with queries.atomic(conn):
        await _lock_graph(conn)
        with translated("task"):
            moved = await one_task(
                conn, _SET_PARENT, id=task_id, parent_id=parent_id, max_depth=MAX_DEPTH
            )
        if moved is not None:
            return moved
        tree = await subtree(conn, task_id)
        if not tree:
            raise task_not_found(task_id)
        chain = (
            []
            if parent_id is None
            else [parent_id, *(a.id for a in await ancestors(conn, parent_id))]
        )
        if task_id in chain:
            raise ValidationError(
                f"task {task_id} cannot move under task {parent_id}: that is the task itself "
                "or one of its descendants (a parent cycle)"
            )
        levels = len(chain) + _height(tree)
        where = "to the root" if parent_id is None else f"under task {parent_id}"
        raise ValidationError(
            f"task {task_id} cannot move {where}: its subtree would reach {levels} levels, "
            f"over MAX_DEPTH={MAX_DEPTH}; move it higher up instead"
        )


def _height(tree: list[Task]) -> int:
    """Levels of a subtree as ``subtree`` returns it (root first, parents before children)."""
    level = {tree[0].id: 1}
    for node in tree[1:]:
        assert node.parent_task_id is not None
        level[node.id] = level[node.parent_task_id] + 1
    return max(level.values())


async def subtree(conn: AsyncConnection[Any], task_id: uuid.UUID) -> list[Task]:
    """The task and all its descendants in one query, parents before children ([] if none)."""
    return await task_list(conn, _SUBTREE, id=task_id)


async def ancestors(conn: AsyncConnection[Any], task_id: uuid.UUID) -> list[Task]:
    """The task's ancestors in one query: its parent first, the root last."""
    return await task_list(conn, _ANCESTORS, id=task_id)


async def fan_out(
    conn: AsyncConnection[Any],
    coordination_task_id: uuid.UUID,
    cells: Sequence[Team],
    *,
    created_by: uuid.UUID,
    assignees: Mapping[Team, uuid.UUID] | None = None,
) -> list[Task]:
    """One child task per cell under a coordination task, in one transaction; the children
    in the order of ``cells``.

    A coordination task names a product and no project; each child is routed to the project
    its cell builds for that product (product_projects) and carries that project_id only
    (045). Children take the parent's content, priority, type, nature and complexity, cover
    all its acceptance criteria (parent_ac_refs), get the next sibling sequence numbers,
    inherit the parent's unmet dependencies, and, as RoboCo's cross-cell sequencing, the
    frontend and backend children wait on the UX/UI child when there is one.

    ValidationError for a parent that is not an unfinished coordination task, a cell that is
    not one of the three, repeated or unmapped; Conflict when a cell already has a child.
    """
    if not cells:
        raise ValidationError("fan_out needs at least one cell")
    if len(set(cells)) != len(cells) or not set(cells) <= CELL_TEAMS:
        raise ValidationError(
            f"fan_out cells must be distinct cells ({', '.join(sorted(CELL_TEAMS))}), "
            f"got {', '.join(cells)}"
        )
    async with queries.atomic(conn):
        await _lock_graph(conn)
        parent = await _coordination_task(conn, coordination_task_id)
        siblings = [
            s
            for s in await tasks.list_tasks(conn, parent_task_id=parent.id, limit=1000)
            if s.status is not TaskStatus.CANCELLED
        ]
        taken = sorted({s.team for s in siblings} & set(cells))
        if taken:
            raise Conflict(f"task {parent.id} already has a child for cell(s) {', '.join(taken)}")
        routes = await _cell_projects(conn, parent, cells)
        inherited = await unmet_dependencies(conn, parent.id)
        drafts = {
            cell: _child(
                parent,
                cell,
                project_id=routes[cell],
                created_by=created_by,
                assignees=assignees,
                inherited=inherited,
                sequence=n,
            )
            for n, cell in enumerate(cells, start=len(siblings))
        }
        ux = drafts.get(Team.UX_UI)
        ux_id = ux.id if ux is not None else _open_ux_sibling(siblings)
        for cell, draft in drafts.items():
            if ux_id is not None and cell in _WAITS_ON_UX and ux_id not in draft.dependency_ids:
                draft.dependency_ids.append(ux_id)
        return [await tasks.create_task(conn, drafts[cell]) for cell in cells]


async def _coordination_task(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Task:
    """The unfinished coordination task (a product, no project) to fan out; ValidationError
    otherwise, NotFound when there is none."""
    parent = await existing_task(conn, task_id, "coordination task")
    if parent.project_id is not None or parent.product_id is None:
        raise ValidationError(
            f"task {parent.id} is not a coordination task (it must name a product and no project)"
        )
    if parent.status in TERMINAL:
        raise ValidationError(f"task {parent.id} is {parent.status}; nothing to fan out")
    return parent


async def _cell_projects(
    conn: AsyncConnection[Any], parent: Task, cells: Sequence[Team]
) -> dict[Team, uuid.UUID]:
    """The project each cell builds for the parent's product; ValidationError for a cell the
    product maps no project to."""
    assert parent.product_id is not None  # a coordination task's, checked by the caller
    routes = {}
    for cell in cells:
        project = await products.resolve_project(conn, parent.product_id, cell)
        if project is None:
            raise ValidationError(
                f"product {parent.product_id} maps no project for cell {cell}; add the "
                "mapping before fanning out"
            )
        routes[cell] = project.id
    return routes


def _open_ux_sibling(siblings: list[Task]) -> uuid.UUID | None:
    return next((s.id for s in siblings if s.team is Team.UX_UI and s.status not in TERMINAL), None)


def _child(
    parent: Task,
    cell: Team,
    *,
    project_id: uuid.UUID,
    created_by: uuid.UUID,
    assignees: Mapping[Team, uuid.UUID] | None,
    inherited: list[uuid.UUID],
    sequence: int,
) -> TaskCreate:
    suffix = f" [{cell}]"
    return TaskCreate(
        title=parent.title[: 200 - len(suffix)] + suffix,
        description=parent.description,
        acceptance_criteria=list(parent.acceptance_criteria),
        parent_ac_refs=list(parent.acceptance_criteria_ids),
        priority=parent.priority,
        task_type=parent.task_type,
        nature=parent.nature,
        estimated_complexity=parent.estimated_complexity,
        team=cell,
        project_id=project_id,
        created_by=created_by,
        assigned_to=(assignees or {}).get(cell),
        parent_task_id=parent.id,
        dependency_ids=list(inherited),
        sequence=sequence,
        source=parent.source,
    )
