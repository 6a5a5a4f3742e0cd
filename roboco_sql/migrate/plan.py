"""The exact SQL the next `migrate` would run, as a psql script, without running any of it.

The plan reads the database's state over a read-only session (to know what is pending, what
a half-done file already did, whether it must adopt or stamp) and prints, in order:

- the migration lock (taken at once or the script stops; migrate polls for it instead),
- the bookkeeping schema when it is missing, and the adoption, stamp or move-over rows, in
  one transaction,
- the new checksums of applied files edited upstream (a file's `supersedes` header),
- pgvector, where migrate would create it,
- per transactional file: BEGIN; SET LOCAL lock_timeout; its statements; the version and
  history writes; COMMIT,
- per `transaction: none` file: its statements one by one, each committed with its progress
  row where PostgreSQL allows, then the version and history writes in a transaction,
- per addition due: BEGIN; its statements; its record; COMMIT.

Going back (a target below the database's revision), it prints instead, newest first, each
revision's down section in one transaction with its bookkeeping (alembic_version back to the
parent, the history row moved to roboco_sql.reverted), an addition's down section before the
chain goes below the revision it requires, then the additions due at the target.

Replayed with ``psql -v ON_ERROR_STOP=1 -f plan.sql`` on a copy of the database it leaves
the catalog migrate would. Each file commits on its own (an enum label added by one file is
usable by the next), so the script must not be wrapped in ``psql -1``. The bookkeeping
statements come from `bookkeeping`, the module migrate executes them from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import psycopg

from roboco_sql import sqllex
from roboco_sql.db import connect
from roboco_sql.errors import MigrationError
from roboco_sql.migrate import bookkeeping
from roboco_sql.migrate.additions import DEFAULT, Addition
from roboco_sql.migrate.atomic import part_text
from roboco_sql.migrate.autocommit import changed_step
from roboco_sql.migrate.bookkeeping import LOCK_KEY, Query
from roboco_sql.migrate.chain import Chain, Migration, autocommit_only
from roboco_sql.migrate.down import back_steps
from roboco_sql.migrate.extensions import PROBE as VECTOR_PROBE
from roboco_sql.migrate.start import Start, decide_start
from roboco_sql.migrate.state import (
    BASE,
    SHIPPED_EDIT,
    Conn,
    Recorded,
    State,
    check_width,
    clean_at,
    due_additions,
    goal,
    past,
    read_state,
    refuse_standby,
    verify_checksums,
    who_runs,
)
from roboco_sql.migrate.steps import addition_step

RULE = "-- " + "-" * 93

_LOCK = f"""DO $lock$
BEGIN
    IF NOT pg_try_advisory_lock({LOCK_KEY}) THEN
        RAISE EXCEPTION 'another process holds the roboco_sql migration lock; nothing was run';
    END IF;
END
$lock$"""

# migrate creates pgvector first and carries on without RAG when it cannot; so does this
_VECTOR = """DO $vector$
BEGIN
    CREATE EXTENSION IF NOT EXISTS vector;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'creating the pgvector extension needs a superuser; RAG is disabled';
END
$vector$"""


@dataclass
class Plan:
    current: str | None  # the revision the database is at
    target: str | None  # the revision it would reach
    revisions: list[str] = field(default_factory=list)  # the files that would run
    reverted: list[str] = field(default_factory=list)  # going back: down sections, newest first
    sql: str = ""

    @property
    def empty(self) -> bool:
        return not self.revisions and not self.reverted


class _Script:
    """psql text: statements bound with the server's quoting, each ended by ';'."""

    def __init__(self, conn: Conn) -> None:
        self.cur = psycopg.ClientCursor(conn)
        self.lines: list[str] = []

    def comment(self, *lines: str) -> None:
        self.lines += [f"-- {line}" if line else "--" for line in lines]

    def blank(self) -> None:
        self.lines.append("")

    def sql(self, text: str) -> None:
        """text, ended by ';' unless its last statement already is (a file's part)."""
        text = text.rstrip()
        if not _ends_cleanly(text):
            text += "\n;"
        elif not text.endswith(";"):
            text += ";"
        self.lines.append(text)

    def query(self, q: Query) -> None:
        self.sql(q.render(self.cur))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _ends_cleanly(text: str) -> bool:
    """False when the text ends inside a -- comment, where a ';' would be swallowed."""
    last = None
    for tok in sqllex.tokenize(text):
        if tok.kind is not sqllex.Kind.SPACE:
            last = tok
    return not (last is not None and last.kind is sqllex.Kind.COMMENT and last.text[:2] == "--")


