"""Applying the chain: one advisory lock, one transaction per file, nothing half-done.

The current revision lives in ``public.alembic_version`` (the table RoboCo's Alembic uses),
so a database moves between Alembic and roboco_sql either way without a rebuild. Our own
bookkeeping lives in schema ``roboco_sql``: ``history`` (one row per revision: parent,
checksum, when, how long, by whom, how) and ``progress`` (statements done so far of a
non-transactional file).
"""

from __future__ import annotations

import getpass
import json
import random
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors as pgerr
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus
from psycopg.rows import TupleRow

from roboco_sql import sqllex
from roboco_sql.config import describe
from roboco_sql.db import connect
from roboco_sql.errors import (
    ChecksumMismatch,
    DataLossRefused,
    LockTimeout,
    MigrationError,
    StandbyRefused,
)
from roboco_sql.migrate import additions as additions_mod
from roboco_sql.migrate import bookkeeping, dataloss, fingerprint
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.bookkeeping import LOCK_KEY, Query
from roboco_sql.migrate.chain import (
    MAX_ID,
    Chain,
    Migration,
    autocommit_only,
    require_sound,
)
from roboco_sql.migrate.extensions import ensure_pgvector

Conn = psycopg.Connection[TupleRow]
Echo = Callable[[str], None]

_LOCK_CLASSID, _LOCK_OBJID = LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF

_STATE = """
SELECT (SELECT coalesce(json_agg(version_num), '[]') FROM public.alembic_version),
       (SELECT coalesce(json_agg(json_build_array(revision, checksum, how)), '[]')
          FROM roboco_sql.history),
       (SELECT coalesce(json_agg(json_build_array(revision, step, checksum)), '[]')
          FROM roboco_sql.progress),
       (SELECT coalesce(json_agg(json_build_array(name, checksum, at_revision)), '[]')
          FROM roboco_sql.additions),
       pg_is_in_recovery()
"""


# who accepted a checksum a file declares it supersedes (bookkeeping.accept_edit)
SHIPPED_EDIT = "roboco_sql: an edit shipped with the chain"

# no additions: RoboCo's catalog exactly (fingerprints, reference comparisons)
PURE = frozenset({additions_mod.NONE})

# `migrate --to base`: before the chain's first revision, an empty schema
BASE = "base"


@dataclass(frozen=True)
class Options:
    """Knobs for one run; defaults suit a boot-time migration."""

    lock_deadline: float = 60.0  # seconds to wait for another migrator
    lock_retries: int = 5  # retries of a file that hit lock_timeout or a deadlock
    backoff: float = 0.25  # first retry delay, doubled each time, with jitter
    # our additions to keep applied: names, "default" (those on by default), "none"
    additions: frozenset[str] = frozenset({additions_mod.DEFAULT})
    allow_data_loss: bool = False  # run revisions that drop tables or columns holding data
    # a target below the database's revision runs down sections (an operator's explicit
    # `migrate --to`); off, such a target is refused, so a pinned boot never goes back
    go_back: bool = False


@dataclass(frozen=True)
class Applied:
    revision: str
    file: str
    seconds: float
    resumed_at: int | None = None  # statement number a non-transactional file resumed at
    notices: tuple[str, ...] = ()  # what its RAISE NOTICE / WARNING said, once committed


@dataclass
class MigrationReport:
    from_revision: str | None
    to_revision: str | None
    applied: list[Applied] = field(default_factory=list)
    adopted: str | None = None  # an Alembic-managed database continued from this revision
    stamped: str | None = None  # a version-less database recognised as this revision
    relaid: str | None = None  # moved from one of our old in-chain revisions
    additions: list[str] = field(default_factory=list)  # additions (re)applied
    rag_enabled: bool | None = None
    rag_reason: str | None = None
    reverted: list[Applied] = field(default_factory=list)  # down sections run, newest first
    removed: list[str] = field(default_factory=list)  # additions taken out on the way down

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_revision,
            "to": self.to_revision,
            "applied": [
                {
                    "revision": a.revision,
                    "file": a.file,
                    "seconds": round(a.seconds, 4),
                    "resumed_at": a.resumed_at,
                    "notices": list(a.notices),
                }
                for a in self.applied
            ],
            "adopted": self.adopted,
            "stamped": self.stamped,
            "relaid": self.relaid,
            "additions": self.additions,
            "reverted": [
                {"revision": a.revision, "file": a.file, "seconds": round(a.seconds, 4)}
                for a in self.reverted
            ],
            "removed_additions": self.removed,
            "rag_enabled": self.rag_enabled,
            "rag_reason": self.rag_reason,
        }


Recorded = dict[str, tuple[str, str | None]]  # addition -> (checksum, chain revision applied at)


