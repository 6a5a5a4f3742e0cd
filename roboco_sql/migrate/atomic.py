"""One transactional part (a file's up part, a down section, an addition) in one transaction.

The part is not split into statements: its text goes to the server as it stands in the file,
inside one simple-protocol query string with the statements around it (BEGIN, lock_timeout,
the rows that record it, the guard, COMMIT), so a revision costs one round trip and nothing is
lexed on the way. What must hold for the COMMIT is checked on the server, by the guard
(bookkeeping.sql): this session holds the migration lock, the version write changed one row.

A failure names file:line:col. The server gives a syntax or name error's position as a
character offset into the string, which maps back into the file. An error without a position
(raised while the statement ran) does not say which statement failed: the part is rolled back
and run again statement by statement in a pipeline, which pins the failing one (the lexer
serves this path only).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pgerr
from psycopg.pq import TransactionStatus

from roboco_sql import sqllex
from roboco_sql.errors import MigrationError
from roboco_sql.migrate import bookkeeping
from roboco_sql.migrate.bookkeeping import Query
from roboco_sql.migrate.chain import Migration
from roboco_sql.migrate.state import Conn

RETRIED = (pgerr.LockNotAvailable, pgerr.DeadlockDetected)


@dataclass(frozen=True)
class Record:
    """The rows that record a part, written in its transaction. moved: when set, the first
    query must change exactly one row (alembic_version), else this is the error."""

    queries: Sequence[Query]
    moved: str | None = None


def part_text(m: Migration) -> str:
    """m's part as sent (and as plan prints it): the file's text, its last statement ended.

    A ';' is added on a line of its own unless the part already ends with one on a line
    holding no '--' (the chain's check has lexed the part, so no quote or block comment is
    left open at its end; a '--' might be a comment swallowing that ';').
    """
    text = m.body.rstrip()
    if text.endswith(";") and "--" not in text.rsplit("\n", 1)[-1]:
        return text
    return text + "\n;"


def run(conn: Conn, m: Migration, record: Record, done: str) -> None:
    """m's part and its record in one transaction, committed; rolled back on any failure.
    Lock timeouts and deadlocks propagate as they are (the caller retries them)."""
    cur = psycopg.ClientCursor(conn)
    head = _rendered(cur, bookkeeping.opening(m))
    tail = _rendered(cur, [*_closing(cur, record), bookkeeping.COMMIT])
    try:
        try:
            cur.execute(f"{head}{part_text(m)}\n{tail}", prepare=False)
        except RETRIED:
            raise
        except psycopg.Error as exc:
            if (refused := _refused(exc, m, record, done)) is not None:
                raise refused from None
            position = _in_body(exc, len(head), len(m.body))
            if position is None and conn.broken:  # nothing to replay on: the session is gone
                raise failure(m, m.span[0], exc, done) from None
            if position is None:
                _rollback(conn)
                _replay(conn, m, record, done)  # pins it, or (it passed) applies it
                return
            raise failure(m, m.span[0] + position, exc, done) from None
    except BaseException:
        _rollback(conn)
        raise


def _rendered(cur: psycopg.ClientCursor[Any], queries: Sequence[Query]) -> str:
    return "".join(f"{q.render(cur)};\n" for q in queries)


def _closing(cur: psycopg.ClientCursor[Any], record: Record) -> list[Query]:
    return bookkeeping.closing(record.queries, cur, moves=record.moved is not None)


def _refused(exc: psycopg.Error, m: Migration, record: Record, done: str) -> MigrationError | None:
    """The guard's refusal, worded for the operator; None for any other error."""
    if exc.diag.sqlstate == "RS001":
        return MigrationError(
            f"{m.label} was not committed: this session does not hold the migration lock (a "
            "pooler sent the part to another backend, or the part released the lock); "
            f"{done}. Migrations need a session of their own: through a pooler, set "
            "ROBOCO_MIGRATION_DATABASE_URL to a direct URL"
        )
    if exc.diag.sqlstate == "RS002" and record.moved is not None:  # else a file raised it
        return MigrationError(record.moved)
    return None


def _rollback(conn: Conn) -> None:
    if not conn.broken and conn.info.transaction_status is not TransactionStatus.IDLE:
        conn.rollback()


def _in_body(exc: psycopg.Error, head: int, length: int) -> int | None:
    """The error's offset into the part's text, when the server gave one that falls there."""
    position = exc.diag.statement_position
    if not position:
        return None
    offset = int(position) - 1 - head
    return offset if 0 <= offset < length else None


def _replay(conn: Conn, m: Migration, record: Record, done: str) -> None:
    """The part again, statement by statement in one pipeline inside a transaction, to pin
    a failure without a position to its statement (the first the server sent no result for:
    every statement after a failed one is skipped); then its record, guard first, as the
    string sends them."""
    with conn.transaction():
        with conn.pipeline() as pipeline:
            for q in bookkeeping.opening(m)[1:]:  # conn.transaction() sent the BEGIN
                q.run(conn)
            sent: list[psycopg.Cursor[Any]] = []
            try:
                for stmt in m.statements:
                    sent.append(conn.cursor())
                    sent[-1].execute(stmt.text, prepare=False)
                pipeline.sync()
            except RETRIED:
                raise
            except psycopg.Error as exc:
                # raised by the sync, or by a later statement's execute when psycopg read the
                # failure's result early: either way the statements answered are before it
                failed = next(
                    (s for s, c in zip(m.statements, sent, strict=False) if c.pgresult is None),
                    m.statements[-1],
                )
                with contextlib.suppress(psycopg.Error):
                    pipeline.sync()  # drain what the server skipped: leaving is then quiet
                raise statement_failure(m, failed, exc, done) from None
        try:
            for q in _closing(psycopg.ClientCursor(conn), record):
                q.run(conn)
        except psycopg.Error as exc:
            if (refused := _refused(exc, m, record, done)) is not None:
                raise refused from None
            raise


def statement_failure(
    m: Migration, stmt: sqllex.Statement, exc: psycopg.Error, done: str
) -> MigrationError:
    """A statement's failure, at the server's position in it (or at its start)."""
    position = exc.diag.statement_position
    return failure(m, stmt.start + (int(position) - 1 if position else 0), exc, done)


def failure(m: Migration, offset: int, exc: psycopg.Error, done: str) -> MigrationError:
    """One line: what failed, at file:line:col, the server's message and what was applied."""
    diag = exc.diag
    message = (diag.message_primary or str(exc)).strip().splitlines()[0]
    context = ""
    if diag.context and not diag.statement_position:
        context = f" ({diag.context.strip().splitlines()[-1]})"
    state = f" [{diag.sqlstate}]" if diag.sqlstate else ""
    return MigrationError(
        f"{m.label} failed at {m.where(offset)}: {message}{state}{context}; {done}"
    )