def plan(
    url: str,
    chain: Chain,
    target: str | None = None,
    *,
    pgvector: bool = False,
    wanted: frozenset[str] = frozenset({DEFAULT}),
    allow_data_loss: bool = False,
) -> Plan:
    """What `migrate(url, chain, target, pgvector=...)` would run now; nothing is executed.
    A target below the database's revision plans going back (as `migrate --to` does)."""
    if target is not None and target != BASE and target not in chain:
        raise MigrationError(f"unknown target revision {target}")
    with connect(url, autocommit=True, application_name="roboco_sql plan") as conn:
        refuse_standby(conn)  # the script could not run there
        conn.execute("SET default_transaction_read_only = on")  # the plan cannot write
        return build(
            conn,
            chain,
            target or chain.head,
            pgvector=pgvector,
            wanted=wanted,
            allow_data_loss=allow_data_loss,
        )


def build(
    conn: Conn,
    chain: Chain,
    target: str | None,
    *,
    pgvector: bool = False,
    wanted: frozenset[str] = frozenset({DEFAULT}),
    allow_data_loss: bool = False,
) -> Plan:
    """The plan from this connection's database: decided as migrate decides, then written
    in migrate's order."""
    state = read_state(conn)
    out = _Script(conn)
    result = Plan(state.version, target)
    out.comment(
        f"roboco_sql plan: what `migrate` would run on database {conn.info.dbname}, "
        f"now at {state.version or 'no revision'}",
        "replay with: psql -v ON_ERROR_STOP=1 -f THIS_FILE (each revision commits on its own;",
        "do not add -1)",
    )
    vector = pgvector and _vector_missing(conn)
    if clean_at(state, chain, target, wanted):
        if vector:
            _locked(out, lambda: _emit_vector(out))
        else:
            out.comment(f"nothing to apply: the database is at {state.version}")
        result.sql = out.text()
        return result
    d = _decide(conn, chain, state, target, wanted, allow_data_loss=allow_data_loss)
    result.current, result.revisions = d.current, [m.revision for m in d.pending]
    result.reverted = [m.revision for m in d.back if isinstance(m, Migration)]

    def body() -> None:
        _emit_books(out, d)
        if d.back:
            _one_flush(out, lambda: _emit_back(out, d))
            return
        if vector:
            _emit_vector(out)
        _one_flush(out, lambda: _emit_forward(out, conn, d))

    _locked(out, body)
    result.sql = out.text()
    return result


@dataclass(frozen=True)
class _Decided:
    """What migrate would decide under the lock: where it starts, and the steps it takes."""

    chain: Chain
    state: State
    start: Start
    who: str
    target: str | None
    wanted: frozenset[str]
    superseded: list[Migration]
    back: list[Addition | Migration]
    pending: list[Migration]

    @property
    def current(self) -> str | None:
        return self.start.revision