@dataclass(frozen=True)
class State:
    versions: list[str]
    history: dict[str, tuple[str, str]]  # revision -> (checksum, how)
    progress: dict[str, dict[int, str]]  # revision -> step -> statement checksum
    bookkeeping: bool
    additions: Recorded = field(default_factory=dict)
    standby: bool = False  # pg_is_in_recovery(): a hot standby, read-only

    @property
    def version(self) -> str | None:
        return self.versions[0] if self.versions else None


def read_state(conn: Conn) -> State:
    """The database's migration state, in one query when the bookkeeping exists."""
    try:
        row = conn.execute(_STATE).fetchone()  # autocommit: one round trip, no BEGIN/COMMIT
    except (pgerr.UndefinedTable, pgerr.InvalidSchemaName):
        return _read_state_partial(conn)
    assert row is not None
    versions, history, progress, added, standby = row
    prog: dict[str, dict[int, str]] = {}
    for rev, step, checksum in progress:
        prog.setdefault(rev, {})[step] = checksum
    return State(
        versions=list(versions),
        history={rev: (checksum, how) for rev, checksum, how in history},
        progress=prog,
        bookkeeping=True,
        additions={name: (checksum, at) for name, checksum, at in added},
        standby=bool(standby),
    )


def _read_state_partial(conn: Conn) -> State:
    row = conn.execute(
        "SELECT to_regclass('public.alembic_version') IS NOT NULL, pg_is_in_recovery()"
    ).fetchone()
    versions: list[str] = []
    if row is not None and row[0]:
        versions = [v for (v,) in conn.execute("SELECT version_num FROM public.alembic_version")]
    standby = bool(row and row[1])
    return State(versions=versions, history={}, progress={}, bookkeeping=False, standby=standby)


def in_recovery(conn: Conn) -> bool:
    """Whether the server is a hot standby (recovering: it replays the primary, read-only)."""
    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    return bool(row and row[0])


def refuse_standby(conn: Conn, standby: bool | None = None) -> None:
    """The runner's preflight, before the lock: nothing can be written to a standby, and a
    migration there would fail half-way through its first statement; say so at once.
    standby: the answer read_state already has (None: ask the server)."""
    if standby if standby is not None else in_recovery(conn):
        raise StandbyRefused(
            f"{describe(conn.info.dsn)} is a hot standby (read-only): migrate the primary"
        )


def who_runs(conn: Conn) -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()} as {conn.info.user}"


def clean_at(
    state: State, chain: Chain, target: str | None, wanted: frozenset[str] = frozenset()
) -> bool:
    """At the target, nothing half-done, every recorded checksum matching its file, and
    every addition wanted there applied as of the target."""
    if state.progress or len(state.versions) != 1 or state.version != target:
        return False
    if target not in state.history:
        return False  # an Alembic database we have not adopted yet
    if due_additions(chain, state.additions, wanted, target):
        return False
    return all(
        rev in chain and chain[rev].checksum == checksum
        for rev, (checksum, _how) in state.history.items()
    )


def due_additions(
    chain: Chain, recorded: Recorded, wanted: frozenset[str], revision: str | None
) -> list[Addition]:
    """The additions to (re)apply at revision: wanted, required revision reached, and not
    yet applied as of this revision with this checksum (recorded: name -> (checksum, at))."""
    if revision is None or revision not in chain:
        return []
    here = chain.position(revision)
    return [
        a
        for a in additions_mod.selected(chain.additions, wanted, recorded)
        if chain.position(a.requires) <= here and recorded.get(a.name) != (a.checksum, revision)
    ]


Back = Addition | Migration  # a step on the way down: an addition removed, a revision reverted


def back_steps(
    chain: Chain,
    current: str | None,
    target: str | None,
    recorded: Recorded,
    *,
    allow_data_loss: bool,
) -> list[Back]:
    """What going back from current to target (None: the base) runs, in order: each
    revision's down section, newest first, and each applied addition's down section just
    before the chain goes below the revision it requires. Refused as a whole, before
    anything runs, when a step has no down section or (without allow_data_loss) loses data."""
    steps: list[Back] = []
    for m in chain.back(current, target):
        steps += [a for a in chain.additions if a.requires == m.revision and a.name in recorded]
        steps.append(m)
    for step in steps:
        if step.down_start is None:
            what = step.name if isinstance(step, Addition) else step.revision
            raise MigrationError(
                f"cannot go back past {what}: {step.path.name} has no down section; "
                "nothing was applied"
            )
    lost = [m for m in steps if isinstance(m, Migration) and m.irreversible]
    if lost and not allow_data_loss:
        why = "; ".join(f"{m.revision}: {m.irreversible}" for m in lost)
        raise DataLossRefused(
            f"refusing to go back past irreversible revisions ({why}). Nothing was applied. "
            "Back it up first (python -m roboco_sql backup FILE), then run migrate --to "
            f"{target or BASE} --allow-data-loss"
        )
    return steps


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


