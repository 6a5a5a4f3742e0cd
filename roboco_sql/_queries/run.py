"""Running named queries: one helper per kind, on raw cursors, with the savepoint rules.

Statements go through psycopg's raw cursor, which takes the compiled $n placeholders natively.
Mapping rows to models is the caller's row factory's job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection, AsyncRawCursor
from psycopg.pq import TransactionStatus
from psycopg.rows import AsyncRowFactory, tuple_row

from roboco_sql._queries.query import HELPER, Query, QueryKind
from roboco_sql.errors import ValidationError

R = TypeVar("R")
T = TypeVar("T")
X = TypeVar("X")


def _check(q: Query, *kinds: QueryKind) -> None:
    if q.kind not in kinds:
        raise ValidationError(f"{q.label} is a :{q.kind} query; run it with {HELPER[q.kind]}()")


def _refuse(q: Query, exc: UnicodeEncodeError | psycopg.DataError) -> None:
    """Values psycopg refuses before the server sees them (a NUL, a lone surrogate) are bad
    input, not database failures; errors from the server go on to the caller."""
    if isinstance(exc, UnicodeEncodeError):
        raise ValidationError(f"{q.label}: a text value is not valid Unicode") from None
    if exc.diag.sqlstate is None:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ValidationError(f"{q.label}: {first}") from None
    raise exc


_ATOMIC: ContextVar[AsyncConnection[Any] | None] = ContextVar("roboco_sql_atomic", default=None)


@asynccontextmanager
async def atomic(conn: AsyncConnection[Any]) -> AsyncIterator[None]:
    """A repository function's own all-or-nothing block: `conn.transaction()` (a savepoint
    inside the caller's transaction), inside which statements skip their own savepoint."""
    token = _ATOMIC.set(conn)
    try:
        async with conn.transaction():
            yield
    finally:
        _ATOMIC.reset(token)


async def _execute(cur: AsyncRawCursor[Any], q: Query, args: Sequence[object]) -> None:
    """Run one statement so that its failure never costs the caller their transaction.

    RoboCo's call sites go on after a refused write (a get-or-create race, a duplicate), so a
    failed statement must leave the connection usable with the caller's earlier work intact:
    - in the caller's open transaction, a writing statement runs under a savepoint (two more
      round trips, paid only there);
    - with no transaction open yet, the failed statement's own implicit transaction, which
      holds nothing of the caller's, is rolled back;
    - inside a repository function's own `atomic` block (already a savepoint or its own
      transaction), the block undoes the work, so no second savepoint is taken.
    """
    conn = cur.connection
    status = conn.info.transaction_status
    guard = q.writes and status is TransactionStatus.INTRANS and _ATOMIC.get() is not conn
    try:
        if guard:
            async with conn.transaction():
                await cur.execute(q.sql, args)
        else:
            await cur.execute(q.sql, args)
    except (UnicodeEncodeError, psycopg.Error) as exc:
        if status is TransactionStatus.IDLE and (
            conn.info.transaction_status is TransactionStatus.INERROR
        ):
            await conn.rollback()
        if isinstance(exc, (UnicodeEncodeError, psycopg.DataError)):
            _refuse(q, exc)
        raise


async def _run(
    conn: AsyncConnection[Any],
    q: Query,
    kind: QueryKind,
    params: Mapping[str, object],
    *,
    rows: AsyncRowFactory[R],
    take: Callable[[AsyncRawCursor[R]], Awaitable[X]],
) -> X:
    """The one path of every single-statement helper: check the kind, bind, run, take."""
    _check(q, kind)
    args = q.args(params)
    async with AsyncRawCursor(conn, row_factory=rows) as cur:
        await _execute(cur, q, args)
        return await take(cur)


async def _rowcount(cur: AsyncRawCursor[Any]) -> int:
    return cur.rowcount


async def _nothing(cur: AsyncRawCursor[Any]) -> None:
    return None


async def fetch_one(
    conn: AsyncConnection[Any], q: Query, row_factory: AsyncRowFactory[R], /, **params: object
) -> R | None:
    """The first row of a :one query as the row factory builds it, or None."""
    return await _run(
        conn, q, QueryKind.ONE, params, rows=row_factory, take=AsyncRawCursor.fetchone
    )


async def fetch_all(
    conn: AsyncConnection[Any], q: Query, row_factory: AsyncRowFactory[R], /, **params: object
) -> list[R]:
    """Every row of a :many query."""
    return await _run(
        conn, q, QueryKind.MANY, params, rows=row_factory, take=AsyncRawCursor.fetchall
    )


async def fetch_scalar(
    conn: AsyncConnection[Any], q: Query, type_: type[T], /, **params: object
) -> T | None:
    """The first column of the first row of a :scalar query, checked against `type_`.

    The check keeps the annotation honest: a column whose type drifts (int -> numeric) fails
    here, by name, instead of somewhere downstream.
    """
    row = await _run(
        conn, q, QueryKind.SCALAR, params, rows=tuple_row, take=AsyncRawCursor.fetchone
    )
    if row is None or row[0] is None:
        return None
    value = row[0]
    if not isinstance(value, type_):
        raise TypeError(f"{q.label} returned {type(value).__name__}, expected {type_.__name__}")
    return value


async def execute(conn: AsyncConnection[Any], q: Query, /, **params: object) -> None:
    """Run an :exec query."""
    await _run(conn, q, QueryKind.EXEC, params, rows=tuple_row, take=_nothing)


async def execute_rows(conn: AsyncConnection[Any], q: Query, /, **params: object) -> int:
    """Run an :execrows query; the number of rows it touched."""
    return await _run(conn, q, QueryKind.EXECROWS, params, rows=tuple_row, take=_rowcount)


async def execute_many(
    conn: AsyncConnection[Any], q: Query, rows: Iterable[Mapping[str, object]], /
) -> int:
    """Run an :exec or :execrows query once per mapping (psycopg pipelines the batch).

    Every mapping is bound before anything runs; the result is the total row count.
    """
    _check(q, QueryKind.EXEC, QueryKind.EXECROWS)
    batch: Sequence[tuple[object, ...]] = [q.args(r) for r in rows]
    if not batch:
        return 0
    async with AsyncRawCursor(conn) as cur:
        try:
            await cur.executemany(q.sql, batch)
        except (UnicodeEncodeError, psycopg.DataError) as exc:
            _refuse(q, exc)
        return cur.rowcount
