"""Tasks: create, read, the board's filtered lists, edits, deletes, and the scope rule (the
optional task_scope_check addition).

Status is not written here: it moves only through the lifecycle state machine.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import scalar_row

from roboco_sql import queries
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import TaskStatus, Team
from roboco_sql.models.task import MAX_TASK_DEPTH, Task, TaskCreate, TaskUpdate
from roboco_sql.repos._errors import translated
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "create_task",
    "delete_task",
    "get_task",
    "list_tasks",
    "scope_violations",
    "update_task",
    "validate_scope",
]

_Q = queries.load()
_CREATE = _Q["tasks.create_task"]
_GET = _Q["tasks.get_task"]
_LIST = _Q["tasks.list_tasks"]
_UPDATE = _Q["tasks.update_task"]
_DELETE = _Q["tasks.delete_task"]
_SCOPE_VIOLATIONS = _Q["tasks.task_scope_violations"]
_VALIDATE_SCOPE = _Q["tasks.validate_task_scope"]

_ROW = model_row(Task)
_UPDATABLE = tuple(TaskUpdate.model_fields)


async def create_task(conn: AsyncConnection[Any], data: TaskCreate) -> Task:
    """Insert a new task with its starting values; one round trip, parent depth included.

    A missing parent, project, product or agent is NotFound naming it; a parent chain already
    MAX_TASK_DEPTH deep (or cyclic) is a ValidationError, and nothing is written.
    """
    with translated("task"):
        task = await queries.fetch_one(
            conn,
            _CREATE,
            _ROW,
            **dict(data),  # every TaskCreate field is a parameter of the insert
            max_depth=MAX_TASK_DEPTH,
        )
    if task is None:
        raise ValidationError(
            f"task: parent task {data.parent_task_id} is already at MAX_TASK_DEPTH="
            f"{MAX_TASK_DEPTH} (or its parent chain loops); create a sibling instead"
        )
    return task


async def get_task(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Task | None:
    """One task by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=task_id)


async def list_tasks(
    conn: AsyncConnection[Any],
    *,
    status: TaskStatus | Collection[TaskStatus] | None = None,
    team: Team | None = None,
    project_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    assigned_to: uuid.UUID | None = None,
    created_by: uuid.UUID | None = None,
    parent_task_id: uuid.UUID | None = None,
    after: Task | None = None,
    limit: int = 50,
) -> list[Task]:
    """Tasks matching every filter given, in board order (priority, then newest first).

    ``status`` takes one status or several. For the next page pass the last task of this one
    as ``after``.
    """
    statuses = [status] if isinstance(status, TaskStatus) else status
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        statuses=None if statuses is None else list(statuses),
        team=team,
        project_id=project_id,
        product_id=product_id,
        assigned_to=assigned_to,
        created_by=created_by,
        parent_task_id=parent_task_id,
        after_priority=None if after is None else after.priority,
        after_created_at=None if after is None else after.created_at,
        after_id=None if after is None else after.id,
        limit=limit,
    )


async def update_task(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    data: TaskUpdate,
) -> Task:
    """Write the fields the update set; NotFound when there is no such task.

    An empty update changes nothing (updated_at included) and returns the task as it is.
    """
    changes = data.changes()
    if not changes:
        current = await get_task(conn, task_id)
        if current is None:
            raise NotFound(f"task {task_id} not found")
        return current
    params = {"id": task_id, "updated_at": utcnow(), **patch_params(changes, _UPDATABLE)}
    with translated("task"):
        task = await queries.fetch_one(conn, _UPDATE, _ROW, **params)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


async def delete_task(conn: AsyncConnection[Any], task_id: uuid.UUID) -> int:
    """Delete a task with all its descendants, in one statement; how many tasks went.

    NotFound when there is no such task.
    """
    deleted = await queries.execute_rows(conn, _DELETE, id=task_id)
    if deleted == 0:
        raise NotFound(f"task {task_id} not found")
    return deleted


async def scope_violations(conn: AsyncConnection[Any]) -> list[uuid.UUID]:
    """Tasks setting both or neither of project_id/product_id, oldest first.

    These keep rsql_tasks_scope NOT VALID (task_scope_check) and cannot be updated until
    their scope is fixed (e.g. update_task with TaskUpdate(project_id=..., product_id=None)).
    """
    return await queries.fetch_all(conn, _SCOPE_VIOLATIONS, scalar_row)


async def validate_scope(conn: AsyncConnection[Any]) -> None:
    """Validate rsql_tasks_scope after the operator fixed the rows scope_violations() lists.

    A no-op when already valid; a ValidationError, validating nothing, while any row still
    violates it.
    """
    try:
        with translated("task"):
            await queries.execute(conn, _VALIDATE_SCOPE)
    except ValidationError:
        raise ValidationError(
            "tasks: some rows still set both or neither of project_id/product_id, so "
            "rsql_tasks_scope stays NOT VALID; fix the rows scope_violations() lists first"
        ) from None
