"""Every statement the runner sends besides the migration files themselves, as values.

`migrate` executes these queries and `plan` prints them (bound to the same parameters), so
the two cannot drift apart: the version and history writes, the progress rows of a
non-transactional file, lock_timeout, the migration lock and the bookkeeping DDL all come
from here and nowhere else.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from roboco_sql import sqllex
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.chain import Migration

Conn = psycopg.Connection[TupleRow]

LOCK_KEY = 0x726F626F636F  # "roboco"; advisory locks are per database already

BOOKKEEPING = """
CREATE SCHEMA IF NOT EXISTS roboco_sql;
CREATE TABLE IF NOT EXISTS public.alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE IF NOT EXISTS roboco_sql.history (
    revision          VARCHAR(32) PRIMARY KEY,
    parent            VARCHAR(32) UNIQUE NULLS NOT DISTINCT,
    checksum          CHAR(64)    NOT NULL,
    how               TEXT        NOT NULL CHECK (how IN ('applied', 'stamped', 'adopted')),
    applied_at        TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    duration_ms       DOUBLE PRECISION NOT NULL DEFAULT 0,
    applied_by        TEXT        NOT NULL,
    accepted_checksum CHAR(64),
    accepted_at       TIMESTAMPTZ,
    accepted_by       TEXT
);
CREATE TABLE IF NOT EXISTS roboco_sql.progress (
    revision VARCHAR(32) NOT NULL,
    step     INTEGER     NOT NULL,
    checksum CHAR(64)    NOT NULL,
    done_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (revision, step)
);
CREATE TABLE IF NOT EXISTS roboco_sql.reverted (
    id             BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision       VARCHAR(32) NOT NULL,
    parent         VARCHAR(32),
    checksum       CHAR(64)    NOT NULL,
    reverted_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    duration_ms    DOUBLE PRECISION NOT NULL DEFAULT 0,
    reverted_by    TEXT        NOT NULL,
    data_lost      TEXT,
    was_how        TEXT,
    was_applied_at TIMESTAMPTZ,
    was_ms         DOUBLE PRECISION,
    was_applied_by TEXT
);
CREATE TABLE IF NOT EXISTS roboco_sql.additions (
    name        TEXT        PRIMARY KEY,
    checksum    TEXT        NOT NULL,
    at_revision VARCHAR(32),
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    applied_by  TEXT        NOT NULL
)
"""

# A concurrent index build names its index here; the runner treats a finished one as done.
CONCURRENT_INDEX = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(\"(?:[^\"]|\"\")+\"|[\w$]+)(?:\s*\.\s*(\"(?:[^\"]|\"\")+\"|[\w$]+))?",
    re.I,
)

# A plan replayed without the runner's clock lets the server time the revision's transaction.
_ELAPSED_MS = "1000 * extract(epoch FROM clock_timestamp() - now())"


@dataclass(frozen=True)
class Query:
    """One statement with its parameters (psycopg %s placeholders)."""

    text: str
    params: tuple[Any, ...] = ()

    def run(self, conn: Conn) -> psycopg.Cursor[TupleRow]:
        return conn.execute(self.text, self.params or None)

    def render(self, cur: psycopg.ClientCursor[Any]) -> str:
        """The statement as the server would receive it, parameters bound as literals."""
        return cur.mogrify(self.text, self.params) if self.params else self.text


def statement_checksum(text: str) -> str:
    """The checksum of one statement of a non-transactional file, as progress stores it."""
    return hashlib.sha256(text.encode()).hexdigest()


def create_bookkeeping() -> Query:
    return Query(BOOKKEEPING.strip())


def set_local_lock_timeout(m: Migration) -> Query:
    """A transactional file's lock_timeout (validated by the chain: digits and a unit)."""
    return Query(f"SET LOCAL lock_timeout = '{m.lock_timeout}'")


def set_lock_timeout(m: Migration) -> Query:
    """A non-transactional file's lock_timeout, for the session until reset."""
    return Query(f"SET lock_timeout = '{m.lock_timeout}'")


RESET_LOCK_TIMEOUT = Query("RESET lock_timeout")


def opening(m: Migration) -> list[Query]:
    """What opens a transactional part's transaction, before its own statements."""
    return [Query("BEGIN"), set_local_lock_timeout(m)]