def check_width(conn: Conn) -> None:
    row = conn.execute(
        "SELECT character_maximum_length FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = 'alembic_version' "
        "AND column_name = 'version_num'"
    ).fetchone()
    width = row[0] if row else None
    if width is not None and width < MAX_ID:
        raise MigrationError(
            f"alembic_version.version_num is VARCHAR({width}); revision ids need {MAX_ID}: "
            f"ALTER TABLE alembic_version ALTER COLUMN version_num TYPE VARCHAR({MAX_ID})"
        )


def _check_direct(conn: Conn, backend: int | None = None) -> None:
    """Refuse to run through a transaction pooler: the lock would not be ours.

    Called once before the lock is taken (backend None), so a pooler's backend is never left
    holding it: a server on another port than the one dialled is a port mapping (Docker, a
    tunnel) or a pooler, and a probe tells which. Called again with the backend that took the
    lock, which catches a pooler on the server's own port once its backend changes.
    """
    row = conn.execute("SELECT pg_backend_pid(), current_setting('port')::int").fetchone()
    assert row is not None
    pid, port = row
    moved = backend is not None and pid != backend
    mapped = backend is None and bool(conn.info.port) and port != conn.info.port
    if moved or (mapped and not _reaches_server_directly(conn)):
        raise _pooled("its backend changed" if moved else f"port {conn.info.port} reaches {port}")


_BACKEND = "SELECT pg_backend_pid()"


def _pooled(how: str) -> MigrationError:
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
            row = other.execute("SELECT current_setting('roboco_sql.direct_probe', true)")
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
    _check_direct(conn)  # before taking it: a pooled backend must never be left holding it
    started = time.monotonic()
    delay = 0.02
    last_said = 0.0
    while True:
        row = conn.execute(
            "SELECT pg_try_advisory_lock(%s), pg_backend_pid()", (LOCK_KEY,)
        ).fetchone()
        assert row is not None
        if row[0]:
            backend = int(row[1])
            break
        waited = time.monotonic() - started
        holder = conn.execute(
            "SELECT a.pid, coalesce(nullif(a.application_name, ''), '?') "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (_LOCK_CLASSID, _LOCK_OBJID),
        ).fetchone()
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
        _check_direct(conn, backend)
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
    row = conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,)).fetchone()
    return bool(row and row[0])


def _failure(m: Migration, stmt: sqllex.Statement, exc: psycopg.Error, done: str) -> MigrationError:
    diag = exc.diag
    offset = stmt.start
    if diag.statement_position:
        offset = stmt.start + int(diag.statement_position) - 1
    message = (diag.message_primary or str(exc)).strip().splitlines()[0]
    context = ""
    if diag.context and not diag.statement_position:
        context = f" ({diag.context.strip().splitlines()[-1]})"
    state = f" [{diag.sqlstate}]" if diag.sqlstate else ""
    return MigrationError(
        f"{m.label} failed at {m.where(offset)}: {message}{state}{context}; {done}"
    )


def _blockers(conn: Conn) -> str:
    rows = conn.execute(
        "SELECT DISTINCT a.pid, coalesce(nullif(a.application_name, ''), '?'), a.state, "
        "a.xact_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid() "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND l.relation IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace) "
        "ORDER BY a.xact_start NULLS LAST LIMIT 3"
    ).fetchall()
    if not rows:
        return "the blocking session has gone"
    return "blocked by " + ", ".join(f"pid {pid} ({app}, {state})" for pid, app, state, _ in rows)


def _record(conn: Conn, m: Migration, ms: float, who: str) -> None:
    version, history = bookkeeping.record(m, who, ms)
    if version.run(conn).rowcount != 1:
        raise MigrationError(f"alembic_version moved under us while applying {m.revision}")
    history.run(conn)


def _pipelined(conn: Conn, m: Migration, done: str, backend: int) -> None:
    """m's lock_timeout and statements in one round trip (a pipeline) instead of one each.

    The pipeline also asks for the backend: a transaction pooler that moved the session away
    from the backend holding the migration lock is caught before this revision commits (what
    _check_direct does, without a round trip of its own). A failure is pinned to its
    statement, for the file:line:col error, as the first one the server sent no result for
    (every statement after a failed one is skipped).
    """
    with conn.pipeline() as pipeline:
        bookkeeping.set_local_lock_timeout(m).run(conn)
        here = conn.execute(_BACKEND)
        sent = []
        for stmt in m.statements:
            cur = conn.cursor()
            sent.append(cur)
            cur.execute(stmt.text, prepare=False)
        try:
            pipeline.sync()
        except (pgerr.LockNotAvailable, pgerr.DeadlockDetected):
            raise
        except psycopg.Error as exc:
            failed = next(
                (st for st, cur in zip(m.statements, sent, strict=True) if cur.pgresult is None),
                m.statements[-1],
            )
            raise _failure(m, failed, exc, done) from None
    row = here.fetchone()
    if row is None or row[0] != backend:
        raise _pooled("its backend changed")


