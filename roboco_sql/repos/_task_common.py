"""What the task reads share: the Task row factory, the three ways a task statement answers
(a list of tasks, one task or none, a yes/no), and the bool check of their flags.

Written once so that each read in task_queues, task_origins, task_children and task_feeds is
its own arguments and nothing else.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.task import Task
from roboco_sql.queries import Query
from roboco_sql.repos._rows import model_row

TASK_ROW = model_row(Task)


async def task_list(conn: AsyncConnection[Any], query: Query, **params: object) -> list[Task]:
    """Every task row the statement returns, in its order."""
    return await queries.fetch_all(conn, query, TASK_ROW, **params)


async def one_task(conn: AsyncConnection[Any], query: Query, **params: object) -> Task | None:
    """The task row the statement returns, or None."""
    return await queries.fetch_one(conn, query, TASK_ROW, **params)


async def yes_no(conn: AsyncConnection[Any], query: Query, **params: object) -> bool:
    """The statement's boolean answer; no row reads as False."""
    return bool(await queries.fetch_scalar(conn, query, bool, **params))


def bool_arg(name: str, value: object) -> bool:
    """value, checked to be a bool (1 or "yes" is not one)."""
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be a bool")
    return value