# A run of revisions commits each one without waiting for its WAL to reach disk, then makes
# them all durable with one commit that does wait: WAL is flushed in order, so that commit's
# flush covers every earlier one. pg_current_xact_id() gives the closing transaction an xid,
# without which its commit would have nothing to flush.
ASYNC_COMMITS = Query("SET synchronous_commit = off")
SYNC_COMMITS = Query("RESET synchronous_commit")
DURABLE = Query("SELECT pg_current_xact_id()")


def version_write(m: Migration) -> Query:
    """Move alembic_version to m; it must change exactly one row (the runner checks)."""
    if m.down_revision is None:
        return Query(
            "INSERT INTO public.alembic_version (version_num) SELECT %s "
            "WHERE NOT EXISTS (SELECT 1 FROM public.alembic_version)",
            (m.revision,),
        )
    return Query(
        "UPDATE public.alembic_version SET version_num = %s WHERE version_num = %s",
        (m.revision, m.down_revision),
    )


def history_insert(m: Migration, how: str, who: str, ms: float | None) -> Query:
    """The history row of an applied revision; ms None lets the server time it (plan)."""
    columns = "INSERT INTO roboco_sql.history (revision, parent, checksum, how, duration_ms, "
    if ms is None:
        return Query(
            f"{columns}applied_by) VALUES (%s, %s, %s, %s, {_ELAPSED_MS}, %s)",
            (m.revision, m.down_revision, m.checksum, how, who),
        )
    return Query(
        f"{columns}applied_by) VALUES (%s, %s, %s, %s, %s, %s)",
        (m.revision, m.down_revision, m.checksum, how, ms, who),
    )


def record(m: Migration, who: str, ms: float | None) -> tuple[Query, Query]:
    """What applying m writes besides its own statements: the version, then its history."""
    return version_write(m), history_insert(m, "applied", who, ms)


def version_back(m: Migration) -> Query:
    """Move alembic_version from m back to its parent (for the base: empty it); it must
    change exactly one row (the runner checks)."""
    if m.down_revision is None:
        return Query("DELETE FROM public.alembic_version WHERE version_num = %s", (m.revision,))
    return Query(
        "UPDATE public.alembic_version SET version_num = %s WHERE version_num = %s",
        (m.down_revision, m.revision),
    )


def reverted_insert(m: Migration, who: str, ms: float | None) -> Query:
    """m's history row goes (m is no longer applied) into a row of roboco_sql.reverted, which
    keeps when and by whom it had been applied and says when it went down, and whether data
    was lost (the reason its file gives, when going back past it was allowed)."""
    elapsed = _ELAPSED_MS if ms is None else "%s"
    timing = () if ms is None else (ms,)
    return Query(
        "WITH gone AS (DELETE FROM roboco_sql.history WHERE revision = %s "
        "RETURNING how, applied_at, duration_ms, applied_by) "
        "INSERT INTO roboco_sql.reverted (revision, parent, checksum, duration_ms, reverted_by, "
        "data_lost, was_how, was_applied_at, was_ms, was_applied_by) "
        f"SELECT %s, %s, %s, {elapsed}, %s, %s, gone.how, gone.applied_at, gone.duration_ms, "
        "gone.applied_by FROM (VALUES (1)) AS one (x) LEFT JOIN gone ON true",
        (
            m.revision,
            m.revision,
            m.down_revision,
            m.checksum,
            *timing,
            who,
            m.irreversible,
        ),
    )


def revert_record(m: Migration, who: str, ms: float | None) -> tuple[Query, Query]:
    """What going back past m writes besides its down section: the version, then the log."""
    return version_back(m), reverted_insert(m, who, ms)


def addition_forget(a: Addition) -> Query:
    """Addition a was removed (its down section ran): it is no longer applied."""
    return Query("DELETE FROM roboco_sql.additions WHERE name = %s", (a.name,))


def accept_edit(m: Migration, who: str) -> Query:
    """Record m's file under its checksum of today, keeping the one it replaces; returns the
    replaced checksum (no row when not applied or already matching)."""
    return Query(
        "UPDATE roboco_sql.history SET accepted_checksum = checksum, checksum = %s, "
        "accepted_at = clock_timestamp(), accepted_by = %s "
        "WHERE revision = %s AND checksum <> %s RETURNING accepted_checksum",
        (m.checksum, who, m.revision, m.checksum),
    )


def adopt(m: Migration, who: str) -> Query:
    """Continue an Alembic-managed database from m (its history before m is Alembic's)."""
    return Query(
        "INSERT INTO roboco_sql.history (revision, parent, checksum, how, applied_by) "
        "VALUES (%s, %s, %s, 'adopted', %s)",
        (m.revision, m.down_revision, m.checksum, who),
    )