class _Runner:
    def __init__(self, conn: Conn, chain: Chain, options: Options, echo: Echo) -> None:
        self.conn = conn
        self.chain = chain
        self.options = options
        self.echo = echo
        self.who = who_runs(conn)
        self.current: Migration | None = None
        self.heard: list[str] = []
        conn.execute("SET client_min_messages = notice")  # a role setting must not hide them
        conn.add_notice_handler(self._notice)

    def _notice(self, diag: psycopg.errors.Diagnostic) -> None:
        """Collect a migration's RAISE NOTICE / WARNING; reported once its work commits."""
        if self.current is not None and diag.message_primary:
            text = f"{diag.severity}: {diag.message_primary}"
            if diag.message_detail:
                text += f" ({diag.message_detail})"
            if diag.message_hint:
                text += f"; hint: {diag.message_hint}"
            self.heard.append(text)

    def _flush(self, m: Migration) -> list[str]:
        """The notices of the attempt that just committed, echoed with their revision."""
        heard, self.heard = self.heard, []
        for text in heard:
            self.echo(f"  {m.revision}: {text}")
        return heard

    def _retrying(self, m: Migration, attempt: Callable[[], None], what: Callable[[], str]) -> None:
        """Run attempt, retrying on lock timeouts and deadlocks with jittered backoff."""
        for tries in range(self.options.lock_retries + 1):
            self.heard.clear()  # a rolled-back attempt's notices are not news
            try:
                attempt()
                return
            except (pgerr.LockNotAvailable, pgerr.DeadlockDetected) as exc:
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

    def apply(self, m: Migration, backend: int) -> Applied:
        self.current = m
        try:
            if m.transactional:
                return self._apply_transactional(m, backend)
            _check_direct(self.conn, backend)
            return self._apply_autocommit(m)
        finally:
            self.current = None

    def _apply_transactional(
        self, m: Migration, backend: int, record: Callable[[float], object] | None = None
    ) -> Applied:
        """m's statements and then its record (by default: version and history), in one
        transaction, retried on lock timeouts."""
        conn = self.conn
        started = time.perf_counter()
        write = record or (lambda ms: _record(conn, m, ms, self.who))

        def attempt() -> None:
            nonlocal started
            started = time.perf_counter()
            with conn.transaction():
                _pipelined(conn, m, f"nothing of {m.label} was applied", backend)
                write((time.perf_counter() - started) * 1000)

        self._retrying(m, attempt, lambda: f"nothing of {m.label} was applied")
        return Applied(
            m.revision, m.name, time.perf_counter() - started, notices=tuple(self._flush(m))
        )

    def add(self, a: Addition, revision: str, backend: int) -> None:
        """Apply addition a in one transaction, recorded as of revision (not in history)."""
        step = addition_step(a)
        self.current = step
        try:
            record = bookkeeping.addition_record(a, revision, self.who)
            self._apply_transactional(step, backend, lambda _ms: record.run(self.conn))
        finally:
            self.current = None

    def revert(self, m: Migration, backend: int) -> Applied:
        """Run m's down section and move the bookkeeping back to m's parent, in one
        transaction (retried on lock timeouts, as going up)."""
        down = m.reverse()
        self.current = down

        def record(ms: float) -> None:
            version, log = bookkeeping.revert_record(m, self.who, ms)
            if version.run(self.conn).rowcount != 1:
                raise MigrationError(f"alembic_version moved under us while reverting {m.revision}")
            log.run(self.conn)

        try:
            return self._apply_transactional(down, backend, record)
        finally:
            self.current = None

    def remove(self, a: Addition, backend: int) -> None:
        """Run addition a's down section and forget it, in one transaction."""
        down = addition_step(a).reverse()
        self.current = down
        try:
            forget = bookkeeping.addition_forget(a)
            self._apply_transactional(down, backend, lambda _ms: forget.run(self.conn))
        finally:
            self.current = None

    def _apply_autocommit(self, m: Migration) -> Applied:
        conn = self.conn
        done = read_state(conn).progress.get(m.revision, {})
        total = len(m.statements)
        resumed_at = min((i for i in range(1, total + 1) if i not in done), default=None)
        if done:
            self.echo(f"  {m.revision}: resuming at statement {resumed_at} of {total}")
        started = time.perf_counter()
        notices: list[str] = []
        bookkeeping.set_lock_timeout(m).run(conn)
        try:
            for number, stmt in enumerate(m.statements, start=1):
                if number in done:
                    if done[number] != bookkeeping.statement_checksum(stmt.text):
                        raise changed_step(m, number, stmt)
                    continue
                progress = (
                    (
                        f"statements 1-{number - 1} of {total} of {m.revision} are applied; "
                        f"the next run resumes at statement {number}"
                    )
                    if number > 1
                    else (f"nothing of {m.revision} was applied")
                )
                if self._index_already_built(m, stmt):
                    bookkeeping.progress_insert(m, number, stmt).run(conn)
                    continue

                def attempt(
                    stmt: sqllex.Statement = stmt, progress: str = progress, number: int = number
                ) -> None:
                    # A statement that may run in a transaction commits with its progress row,
                    # so a crash never leaves it done but unrecorded. One that may not (CREATE
                    # INDEX CONCURRENTLY, ...) commits alone, and the chain admits it only in an
                    # idempotent form (chain.resume_unsafe), so re-running it is harmless.
                    atomic = autocommit_only(stmt) is None
                    try:
                        with conn.transaction() if atomic else nullcontext():
                            conn.execute(stmt.text, prepare=False)
                            if atomic:
                                bookkeeping.progress_insert(m, number, stmt).run(conn)
                    except (pgerr.LockNotAvailable, pgerr.DeadlockDetected):
                        raise
                    except psycopg.Error as exc:
                        raise _failure(m, stmt, exc, progress) from None
                    if not atomic:
                        bookkeeping.progress_insert(m, number, stmt).run(conn)

                self._retrying(m, attempt, lambda progress=progress: progress)  # type: ignore[misc]
                notices += self._flush(m)
        finally:
            bookkeeping.RESET_LOCK_TIMEOUT.run(conn)
        with conn.transaction():
            _record(conn, m, (time.perf_counter() - started) * 1000, self.who)
            bookkeeping.progress_clear(m).run(conn)
        return Applied(
            m.revision,
            m.name,
            time.perf_counter() - started,
            resumed_at if done else None,
            tuple(notices),
        )

    def _index_already_built(self, m: Migration, stmt: sqllex.Statement) -> bool:
        """A concurrent index build that already finished counts as done; a failed one
        (left INVALID) is dropped so it is built again rather than silently kept."""
        name = bookkeeping.concurrent_index_name(stmt)
        if name is None:
            return False
        valid = bookkeeping.index_validity(self.conn, name)
        if valid is None:
            return False
        if valid:
            return True
        self.echo(
            f"  {m.revision}: index {name} is INVALID (a failed concurrent build); "
            "dropping and rebuilding it"
        )
        bookkeeping.drop_invalid_index(name).run(self.conn)
        return False


