"""Applying the steps of a run, each atomically with its bookkeeping, retried on lock waits.

A transactional file (or a down section, or an addition) runs in one transaction with the rows
that record it (`atomic`); a `transaction: none` file statement by statement (`autocommit`).
Lock timeouts and deadlocks are retried with jittered backoff. What the server says while a
step runs is sorted: a WARNING is news for the operator, reported once its step commits; a
NOTICE ("... does not exist, skipping") goes to the debug log only.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import psycopg
from psycopg import errors as pgerr
from psycopg.pq import TransactionStatus

from roboco_sql.errors import MigrationError
from roboco_sql.migrate import atomic, autocommit, bookkeeping
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.atomic import RETRIED, Record
from roboco_sql.migrate.chain import Chain, Migration
from roboco_sql.migrate.lock import check_direct
from roboco_sql.migrate.report import Applied, Echo, MigrationReport, Options
from roboco_sql.migrate.state import Conn, due_additions, read_state, who_runs

log = logging.getLogger("roboco_sql.migrate")

# what the server says below WARNING: chatter about the work ("already exists, skipping")
_CHATTER = frozenset({"NOTICE", "INFO", "LOG", "DEBUG"})


def addition_step(a: Addition) -> Migration:
    """An addition as a transactional file, so it runs (and plans) like one."""
    return Migration(
        f"addition {a.name}",
        None,
        a.path,
        a.text,
        a.checksum,
        up_end=a.up_end,
        down_start=a.down_start,
    )


class Steps:
    """The migration connection, under the lock held by backend, and how to run each step."""

    def __init__(
        self, conn: Conn, chain: Chain, options: Options, echo: Echo, backend: int
    ) -> None:
        self.conn = conn
        self.chain = chain
        self.options = options
        self.echo = echo
        self.backend = backend
        self.who = who_runs(conn)
        self.current: Migration | None = None
        self.heard: list[str] = []
        conn.execute("SET client_min_messages = notice")  # a role setting must not hide them
        conn.add_notice_handler(self._notice)

    # -- the steps, as a run takes them

    def apply(self, m: Migration, report: MigrationReport) -> None:
        """Apply revision m with its version and history rows; the report says so."""
        self.current = m
        try:
            if m.transactional:
                moved = f"alembic_version moved under us while applying {m.revision}"
                applied = self._atomic(m, Record(bookkeeping.record(m, self.who, None), moved))
            else:
                check_direct(self.conn, self.backend)
                applied = autocommit.run(self, m)
        finally:
            self.current = None
        report.applied.append(applied)
        report.to_revision = m.revision
        self.echo(f"applied {m.revision} in {applied.seconds * 1000:.0f} ms")

    def add_due(self, report: MigrationReport, at: str | None = None) -> None:
        """The additions wanted and due at `at` (default: where the report got to)."""
        at = at or report.to_revision
        state = read_state(self.conn)
        for a in due_additions(self.chain, state.additions, self.options.additions, at):
            assert at is not None
            self.add(a, at)
            report.additions.append(a.name)
            self.echo(f"applied addition {a.name} at {at}")

    def add(self, a: Addition, revision: str) -> None:
        """Apply addition a in one transaction, recorded as of revision (not in history)."""
        step = addition_step(a)
        self._atomic(step, Record([bookkeeping.addition_record(a, revision, self.who)]))

    def revert(self, m: Migration) -> Applied:
        """Run m's down section and move the bookkeeping back to m's parent, in one
        transaction (retried on lock timeouts, as going up)."""
        moved = f"alembic_version moved under us while reverting {m.revision}"
        record = Record(bookkeeping.revert_record(m, self.who, None), moved)
        return self._atomic(m.reverse(), record)

    def remove(self, a: Addition) -> None:
        """Run addition a's down section and forget it, in one transaction."""
        self._atomic(addition_step(a).reverse(), Record([bookkeeping.addition_forget(a)]))

    # -- how a step runs

    def _atomic(self, m: Migration, record: Record) -> Applied:
        """m's part and its record in one transaction (atomic.run), retried on lock waits."""
        done = f"nothing of {m.label} was applied"
        started = time.perf_counter()
        self.current = m

        def attempt() -> None:
            nonlocal started
            started = time.perf_counter()
            atomic.run(self.conn, m, record, done)

        try:
            self.retrying(m, attempt, lambda: done)
        finally:
            self.current = None
        elapsed = time.perf_counter() - started
        return Applied(m.revision, m.name, elapsed, notices=tuple(self.flush_notices(m)))

    def retrying(self, m: Migration, attempt: Callable[[], None], what: Callable[[], str]) -> None:
        """Run attempt, retrying on lock timeouts and deadlocks with jittered backoff."""
        for tries in range(self.options.lock_retries + 1):
            self.heard.clear()  # a rolled-back attempt's warnings are not news
            try:
                attempt()
                return
            except RETRIED as exc:
                if tries == self.options.lock_retries:
                    kind = "deadlock" if isinstance(exc, pgerr.DeadlockDetected) else "lock_timeout"
                    raise MigrationError(
                        f"{m.label} ({m.name}) gave up after {tries + 1} tries ({kind} "
                        f"{m.lock_timeout}): {_blockers(self.conn)}; {what()}"
                    ) from None
                pause = self.options.backoff * 2**tries * random.uniform(0.5, 1.5)
                self.echo(
                    f"  {m.revision}: waited {m.lock_timeout} for a lock; retrying in "
                    f"{pause:.2f}s ({_blockers(self.conn)})"
                )
                time.sleep(pause)

    def _notice(self, diag: psycopg.errors.Diagnostic) -> None:
        """A step's WARNING is kept, reported once its work commits; below that, the debug log."""
        if self.current is None or not diag.message_primary:
            return
        text = f"{diag.severity}: {diag.message_primary}"
        if diag.message_detail:
            text += f" ({diag.message_detail})"
        if diag.message_hint:
            text += f"; hint: {diag.message_hint}"
        if (diag.severity_nonlocalized or diag.severity) in _CHATTER:
            log.debug("%s: %s", self.current.label, text)
        else:
            self.heard.append(text)

    def flush_notices(self, m: Migration) -> list[str]:
        """The warnings of the attempt that just committed, echoed with their revision."""
        heard, self.heard = self.heard, []
        for text in heard:
            self.echo(f"  {m.revision}: {text}")
        return heard


def _blockers(conn: Conn) -> str:
    rows = bookkeeping.named("blockers").run(conn).fetchall()
    if not rows:
        return "the blocking session has gone"
    return "blocked by " + ", ".join(f"pid {pid} ({app}, {state})" for pid, app, state, _ in rows)


@contextmanager
def one_flush(conn: Conn) -> Iterator[None]:
    """Apply a run of revisions paying one WAL flush instead of one per revision.

    Each revision still commits on its own, atomically with its bookkeeping; only the wait for
    its commit to reach disk is deferred to one durable commit at the end (also after a
    failure, so what was applied is on disk before the error is reported). A crash in between
    loses whole revisions with their history rows, never half of one: the next run redoes
    them. On a fresh build this is most of the time a per-revision commit cost.
    """
    bookkeeping.ASYNC_COMMITS.run(conn)
    try:
        yield
    finally:
        if not conn.broken:
            with suppress(psycopg.Error):  # the run's own error, if any, is the one to report
                if conn.info.transaction_status is TransactionStatus.INERROR:
                    conn.rollback()
                bookkeeping.SYNC_COMMITS.run(conn)
                with conn.transaction():
                    bookkeeping.DURABLE.run(conn)
