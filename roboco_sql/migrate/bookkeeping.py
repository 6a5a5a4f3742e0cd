"""Every statement the runner sends besides the migration files themselves, as values.

The text lives in sql/migrate/bookkeeping.sql, by name; this module loads it once and binds
it to a run's values. `migrate` executes these queries and `plan` prints them (bound to the
same parameters), so the two cannot drift apart: the version and history writes, the progress
rows of a non-transactional file, lock_timeout, the migration lock, the state read and the
bookkeeping DDL all come from that file and nowhere else.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from roboco_sql import sqllex
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.chain import Migration

Conn = psycopg.Connection[TupleRow]

LOCK_KEY = 0x726F626F636F  # "roboco"; advisory locks are per database already
LOCK_CLASSID, LOCK_OBJID = LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF  # as pg_locks shows it

# A concurrent index build names its index here; the runner treats a finished one as done.
CONCURRENT_INDEX = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(\"(?:[^\"]|\"\")+\"|[\w$]+)(?:\s*\.\s*(\"(?:[^\"]|\"\")+\"|[\w$]+))?",
    re.I,
)

_NAME = re.compile(r"^-- name: (\w+)\n", re.M)


@cache
def statements() -> dict[str, str]:
    """The named statements of bookkeeping.sql: each one's text from its first line that is
    not a comment to its final ';' (excluded). Read once per process; no lexer needed, as a
    name line starts each statement and nothing else."""
    text = files("roboco_sql").joinpath("sql", "migrate", "bookkeeping.sql").read_text("utf-8")
    parts = _NAME.split(text)
    found: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = body.strip().split("\n")
        while lines and lines[0].startswith("--"):
            lines.pop(0)
        found[name] = "\n".join(lines).removesuffix(";")
    return found


def sql(name: str) -> str:
    """One statement's text, by its name in bookkeeping.sql."""
    return statements()[name]


@dataclass(frozen=True)
class Query:
    """One statement with its parameters (psycopg %(name)s placeholders)."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def run(self, conn: Conn) -> psycopg.Cursor[TupleRow]:
        return conn.execute(self.text, self.params or None)

    def render(self, cur: psycopg.ClientCursor[Any]) -> str:
        """The statement as the server would receive it, parameters bound as literals."""
        return cur.mogrify(self.text, self.params) if self.params else self.text


def named(statement: str, /, **params: Any) -> Query:
    """The statement so named in bookkeeping.sql, bound to params."""
    return Query(sql(statement), params)


# a run of revisions: commits that do not wait for the disk, then one durable commit
# (bookkeeping.sql says why)
ASYNC_COMMITS = named("async_commits")
SYNC_COMMITS = named("sync_commits")
DURABLE = named("durable")
RESET_LOCK_TIMEOUT = named("reset_lock_timeout")
COMMIT = named("commit")


def statement_checksum(text: str) -> str:
    """The checksum of one statement of a non-transactional file, as progress stores it."""
    return hashlib.sha256(text.encode()).hexdigest()


def create_bookkeeping() -> Query:
    return named("create_bookkeeping")


def set_local_lock_timeout(m: Migration) -> Query:
    """A transactional file's lock_timeout (validated by the chain: digits and a unit)."""
    return Query(sql("set_local_lock_timeout").format(timeout=m.lock_timeout))


def set_lock_timeout(m: Migration) -> Query:
    """A non-transactional file's lock_timeout, for the session until reset."""
    return Query(sql("set_lock_timeout").format(timeout=m.lock_timeout))


def opening(m: Migration) -> list[Query]:
    """What opens a transactional part's transaction, before its own statements."""
    return [named("begin"), set_local_lock_timeout(m)]


def closing(record: Sequence[Query], cur: psycopg.ClientCursor[Any], *, moves: bool) -> list[Query]:
    """A transactional part's record as sent before its COMMIT: the guard first (see
    bookkeeping.sql), which holds the version write when the step moves the version (the
    record's first query) and checks that it changed one row."""
    rest = list(record)
    write = rest.pop(0).render(cur) if moves else "NULL"
    guard = sql("guard").format(
        classid=LOCK_CLASSID, objid=LOCK_OBJID, write=write, check=str(moves).lower()
    )
    return [Query(guard), *rest]


def version_write(m: Migration) -> Query:
    """Move alembic_version to m; it must change exactly one row (the guard checks)."""
    if m.down_revision is None:
        return named("version_first", revision=m.revision)
    return named("version_move", to=m.revision, **{"from": m.down_revision})


def _logged(m: Migration, who: str, ms: float | None) -> dict[str, Any]:
    """The columns history and reverted both record of a revision (ms None: the server times
    it)."""
    return {
        "revision": m.revision,
        "parent": m.down_revision,
        "checksum": m.checksum,
        "ms": ms,
        "who": who,
    }