def changed_step(m: Migration, number: int, stmt: sqllex.Statement) -> ChecksumMismatch:
    """A statement of a partly applied file that was edited after it ran."""
    return ChecksumMismatch(
        f"{m.where(stmt.start)}: statement {number} of {m.revision} changed "
        "after it ran; restore it or finish by hand and `stamp`"
    )


def verify_checksums(state: State, chain: Chain) -> list[Migration]:
    """Every recorded revision is in the chain with the checksum it had when recorded, or
    one of the earlier versions the file says it supersedes: those are returned, to be
    re-recorded under today's checksum."""
    superseded = []
    for rev, (checksum, _how) in state.history.items():
        if rev not in chain:
            raise ChecksumMismatch(
                f"revision {rev} is recorded as applied but no file in "
                f"{chain.directory} declares it"
            )
        if chain[rev].checksum != checksum and chain[rev].shipped(checksum):
            superseded.append(chain[rev])
        elif chain[rev].checksum != checksum:
            raise ChecksumMismatch(
                f"{chain[rev].name} was edited after {rev} was applied (checksum "
                f"{checksum[:12]} recorded, {chain[rev].checksum[:12]} on disk); restore it, or "
                f"accept the edit with `python -m roboco_sql accept {rev}`"
            )
    return superseded


@dataclass(frozen=True)
class Start:
    """Where the chain continues from, and the rows that record it."""

    revision: str | None
    queries: tuple[Query, ...] = ()
    adopted: str | None = None  # an Alembic database continued from this revision
    stamped: str | None = None  # a version-less database recognised as this revision
    relaid: str | None = None  # a database at one of our old in-chain revisions, moved over


