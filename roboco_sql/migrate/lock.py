"""The migration lock: one session advisory lock, on a session that reaches the server.

A transaction pooler would hand the session (and the lock with it) to another client between
statements, so the connection is checked to reach the server directly before the lock is
taken, and the backend that took it is checked again while it is held.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus

from roboco_sql.errors import LockTimeout, MigrationError
from roboco_sql.migrate import bookkeeping
from roboco_sql.migrate.bookkeeping import LOCK_CLASSID, LOCK_KEY, LOCK_OBJID
from roboco_sql.migrate.report import Echo
from roboco_sql.migrate.state import Conn


def check_direct(conn: Conn, backend: int | None = None) -> None:
    """Refuse to run through a transaction pooler: the lock would not be ours.

    Called once before the lock is taken (backend None), so a pooler's backend is never left
    holding it: a server on another port than the one dialled is a port mapping (Docker, a
    tunnel) or a pooler, and a probe tells which. Called again with the backend that took the
    lock, which catches a pooler on the server's own port once its backend changes.
    """
    row = bookkeeping.named("backend_and_port").run(conn).fetchone()
    assert row is not None
    pid, port = row
    moved = backend is not None and pid != backend
    mapped = backend is None and bool(conn.info.port) and port != conn.info.port
    if moved or (mapped and not _reaches_server_directly(conn)):
        raise pooled("its backend changed" if moved else f"port {conn.info.port} reaches {port}")


def pooled(how: str) -> MigrationError:
    return MigrationError(
        f"this connection goes through a pooler ({how}); migrations need a session of "
        "their own: set ROBOCO_MIGRATION_DATABASE_URL to a direct URL"
    )


def _reaches_server_directly(conn: Conn) -> bool:
    """PostgreSQL applies a startup option; PgBouncer refuses it (or drops it when told to
    ignore it). One extra connection, made only when the ports differ."""
    probe = make_conninfo(
        conn.info.dsn,
        password=conn.info.password or None,
        options="-c roboco_sql.direct_probe=on",
        connect_timeout=5,
    )
    try:
        with psycopg.connect(probe, autocommit=True) as other:
            row = other.execute(bookkeeping.sql("direct_probe"))
            value = row.fetchone()
    except psycopg.OperationalError:
        return False  # e.g. PgBouncer: "unsupported startup parameter: options"
    return value is not None and value[0] == "on"


@contextmanager
def advisory_lock(conn: Conn, deadline: float, echo: Echo) -> Iterator[int]:
    """Hold the migration lock; yields the backend pid that holds it.

    Polls pg_try_advisory_lock with jitter instead of a blocking pg_advisory_lock, which
    would deadlock with a CREATE INDEX CONCURRENTLY run by the process holding it.
    """
    check_direct(conn)  # before taking it: a pooled backend must never be left holding it
    started = time.monotonic()
    delay = 0.02
    last_said = 0.0
    while True:
        row = bookkeeping.named("try_lock", key=LOCK_KEY).run(conn).fetchone()
        assert row is not None
        if row[0]:
            backend = int(row[1])
            break
        waited = time.monotonic() - started
        holder = (
            bookkeeping.named("lock_holder", classid=LOCK_CLASSID, objid=LOCK_OBJID)
            .run(conn)
            .fetchone()
        )
        who = f"pid {holder[0]} ({holder[1]})" if holder else "another process"
        if waited >= deadline:
            raise LockTimeout(
                f"{who} has held the migration lock for over {deadline:g}s; is a migration stuck?"
            )
        if waited - last_said >= 5.0 or last_said == 0.0:
            echo(f"waiting for the migration lock held by {who}")
            last_said = waited or 1e-9
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 1.0)
    try:
        check_direct(conn, backend)
        yield backend
    except BaseException:
        with suppress(psycopg.Error):
            _unlock(conn)
        raise
    if not _unlock(conn):
        raise MigrationError(
            "the migration lock was not held at the end of the run; "
            "is a transaction pooler between us and the server?"
        )


def _unlock(conn: Conn) -> bool:
    if conn.closed or conn.broken:
        return False  # the server drops a session lock with its session
    if conn.info.transaction_status != TransactionStatus.IDLE:
        conn.rollback()
    row = bookkeeping.named("unlock", key=LOCK_KEY).run(conn).fetchone()
    return bool(row and row[0])
