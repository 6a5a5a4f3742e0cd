"""A `transaction: none` file: statement by statement, each recorded as it commits.

Each statement that may run in a transaction commits with its row in roboco_sql.progress; one
that may not (CREATE INDEX CONCURRENTLY) commits alone, then its row. A run that stops part-way
(a crash, a failure) is resumed by the next from the first statement not recorded.
"""

from __future__ import annotations

import functools
import time
from contextlib import nullcontext
from typing import TYPE_CHECKING

import psycopg

from roboco_sql import sqllex
from roboco_sql.errors import ChecksumMismatch, MigrationError
from roboco_sql.migrate import bookkeeping
from roboco_sql.migrate.atomic import RETRIED, statement_failure
from roboco_sql.migrate.chain import Migration, autocommit_only
from roboco_sql.migrate.report import Applied
from roboco_sql.migrate.state import Conn, read_state

if TYPE_CHECKING:
    from roboco_sql.migrate.steps import Steps


def run(steps: Steps, m: Migration) -> Applied:
    """m statement by statement, each recorded in roboco_sql.progress; a statement already
    recorded (a resumed run) is skipped once its checksum is found unchanged."""
    conn = steps.conn
    done = read_state(conn).progress.get(m.revision, {})
    total = len(m.statements)
    resumed_at = min((i for i in range(1, total + 1) if i not in done), default=None)
    if done:
        steps.echo(f"  {m.revision}: resuming at statement {resumed_at} of {total}")
    started = time.perf_counter()
    notices: list[str] = []
    bookkeeping.set_lock_timeout(m).run(conn)
    try:
        for number, stmt in enumerate(m.statements, start=1):
            if number in done:
                if done[number] != bookkeeping.statement_checksum(stmt.text):
                    raise changed_step(m, number, stmt)
                continue
            if _index_already_built(steps, m, stmt):
                bookkeeping.progress_insert(m, number, stmt).run(conn)
                continue
            progress = _progress(m, number, total)
            steps.retrying(
                m,
                functools.partial(_one, conn, m, number, stmt, progress),
                lambda progress=progress: progress,  # type: ignore[misc]
            )
            notices += steps.flush_notices(m)
    finally:
        bookkeeping.RESET_LOCK_TIMEOUT.run(conn)
    with conn.transaction():
        _record(conn, m, (time.perf_counter() - started) * 1000, steps.who)
        bookkeeping.progress_clear(m).run(conn)
    return Applied(
        m.revision,
        m.name,
        time.perf_counter() - started,
        resumed_at if done else None,
        tuple(notices),
    )


def _progress(m: Migration, number: int, total: int) -> str:
    """What is applied when statement `number` fails."""
    if number == 1:
        return f"nothing of {m.revision} was applied"
    return (
        f"statements 1-{number - 1} of {total} of {m.revision} are applied; "
        f"the next run resumes at statement {number}"
    )


def _one(conn: Conn, m: Migration, number: int, stmt: sqllex.Statement, progress: str) -> None:
    """One statement and its progress row.

    A statement that may run in a transaction commits with its progress row, so a crash never
    leaves it done but unrecorded. One that may not (CREATE INDEX CONCURRENTLY, ...) commits
    alone, and the chain admits it only in an idempotent form (chain.resume_unsafe), so
    re-running it is harmless.
    """
    atomic = autocommit_only(stmt) is None
    try:
        with conn.transaction() if atomic else nullcontext():
            conn.execute(stmt.text, prepare=False)
            if atomic:
                bookkeeping.progress_insert(m, number, stmt).run(conn)
    except RETRIED:
        raise
    except psycopg.Error as exc:
        raise statement_failure(m, stmt, exc, progress) from None
    if not atomic:
        bookkeeping.progress_insert(m, number, stmt).run(conn)


def _index_already_built(steps: Steps, m: Migration, stmt: sqllex.Statement) -> bool:
    """A concurrent index build that already finished counts as done; a failed one
    (left INVALID) is dropped so it is built again rather than silently kept."""
    name = bookkeeping.concurrent_index_name(stmt)
    if name is None:
        return False
    valid = bookkeeping.index_validity(steps.conn, name)
    if valid is None:
        return False
    if valid:
        return True
    steps.echo(
        f"  {m.revision}: index {name} is INVALID (a failed concurrent build); "
        "dropping and rebuilding it"
    )
    bookkeeping.drop_invalid_index(name).run(steps.conn)
    return False


def _record(conn: Conn, m: Migration, ms: float, who: str) -> None:
    version, history = bookkeeping.record(m, who, ms)
    if version.run(conn).rowcount != 1:
        raise MigrationError(f"alembic_version moved under us while applying {m.revision}")
    history.run(conn)


def changed_step(m: Migration, number: int, stmt: sqllex.Statement) -> ChecksumMismatch:
    """A statement of a partly applied file that was edited after it ran."""
    return ChecksumMismatch(
        f"{m.where(stmt.start)}: statement {number} of {m.revision} changed "
        "after it ran; restore it or finish by hand and `stamp`"
    )