def decide_start(conn: Conn, chain: Chain, state: State, who: str) -> Start:
    """Where the chain continues from: adopt an Alembic database, stamp a legacy one.

    Reads only; the caller runs (migrate) or prints (plan) the queries.
    """
    if len(state.versions) > 1:
        raise MigrationError(
            f"alembic_version holds {len(state.versions)} revisions "
            f"({', '.join(state.versions)}); roboco_sql needs a linear history"
        )
    version = state.version
    if version in bookkeeping.LEGACY and version not in chain:
        base = bookkeeping.LEGACY_BASE
        return Start(base, tuple(bookkeeping.relayout(version, who)), relaid=version)
    if version is not None:
        if version not in chain:
            raise MigrationError(
                f"the database is at revision {version}, which no file in "
                f"{chain.directory} declares; refusing to guess"
            )
        if version not in state.history:
            return Start(version, (bookkeeping.adopt(chain[version], who),), adopted=version)
        return Start(version)
    if not _has_tables(conn):
        return Start(None)
    match = fingerprint.identify(conn, chain)
    if match.revision is None:
        raise MigrationError(
            f"the database has tables but no alembic_version and matches no revision exactly; "
            f"nothing was changed. {match.describe()}. If you know its revision, run "
            "`python -m roboco_sql stamp REV`"
        )
    rows = bookkeeping.stamp_rows(chain[match.revision], who)
    return Start(match.revision, tuple(rows), stamped=match.revision)


def _start(
    conn: Conn, chain: Chain, state: State, who: str, *, echo: Echo, report: MigrationReport
) -> str | None:
    start = decide_start(conn, chain, state, who)
    for query in start.queries:
        query.run(conn)
    if start.adopted:
        report.adopted = start.adopted
        echo(f"adopted a database at {start.adopted} (its history before that is Alembic's)")
    if start.stamped:
        report.stamped = start.stamped
        echo(f"stamped a version-less database at {start.stamped} (its schema matches exactly)")
    if start.relaid:
        report.relaid = start.relaid
        echo(
            f"moved a database at roboco_sql's old {start.relaid} to today's layout: "
            f"{start.revision} in RoboCo's chain, our objects as additions"
        )
    return start.revision


def _has_tables(conn: Conn) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename <> 'alembic_version' AND tablename NOT LIKE 'chunks\\_%')"
    ).fetchone()
    return bool(row and row[0])


def _stamp_row(conn: Conn, m: Migration, who: str) -> None:
    for query in bookkeeping.stamp_rows(m, who):
        query.run(conn)


@contextmanager
def _one_flush(conn: Conn) -> Iterator[None]:
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


def _noop(_: str) -> None:
    return None


def migrate(
    url: str,
    chain: Chain,
    target: str | None = None,
    *,
    options: Options | None = None,
    echo: Echo = _noop,
    pgvector: bool = False,
) -> MigrationReport:
    """Bring the database to target (default: head), then our additions; see the module
    docstring.

    With pgvector, also create the extension where it can be (RAG needs it, the chain not),
    once the database is known to be one we will migrate: a refused database is left as it was.
    """
    options = options or Options()
    if target is not None and target != BASE and target not in chain:
        raise MigrationError(f"unknown target revision {target}")
    target = target or chain.head
    with connect(url, autocommit=True, application_name="roboco_sql migrate") as conn:
        conn.prepare_threshold = None  # each statement runs about once; DDL voids plans anyway
        return _migrate(conn, chain, target, options, echo, pgvector=pgvector)


def goal(target: str | None) -> str | None:
    """A target as a chain revision: `base` is None (before the first revision)."""
    return None if target == BASE else target


def past(chain: Chain, current: str | None, target: str | None) -> bool:
    """Whether the database (at current) is past target, so reaching it means going back."""
    return target is not None and chain.position(current) > chain.position(goal(target))


