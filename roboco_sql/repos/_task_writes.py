"""What a task's annotation writes share (task_notes, task_markers): the checks their text,
UUID, percentage and JSON arguments pass before any SQL, and the runners of their statements
(sql/queries/task_notes.sql by name), each stamped now: the task back, a value back, or a
counter's new value, NotFound for a task that does not exist."""

from __future__ import annotations

import json
import uuid
from typing import Any, TypeVar

from psycopg import AsyncConnection
from pydantic import JsonValue

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.base import unstorable, utcnow
from roboco_sql.models.task import Task
from roboco_sql.models.task_markers import json_texts
from roboco_sql.repos._task_common import task_not_found, written_task
from roboco_sql.validate import check_json

_Q = queries.load()
Conn = AsyncConnection[Any]
T = TypeVar("T")


def checked_text(name: str, value: object, *, empty: bool = False) -> str:
    """A text parameter checked before any SQL: a str, storable, and non-empty unless allowed."""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {type(value).__name__}")
    if not empty and not value.strip():
        raise ValidationError(f"{name} must not be empty")
    reason = unstorable(value)
    if reason is not None:
        raise ValidationError(f"{name} {reason}")
    return value


def checked_uuid(name: str, value: object) -> uuid.UUID:
    if not isinstance(value, uuid.UUID):
        raise ValidationError(f"{name} must be a UUID, not {type(value).__name__}")
    return value


def checked_percent(name: str, value: object) -> None:
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100
    ):
        raise ValidationError(f"{name} must be an integer from 0 to 100 or None, not {value!r}")


def checked_json(name: str, value: object) -> JsonValue:
    """A JSON document parameter: text jsonb can store, within validate.check_json's depth,
    size and number rules, and only what json can encode (checked in that order: json.dumps
    recurses, so the depth is refused before it runs)."""
    for text in json_texts(value):
        reason = unstorable(text)
        if reason is not None:
            raise ValidationError(f"{name} {reason}")
    check_json(name, value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} is not a JSON document: {exc}") from None
    return value  # type: ignore[return-value]  # json.dumps accepted it


async def run_write(conn: Conn, name: str, task_id: uuid.UUID, **params: object) -> Task:
    """Run one of the task-row writes, stamped now; NotFound when there is no such task."""
    checked_uuid("task_id", task_id)
    return await written_task(conn, _Q[f"task_notes.{name}"], task_id, now=utcnow(), **params)


async def run_scalar(
    conn: Conn, name: str, task_id: uuid.UUID, type_: type[T], **params: object
) -> T | None:
    """Run one of the writes that answer a value (None: it wrote nothing), stamped now."""
    checked_uuid("task_id", task_id)
    query = _Q[f"task_notes.{name}"]
    return await queries.fetch_scalar(conn, query, type_, id=task_id, now=utcnow(), **params)


async def run_counter(conn: Conn, name: str, task_id: uuid.UUID, **params: object) -> int:
    """Run one of the counter bumps; the new count, NotFound when there is no such task."""
    count = await run_scalar(conn, name, task_id, int, **params)
    if count is None:
        raise task_not_found(task_id)
    return count


def now_iso() -> str:
    return utcnow().isoformat()