def _decide(
    conn: Conn,
    chain: Chain,
    state: State,
    target: str | None,
    wanted: frozenset[str],
    *,
    allow_data_loss: bool,
) -> _Decided:
    """The start and the steps, refused as migrate refuses them (reads only)."""
    who = who_runs(conn)
    check_width(conn)
    start = decide_start(conn, chain, state, who)
    superseded = verify_checksums(state, chain)
    current = start.revision
    back: list[Addition | Migration] = []
    if past(chain, current, target):
        if state.progress:
            raise MigrationError(
                f"{', '.join(state.progress)} is partly applied; finish it (migrate) before "
                "going back"
            )
        recorded = start_additions(state, start)
        back = back_steps(chain, current, goal(target), recorded, allow_data_loss=allow_data_loss)
    pending = [] if back or target == BASE else chain.between(current, target)
    if pending and pending[0].revision in state.progress and not pending[0].transactional:
        done = state.progress[pending[0].revision]
        for number, stmt in enumerate(pending[0].statements, start=1):
            if number in done and done[number] != bookkeeping.statement_checksum(stmt.text):
                raise changed_step(pending[0], number, stmt)
    return _Decided(chain, state, start, who, target, wanted, superseded, back, pending)


def _emit_books(out: _Script, d: _Decided) -> None:
    """The bookkeeping schema and the start's rows in one transaction, then the new
    checksums of files edited upstream (as start.open_books)."""
    state, start = d.state, d.start
    if not state.bookkeeping or start.queries or d.back:
        out.blank()
        out.comment("bookkeeping" + (" schema" if not state.bookkeeping else ""), RULE[3:])
        if start.adopted:
            out.comment(f"adopt an Alembic-managed database at {start.adopted}")
        if start.stamped:
            out.comment(f"stamp a version-less database at {start.stamped} (exact match)")
        if start.relaid:
            out.comment(f"move a database at roboco_sql's old {start.relaid} to {d.current}")
        out.sql("BEGIN")
        if not state.bookkeeping or d.back:  # going back logs to a table added since
            out.query(bookkeeping.create_bookkeeping())
        for q in start.queries:
            out.query(q)
        out.sql("COMMIT")
    if d.superseded:
        out.blank()
        out.comment("files edited upstream since they were applied: their new checksums")
        for m in d.superseded:
            out.query(bookkeeping.accept_edit(m, SHIPPED_EDIT))


def _emit_forward(out: _Script, conn: Conn, d: _Decided) -> None:
    """Each pending revision as the runner applies it, then the additions due there."""
    for m in d.pending:
        out.blank()
        if m.transactional:
            _emit_transactional(out, m, d.who)
        else:
            _emit_autocommit(out, conn, m, d.who, d.state.progress.get(m.revision, {}))
    if not d.pending:
        out.blank()
        out.comment(f"no revision to apply: the database stays at {d.current}")
    final = d.pending[-1].revision if d.pending else d.current
    for a in due_additions(d.chain, start_additions(d.state, d.start), d.wanted, final):
        assert final is not None
        out.blank()
        _transaction(out, addition_step(a), [bookkeeping.addition_record(a, final, d.who)])


def _emit_back(out: _Script, d: _Decided) -> None:
    """Going back: the steps down.go_back runs, in its order, with its bookkeeping."""
    chain, who, wanted, to = d.chain, d.who, d.wanted, goal(d.target)
    recorded = start_additions(d.state, d.start)
    for step in d.back:
        out.blank()
        if isinstance(step, Addition):
            out.comment(f"addition {step.name}: removed before going below {step.requires}")
            _transaction(out, addition_step(step).reverse(), [bookkeeping.addition_forget(step)])
            recorded.pop(step.name, None)
            continue
        if step.irreversible:
            out.comment(f"irreversible: {step.irreversible} (allowed by --allow-data-loss)")
        _transaction(out, step.reverse(), bookkeeping.revert_record(step, who, None))
    for a in due_additions(chain, recorded, wanted, to):
        assert to is not None
        out.blank()
        _transaction(out, addition_step(a), [bookkeeping.addition_record(a, to, who)])