def _vector(
    conn: Conn,
    report: MigrationReport,
    echo: Echo,
    serialized: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> None:
    vector = ensure_pgvector(conn, serialized)
    if not vector.enabled:
        echo(f"warning: {vector.reason}; RAG is disabled, everything else runs")
    report.rag_enabled, report.rag_reason = vector.enabled, vector.reason


def _migrate(
    conn: Conn, chain: Chain, target: str | None, options: Options, echo: Echo, *, pgvector: bool
) -> MigrationReport:
    state = read_state(conn)
    refuse_standby(conn, state.standby)
    if clean_at(state, chain, target, options.additions):
        report = MigrationReport(state.version, state.version)
        if pgvector:
            _vector(conn, report, echo, lambda: advisory_lock(conn, options.lock_deadline, echo))
        return report
    at = state.version if state.version in chain else None
    if target != BASE and not past(chain, at, target):
        require_sound(chain.between(at, target))  # before the lock and the bookkeeping
    with advisory_lock(conn, options.lock_deadline, echo) as backend:
        runner = _Runner(conn, chain, options, echo)
        # one transaction: a database we refuse to adopt keeps no trace of us
        with conn.transaction():
            bookkeeping.create_bookkeeping().run(conn)
            check_width(conn)
            state = read_state(conn)
            report = MigrationReport(state.version, state.version)
            current = _start(conn, chain, state, runner.who, echo=echo, report=report)
        report.from_revision = report.to_revision = current
        state = read_state(conn)
        for m in verify_checksums(state, chain):
            bookkeeping.accept_edit(m, SHIPPED_EDIT).run(conn)
            echo(f"recorded {m.revision} under its file's new checksum (an edit shipped upstream)")
        if past(chain, current, target):
            if not options.go_back:
                raise MigrationError(
                    f"the database is at {current}, past {target}; going back runs down "
                    f"sections and is done only when asked: migrate --to {target}"
                )
            return _go_back(runner, target, state, backend, report)
        if target == BASE:
            return report  # already at the base
        pending = chain.between(current, target)
        if not options.allow_data_loss and (losses := dataloss.find(conn, pending)):
            raise DataLossRefused(dataloss.refusal(losses))
        if pgvector:
            _vector(conn, report, echo)
        with _one_flush(conn):
            for m in pending:
                applied = runner.apply(m, backend)
                report.applied.append(applied)
                report.to_revision = m.revision
                echo(f"applied {m.revision} in {applied.seconds * 1000:.0f} ms")
            state = read_state(conn)
            for a in due_additions(chain, state.additions, options.additions, report.to_revision):
                assert report.to_revision is not None
                runner.add(a, report.to_revision, backend)
                report.additions.append(a.name)
                echo(f"applied addition {a.name} at {report.to_revision}")
        return report


def _go_back(
    runner: _Runner, target: str | None, state: State, backend: int, report: MigrationReport
) -> MigrationReport:
    """Run the down sections from the database's revision back to target (see back_steps),
    each in its own transaction with its bookkeeping; then re-apply the additions due there."""
    if state.progress:
        raise MigrationError(
            f"{', '.join(state.progress)} is partly applied; finish it (migrate) before going back"
        )
    to = goal(target)
    conn, chain, options, echo = runner.conn, runner.chain, runner.options, runner.echo
    steps = back_steps(
        chain, report.to_revision, to, state.additions, allow_data_loss=options.allow_data_loss
    )
    require_sound((s for s in steps if isinstance(s, Migration)), going_back=True)
    with _one_flush(conn):
        _revert_steps(runner, steps, backend, report)
        if to is not None:
            state = read_state(conn)
            for a in due_additions(chain, state.additions, options.additions, to):
                runner.add(a, to, backend)
                report.additions.append(a.name)
                echo(f"applied addition {a.name} at {to}")
    return report


def _revert_steps(
    runner: _Runner, steps: list[Addition | Migration], backend: int, report: MigrationReport
) -> None:
    echo = runner.echo
    for step in steps:
        if isinstance(step, Addition):
            runner.remove(step, backend)
            report.removed.append(step.name)
            echo(f"removed addition {step.name} before going below {step.requires}")
            continue
        done = runner.revert(step, backend)
        report.reverted.append(done)
        report.to_revision = step.down_revision
        lost = " (data lost, as allowed)" if step.irreversible else ""
        echo(f"reverted {step.revision} in {done.seconds * 1000:.0f} ms{lost}")


def stamp(
    url: str,
    chain: Chain,
    revision: str,
    *,
    force: bool = False,
    options: Options | None = None,
    echo: Echo = _noop,
) -> None:
    """Record the database as being at revision without running anything.

    A revision older than the recorded one would forget the history of the later ones: that
    is refused unless force (the operator's `stamp --force`), which says how many it forgot.
    """
    options = options or Options()
    if revision not in chain:
        raise MigrationError(f"unknown revision {revision}")
    with connect(url, autocommit=True, application_name="roboco_sql stamp") as conn:
        refuse_standby(conn)
        _stamp(conn, chain, revision, options, echo, force=force)
    echo(f"stamped at {revision}")


def _stamp(
    conn: Conn, chain: Chain, revision: str, options: Options, echo: Echo, *, force: bool
) -> None:
    with advisory_lock(conn, options.lock_deadline, echo):
        with conn.transaction():
            bookkeeping.create_bookkeeping().run(conn)
        with conn.transaction():
            recorded = read_state(conn).version
            older = recorded in chain and chain.position(recorded) > chain.position(revision)
            if older and not force:
                raise MigrationError(
                    f"refusing to stamp {revision}: the database is recorded at {recorded}, "
                    "a later revision whose history this would forget; pass force "
                    "(stamp --force) to do it anyway"
                )
            later = [m.revision for m in chain.between(revision, None)]
            forgot = conn.execute(
                "DELETE FROM roboco_sql.history WHERE revision = ANY(%s)", (later,)
            ).rowcount
            conn.execute("DELETE FROM roboco_sql.progress")
            _stamp_row(conn, chain[revision], who_runs(conn))
    if forgot:
        echo(f"forgot the history rows of {forgot} later revisions")


def accept(url: str, chain: Chain, revision: str, *, options: Options | None = None) -> str:
    """Accept an intended edit of an applied file: record its new checksum, and who did."""
    options = options or Options()
    if revision not in chain:
        raise MigrationError(f"unknown revision {revision}")
    with connect(url, autocommit=True, application_name="roboco_sql accept") as conn:
        refuse_standby(conn)
        with advisory_lock(conn, options.lock_deadline, _noop), conn.transaction():
            row = bookkeeping.accept_edit(chain[revision], who_runs(conn)).run(conn).fetchone()
    if row is None:
        raise MigrationError(f"{revision} is not applied or its checksum already matches")
    return str(row[0])


@dataclass(frozen=True)
class Status:
    current: str | None
    head: str | None
    pending: list[str]
    mismatched: list[str]  # edited or missing applied files
    partial: dict[str, int]  # revision -> statements done
    unknown: str | None  # a version this chain does not know
    adoptable: bool  # an Alembic database we have not recorded yet
    # how the schema differs from the chain's at current; None when not checked (the
    # database is not clean at a known revision, or the chain stores no fingerprints)
    drift: list[fingerprint.Change] | None = None

    @property
    def exit_code(self) -> int:
        if self.mismatched or self.unknown:
            return 2
        if self.partial:
            return 4
        if self.drift:
            return 8
        return 1 if self.pending else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "head": self.head,
            "pending": self.pending,
            "mismatched": self.mismatched,
            "partial": self.partial,
            "unknown": self.unknown,
            "adoptable": self.adoptable,
            "drift": None if self.drift is None else [str(c) for c in self.drift],
            "exit_code": self.exit_code,
        }


