"""What the task repositories share: the Task row factory, the three ways a task read answers
(a list of tasks, one task or none, a yes/no), the bool check of their flags, and the one-row
write that answers the task or NotFound.

Written once so that each function in tasks, graph, the annotation writes (_task_writes, for
task_notes and task_markers) and the task reads (task_queues, task_origins, task_children,
task_feeds) is its own arguments and nothing else.
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.task import Task
from roboco_sql.queries import Query
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import not_found
from roboco_sql.repos._rows import model_row

TASK_ROW = model_row(Task)
_GET = queries.load()["tasks.get_task"]


async def task_list(conn: AsyncConnection[Any], query: Query, **params: object) -> list[Task]:
    """Every task row the statement returns, in its order."""
    return await queries.fetch_all(conn, query, TASK_ROW, **params)


async def one_task(conn: AsyncConnection[Any], query: Query, **params: object) -> Task | None:
    """The task row the statement returns, or None."""
    return await queries.fetch_one(conn, query, TASK_ROW, **params)


async def yes_no(conn: AsyncConnection[Any], query: Query, **params: object) -> bool:
    """The statement's boolean answer; no row reads as False."""
    return bool(await queries.fetch_scalar(conn, query, bool, **params))


def task_not_found(task_id: uuid.UUID, what: str = "task") -> NotFound:
    """The NotFound of a missing task (`what` names its role: "blocker task", ...)."""
    return not_found(what, task_id)


async def existing_task(conn: AsyncConnection[Any], task_id: uuid.UUID, what: str = "task") -> Task:
    """The task by id; NotFound when there is none."""
    task = await one_task(conn, _GET, id=task_id)
    if task is None:
        raise task_not_found(task_id, what)
    return task


async def written_task(
    conn: AsyncConnection[Any], query: Query, task_id: uuid.UUID, **params: object
) -> Task:
    """Run a write of the task row ``id = task_id`` that returns it, constraint refusals
    translated; NotFound when the statement matched no row."""
    with translated("task"):
        task = await queries.fetch_one(conn, query, TASK_ROW, id=task_id, **params)
    if task is None:
        raise task_not_found(task_id)
    return task


def bool_arg(name: str, value: object) -> bool:
    """value, checked to be a bool (1 or "yes" is not one)."""
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be a bool")
    return value
