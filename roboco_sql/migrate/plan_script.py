"""Writing a plan: psql text in migrate's order, each part as the runner sends it.

`Script` binds the bookkeeping statements with the server's quoting; the emitters write the
bookkeeping and start rows, each revision (a transactional part between the statements
`atomic.run` sends around it; a `transaction: none` file statement by statement with its
progress rows), the additions, the steps going back, the migration lock and pgvector.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psycopg

from roboco_sql import sqllex
from roboco_sql.migrate import bookkeeping
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.atomic import part_text
from roboco_sql.migrate.bookkeeping import LOCK_KEY, Query
from roboco_sql.migrate.chain import Migration, autocommit_only
from roboco_sql.migrate.plan_decide import Decided, start_additions
from roboco_sql.migrate.state import SHIPPED_EDIT, Conn, due_additions, goal
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


class Script:
    """psql text: statements bound with the server's quoting, each ended by ';'."""

    def __init__(self, conn: Conn) -> None:
        self.cur = psycopg.ClientCursor(conn)
        self.lines: list[str] = []

    def comment(self, *lines: str) -> None:
        self.lines += [f"-- {line}" for line in lines]

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


def emit_books(out: Script, d: Decided) -> None:
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


def emit_forward(out: Script, conn: Conn, d: Decided) -> None:
    """Each pending revision as the runner applies it, then the additions due there."""
    for m in d.pending:
        out.blank()
        if m.transactional:
            _transaction(out, m, bookkeeping.record(m, d.who, None), moves=True)
        else:
            _emit_autocommit(out, conn, m, d.who, d.state.progress.get(m.revision, {}))
    if not d.pending:
        out.blank()
        out.comment(f"no revision to apply: the database stays at {d.current}")
    final = d.pending[-1].revision if d.pending else d.current
    for a in due_additions(d.chain, start_additions(d.state, d.start), d.wanted, final):
        assert final is not None
        out.blank()
        _transaction(
            out, addition_step(a), [bookkeeping.addition_record(a, final, d.who)], moves=False
        )


def emit_back(out: Script, d: Decided) -> None:
    """Going back: the steps down.go_back runs, in its order, with its bookkeeping."""
    chain, who, wanted, to = d.chain, d.who, d.wanted, goal(d.target)
    recorded = start_additions(d.state, d.start)
    for step in d.back:
        out.blank()
        if isinstance(step, Addition):
            out.comment(f"addition {step.name}: removed before going below {step.requires}")
            _transaction(
                out, addition_step(step).reverse(), [bookkeeping.addition_forget(step)], moves=False
            )
            recorded.pop(step.name, None)
            continue
        if step.irreversible:
            out.comment(f"irreversible: {step.irreversible} (allowed by --allow-data-loss)")
        _transaction(out, step.reverse(), bookkeeping.revert_record(step, who, None), moves=True)
    for a in due_additions(chain, recorded, wanted, to):
        assert to is not None
        out.blank()
        _transaction(out, addition_step(a), [bookkeeping.addition_record(a, to, who)], moves=False)


def one_flush(out: Script, body: Callable[[], None]) -> None:
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


def locked(out: Script, body: Callable[[], None]) -> None:
    out.blank()
    out.comment("the migration lock (migrate waits for it; this script stops if it is held)")
    out.sql(_LOCK)
    body()
    out.blank()
    out.sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")


def emit_vector(out: Script) -> None:
    out.blank()
    out.comment("pgvector (RAG needs it, the chain does not); without it RAG is disabled")
    out.sql(_VECTOR)


def _header(out: Script, m: Migration, how: str) -> None:
    out.comment(f"{m.label} ({m.name}): {how}", RULE[3:])


def _transaction(out: Script, m: Migration, record: Sequence[Query], *, moves: bool) -> None:
    """m's part and its record in one transaction, as the runner sends them (atomic.run):
    the part's text as it stands in the file, between the same statements."""
    _header(out, m, "one transaction")
    for q in bookkeeping.opening(m):
        out.query(q)
    out.lines.append(part_text(m))
    for q in bookkeeping.closing(record, out.cur, moves=moves):
        out.query(q)
    out.sql("COMMIT")


def _emit_autocommit(out: Script, conn: Conn, m: Migration, who: str, done: dict[int, str]) -> None:
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