def status(url: str, chain: Chain) -> Status:
    """Where the database stands; a clean database at a known revision is also checked for
    schema drift against the chain's stored fingerprint (one more query)."""
    with connect(url, autocommit=True, application_name="roboco_sql status") as conn:
        state = read_state(conn)
        mismatched = sorted(
            rev
            for rev, (checksum, _) in state.history.items()
            if (rev not in chain and rev not in bookkeeping.LEGACY)
            or (rev in chain and not chain[rev].shipped(checksum))
        )
        version = state.version
        legacy = version in bookkeeping.LEGACY and version not in chain
        if legacy:
            version = bookkeeping.LEGACY_BASE  # migrate moves it over, then goes on from here
        unknown = version if version and version not in chain else None
        pending = [] if unknown else [m.revision for m in chain.between(version, None)]
        partial = {rev: len(steps) for rev, steps in state.progress.items()}
        clean = not (mismatched or unknown or partial or legacy or len(state.versions) != 1)
        drift = fingerprint.drift(conn, chain, state.versions[0]) if clean else None
    return Status(
        state.version,
        chain.head,
        pending,
        mismatched,
        partial,
        unknown,
        adoptable=bool(state.version and state.version not in state.history and not unknown),
        drift=drift,
    )


_APPLIED = (
    "SELECT revision, parent, how, applied_at, duration_ms, applied_by, checksum, accepted_at "
    "FROM roboco_sql.history"
)
_ORDER = " ORDER BY applied_at, revision"
# the revisions applied now, those applied once and reverted since, and each going back
_HISTORY = (
    _APPLIED
    + " UNION ALL SELECT revision, parent, was_how, was_applied_at, was_ms, was_applied_by, "
    "checksum, NULL FROM roboco_sql.reverted WHERE was_applied_at IS NOT NULL "
    "UNION ALL SELECT revision, parent, 'reverted', reverted_at, duration_ms, reverted_by, "
    "checksum, NULL FROM roboco_sql.reverted" + _ORDER
)


def history(url: str) -> list[dict[str, Any]]:
    with connect(url, autocommit=True, application_name="roboco_sql history") as conn:
        row = conn.execute(
            "SELECT to_regclass('roboco_sql.history'), to_regclass('roboco_sql.reverted')"
        ).fetchone()
        if row is None or row[0] is None:
            return []
        cur = conn.execute(_HISTORY if row[1] is not None else _APPLIED + _ORDER)
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def to_json(value: Any) -> str:
    return json.dumps(value, default=str, indent=2)