def stamp_rows(m: Migration, who: str) -> list[Query]:
    """Record the database as at m without running anything."""
    return [
        Query("DELETE FROM public.alembic_version"),
        Query("INSERT INTO public.alembic_version (version_num) VALUES (%s)", (m.revision,)),
        Query(
            "DELETE FROM roboco_sql.history WHERE revision = %s OR parent = %s",
            (m.revision, m.down_revision),
        ),
        Query(
            "INSERT INTO roboco_sql.history (revision, parent, checksum, how, applied_by) "
            "VALUES (%s, %s, %s, 'stamped', %s)",
            (m.revision, m.down_revision, m.checksum, who),
        ),
    ]


def progress_insert(m: Migration, step: int, stmt: sqllex.Statement) -> Query:
    """Statement `step` of a non-transactional file is done."""
    return Query(
        "INSERT INTO roboco_sql.progress (revision, step, checksum) VALUES (%s, %s, %s)",
        (m.revision, step, statement_checksum(stmt.text)),
    )


def progress_clear(m: Migration) -> Query:
    return Query("DELETE FROM roboco_sql.progress WHERE revision = %s", (m.revision,))


def concurrent_index_name(stmt: sqllex.Statement) -> str | None:
    """The (possibly qualified) index a CREATE INDEX CONCURRENTLY statement builds."""
    match = CONCURRENT_INDEX.match(stmt.text)
    if not match:
        return None
    return match.group(1) if match.group(2) is None else f"{match.group(1)}.{match.group(2)}"


def index_validity(conn: Conn, name: str) -> bool | None:
    """True for a built index, False for an INVALID one (a failed build), None if absent."""
    row = conn.execute(
        "SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%s)", (name,)
    ).fetchone()
    return None if row is None else bool(row[0])


def drop_invalid_index(name: str) -> Query:
    return Query(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def addition_record(a: Addition, revision: str, who: str) -> Query:
    """Addition a is applied as of chain revision `revision`."""
    return Query(
        "INSERT INTO roboco_sql.additions (name, checksum, at_revision, applied_by) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, "
        "at_revision = EXCLUDED.at_revision, applied_at = clock_timestamp(), "
        "applied_by = EXCLUDED.applied_by",
        (a.name, a.checksum, revision, who),
    )


# Revisions of roboco_sql's own that once sat in RoboCo's namespace (up to 0.1.0, they
# followed 044 as 045 and 046), and the additions that hold their objects now.
LEGACY = {
    "045_task_scope_check": ("task_scope_check",),
    "046_task_graph_indexes": ("task_scope_check", "task_graph_indexes"),
}
LEGACY_BASE = "044_convention_findings"
_LEGACY_RENAMES = """DO $relayout$
BEGIN
    ALTER INDEX IF EXISTS public.ix_tasks_dependency_ids RENAME TO rsql_tasks_dependency_ids;
    ALTER INDEX IF EXISTS public.ix_tasks_parent_task_id RENAME TO rsql_tasks_parent_task_id;
    ALTER INDEX IF EXISTS public.ix_tasks_claim_queue RENAME TO rsql_tasks_claim_queue;
    IF EXISTS (SELECT 1 FROM pg_constraint
                WHERE conrelid = 'public.tasks'::regclass AND conname = 'ck_tasks_scope') THEN
        ALTER TABLE public.tasks RENAME CONSTRAINT ck_tasks_scope TO rsql_tasks_scope;
    END IF;
END
$relayout$"""


def relayout(version: str, who: str) -> list[Query]:
    """Move a database at one of our old in-chain revisions to the layout of today: back at
    044 in RoboCo's chain, its objects renamed into our namespace and recorded as additions
    (with no checksum, so they are applied again, idempotently, after the chain)."""
    return [
        Query(
            "UPDATE public.alembic_version SET version_num = %s WHERE version_num = %s",
            (LEGACY_BASE, version),
        ),
        Query("DELETE FROM roboco_sql.history WHERE revision = ANY(%s)", (list(LEGACY),)),
        Query(_LEGACY_RENAMES),
        *(
            Query(
                "INSERT INTO roboco_sql.additions (name, checksum, applied_by) "
                "VALUES (%s, '', %s) ON CONFLICT (name) DO NOTHING",
                (name, who),
            )
            for name in LEGACY[version]
        ),
    ]
