"""The one-row write paths the repositories share, and the checks of what they are given.

An INSERT names its columns once, in the query file; the repository then passes only what
it computes itself (a ciphertext, a renamed or converted field) instead of repeating every
``name=data.name`` of the model (``input_params``, ``insert``); a write whose parameters are
the function's own arguments runs through ``returned``. A statement about an existing row
returns it or means NotFound (``existing``; ``removed`` for a DELETE); a guarded one that
matched nothing is explained from the row as it is now (``missed``); a looked-up text key is
checked before any SQL (``checked_text``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import AsyncRowFactory
from psycopg.types.json import Json
from pydantic import BaseModel

from roboco_sql import queries
from roboco_sql.errors import Conflict, NotFound, RobocoSQLError, ValidationError
from roboco_sql.models.base import unstorable
from roboco_sql.repos._errors import translated

R = TypeVar("R")


def checked_text(name: str, value: object, longest: int) -> str:
    """A text argument a statement looks up by (an email, an X id): a string of 1 to
    `longest` characters that PostgreSQL text can hold, else a ValidationError naming it."""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= longest:
        raise ValidationError(f"{name} must be 1 to {longest} characters, not {len(value)}")
    reason = unstorable(value)
    if reason is not None:
        raise ValidationError(f"{name} {reason}")
    return value


def input_params(
    q: queries.Query, data: BaseModel, *, json: Collection[str] = (), **given: object
) -> dict[str, Any]:
    """Each parameter of `q`: from `given` if there, else the field of that name (JSON
    columns wrapped in Json). A parameter that is neither is a bug in the repository."""
    params: dict[str, Any] = {}
    for name in q.params:
        if name in given:
            params[name] = given[name]
        else:
            value = getattr(data, name)
            params[name] = Json(value) if name in json else value
    return params


async def insert(
    conn: AsyncConnection[Any],
    q: queries.Query,
    row_factory: AsyncRowFactory[R],
    data: BaseModel,
    *,
    entity: str,
    json: Collection[str] = (),
    **given: object,
) -> R:
    """Run an INSERT (or upsert) ... RETURNING of one row, its parameters from `data` as
    input_params takes them; a refusal comes out as the domain error naming `entity`."""
    return await returned(conn, q, row_factory, entity, **input_params(q, data, json=json, **given))


async def returned(
    conn: AsyncConnection[Any],
    q: queries.Query,
    row_factory: AsyncRowFactory[R],
    entity: str,
    /,
    **params: object,
) -> R:
    """The row an INSERT (or upsert) ... RETURNING writes, always one; a refusal comes out as
    the domain error naming `entity`."""
    with translated(entity):
        row = await queries.fetch_one(conn, q, row_factory, **params)
    assert row is not None  # INSERT ... RETURNING always yields the row
    return row


def not_found(entity: str, key: object) -> NotFound:
    """The one wording of a missing row: "<entity> <key> not found"."""
    return NotFound(f"{entity} {key} not found")


async def existing(
    conn: AsyncConnection[Any],
    q: queries.Query,
    row_factory: AsyncRowFactory[R],
    entity: str,
    key: object,
    /,
    **params: object,
) -> R:
    """The one row a statement about an existing `entity` returns (an update, a state
    change); no row is NotFound "<entity> <key> not found", a refusal the domain error."""
    with translated(entity):
        row = await queries.fetch_one(conn, q, row_factory, **params)
    if row is None:
        raise not_found(entity, key)
    return row


async def removed(
    conn: AsyncConnection[Any], q: queries.Query, entity: str, key: object, /, **params: object
) -> None:
    """Run a DELETE of one existing `entity`; no row is NotFound "<entity> <key> not found", a
    refusal (a row still referencing it) the domain error."""
    with translated(entity):
        count = await queries.execute_rows(conn, q, **params)
    if count == 0:
        raise not_found(entity, key)


def missed(
    current: R | None,
    entity: str,
    key: object,
    why: Callable[[R], str],
    error: Callable[[str], RobocoSQLError] = Conflict,
) -> RobocoSQLError:
    """Why a guarded write of an existing `entity` matched no row, judged from the row as it
    is now: NotFound "<entity> <key> not found" when it is gone, else ``error(why(row))`` (a
    Conflict, or the ValidationError of a caller the row is not for)."""
    if current is None:
        return not_found(entity, key)
    return error(why(current))