def history_insert(m: Migration, how: str, who: str, ms: float | None) -> Query:
    """The history row of an applied revision."""
    return named("history_insert", how=how, **_logged(m, who, ms))


def record(m: Migration, who: str, ms: float | None) -> tuple[Query, Query]:
    """What applying m writes besides its own statements: the version, then its history."""
    return version_write(m), history_insert(m, "applied", who, ms)


def version_back(m: Migration) -> Query:
    """Move alembic_version from m back to its parent (for the base: empty it); it must
    change exactly one row (the guard checks)."""
    if m.down_revision is None:
        return named("version_empty", revision=m.revision)
    return named("version_move", to=m.down_revision, **{"from": m.revision})


def reverted_insert(m: Migration, who: str, ms: float | None) -> Query:
    """m's history row goes into roboco_sql.reverted (see bookkeeping.sql), with the reason
    its file gives for the data lost, when going back past it was allowed."""
    return named("reverted_insert", data_lost=m.irreversible, **_logged(m, who, ms))


def revert_record(m: Migration, who: str, ms: float | None) -> tuple[Query, Query]:
    """What going back past m writes besides its down section: the version, then the log."""
    return version_back(m), reverted_insert(m, who, ms)


def addition_forget(a: Addition) -> Query:
    """Addition a was removed (its down section ran): it is no longer applied."""
    return named("addition_forget", name=a.name)


def accept_edit(m: Migration, who: str) -> Query:
    """Record m's file under its checksum of today, keeping the one it replaces; returns the
    replaced checksum (no row when not applied or already matching)."""
    return named("accept_edit", checksum=m.checksum, who=who, revision=m.revision)


def adopt(m: Migration, who: str) -> Query:
    """Continue an Alembic-managed database from m (its history before m is Alembic's)."""
    return named("adopt", revision=m.revision, parent=m.down_revision, checksum=m.checksum, who=who)


def stamp_rows(m: Migration, who: str) -> list[Query]:
    """Record the database as at m without running anything."""
    return [
        named("version_clear"),
        named("version_set", revision=m.revision),
        named("history_clear_at", revision=m.revision, parent=m.down_revision),
        named(
            "history_stamped",
            revision=m.revision,
            parent=m.down_revision,
            checksum=m.checksum,
            who=who,
        ),
    ]


def progress_insert(m: Migration, step: int, stmt: sqllex.Statement) -> Query:
    """Statement `step` of a non-transactional file is done."""
    checksum = statement_checksum(stmt.text)
    return named("progress_insert", revision=m.revision, step=step, checksum=checksum)


def progress_clear(m: Migration) -> Query:
    return named("progress_clear", revision=m.revision)


def concurrent_index_name(stmt: sqllex.Statement) -> str | None:
    """The (possibly qualified) index a CREATE INDEX CONCURRENTLY statement builds."""
    match = CONCURRENT_INDEX.match(stmt.text)
    if not match:
        return None
    return match.group(1) if match.group(2) is None else f"{match.group(1)}.{match.group(2)}"


def index_validity(conn: Conn, name: str) -> bool | None:
    """True for a built index, False for an INVALID one (a failed build), None if absent."""
    row = named("index_validity", index=name).run(conn).fetchone()
    return None if row is None else bool(row[0])


def drop_invalid_index(name: str) -> Query:
    """name: as a migration file wrote it in its CREATE INDEX CONCURRENTLY (quoted or not)."""
    return Query(sql("drop_invalid_index").format(index=name))


def addition_record(a: Addition, revision: str, who: str) -> Query:
    """Addition a is applied as of chain revision `revision`."""
    return named("addition_record", name=a.name, checksum=a.checksum, revision=revision, who=who)


# Revisions of roboco_sql's own that once sat in RoboCo's namespace (up to 0.1.0, they
# followed 044 as 045 and 046), and the additions that hold their objects now.
LEGACY = {
    "045_task_scope_check": ("task_scope_check",),
    "046_task_graph_indexes": ("task_scope_check", "task_graph_indexes"),
}
LEGACY_BASE = "044_convention_findings"


def relayout(version: str, who: str) -> list[Query]:
    """Move a database at one of our old in-chain revisions to the layout of today: back at
    044 in RoboCo's chain, its objects renamed into our namespace and recorded as additions
    (with no checksum, so they are applied again, idempotently, after the chain)."""
    return [
        named("version_move", to=LEGACY_BASE, **{"from": version}),
        named("history_forget", revisions=list(LEGACY)),
        named("legacy_renames"),
        *(named("legacy_addition", name=name, who=who) for name in LEGACY[version]),
    ]