def start_additions(state: State, start: Start) -> Recorded:
    """The additions recorded once the start's queries ran (a move-over records some)."""
    recorded = dict(state.additions)
    if start.relaid:
        for name in bookkeeping.LEGACY[start.relaid]:
            recorded.setdefault(name, ("", None))
    return recorded


def _one_flush(out: _Script, body: Callable[[], None]) -> None:
    """As steps.one_flush: commits that do not wait for the disk, then one that does."""
    out.blank()
    out.comment("each revision commits without waiting for the disk; the last commit waits for all")
    out.query(bookkeeping.ASYNC_COMMITS)
    body()
    out.blank()
    out.query(bookkeeping.SYNC_COMMITS)
    out.sql("BEGIN")
    out.query(bookkeeping.DURABLE)
    out.sql("COMMIT")


def _locked(out: _Script, body: Callable[[], None]) -> None:
    out.blank()
    out.comment("the migration lock (migrate waits for it; this script stops if it is held)")
    out.sql(_LOCK)
    body()
    out.blank()
    out.sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")


def _vector_missing(conn: Conn) -> bool:
    row = conn.execute(VECTOR_PROBE).fetchone()
    return row is not None and not row[0] and bool(row[1])


def _emit_vector(out: _Script) -> None:
    out.blank()
    out.comment("pgvector (RAG needs it, the chain does not); without it RAG is disabled")
    out.sql(_VECTOR)


def _header(out: _Script, m: Migration, how: str) -> None:
    out.comment(f"{m.label} ({m.name}): {how}", RULE[3:])


def _emit_transactional(out: _Script, m: Migration, who: str) -> None:
    _transaction(out, m, bookkeeping.record(m, who, None))


def _transaction(out: _Script, m: Migration, record: Iterable[Query]) -> None:
    """m's part and its record in one transaction, as the runner sends them (atomic.run):
    the part's text as it stands in the file, between the same statements."""
    _header(out, m, "one transaction")
    for q in bookkeeping.opening(m):
        out.query(q)
    out.lines.append(part_text(m))
    for q in record:
        out.query(q)
    out.sql("COMMIT")


def _emit_autocommit(
    out: _Script, conn: Conn, m: Migration, who: str, done: dict[int, str]
) -> None:
    total = len(m.statements)
    _header(out, m, "transaction: none")
    out.comment(
        "NOT one transaction: each statement below commits on its own, with its step in",
        "roboco_sql.progress (BEGIN ... COMMIT around the two) where PostgreSQL allows;",
        "a run that stops part-way is resumed by `migrate` from the next step",
    )
    out.query(bookkeeping.set_lock_timeout(m))
    for number, stmt in enumerate(m.statements, start=1):
        where = m.where(stmt.start).rsplit(":", 1)[0]
        if number in done:
            out.comment(f"statement {number} of {total} ({where}): already applied")
            continue
        out.comment(f"statement {number} of {total} ({where})")
        name = bookkeeping.concurrent_index_name(stmt)
        valid = None if name is None else bookkeeping.index_validity(conn, name)
        if name is not None and valid:
            out.comment(f"index {name} is already built and valid: recorded as done")
            out.query(bookkeeping.progress_insert(m, number, stmt))
            continue
        if name is not None and valid is False:
            out.comment(f"index {name} is INVALID (a failed concurrent build): rebuilt")
            out.query(bookkeeping.drop_invalid_index(name))
        atomic = autocommit_only(stmt) is None  # as the runner: commit it with its step
        if atomic:
            out.sql("BEGIN")
        out.sql(stmt.text)
        out.query(bookkeeping.progress_insert(m, number, stmt))
        if atomic:
            out.sql("COMMIT")
    out.query(bookkeeping.RESET_LOCK_TIMEOUT)
    out.comment(f"{m.revision} done: record it")
    out.sql("BEGIN")
    for q in bookkeeping.record(m, who, None):
        out.query(q)
    out.query(bookkeeping.progress_clear(m))
    out.sql("COMMIT")
