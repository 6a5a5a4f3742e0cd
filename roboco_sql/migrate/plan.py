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

This module reads the state and puts the plan together; `plan_decide` makes migrate's
decisions, `plan_script` writes the text. Their public names are importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from roboco_sql.db import connect
from roboco_sql.errors import MigrationError
from roboco_sql.migrate.additions import DEFAULT
from roboco_sql.migrate.chain import Chain, Migration
from roboco_sql.migrate.extensions import PROBE as VECTOR_PROBE
from roboco_sql.migrate.plan_decide import decide, start_additions
from roboco_sql.migrate.plan_script import (
    RULE,
    Script,
    emit_back,
    emit_books,
    emit_forward,
    emit_vector,
    locked,
    one_flush,
)
from roboco_sql.migrate.state import BASE, Conn, clean_at, read_state, refuse_standby

# the names callers import from here, wherever they live now
__all__ = ["RULE", "Plan", "build", "plan", "start_additions"]


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
    pgvector: bool,
    wanted: frozenset[str],
    allow_data_loss: bool,
) -> Plan:
    """The plan from this connection's database: decided as migrate decides, then written
    in migrate's order."""
    state = read_state(conn)
    out = Script(conn)
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
            locked(out, lambda: emit_vector(out))
        else:
            out.comment(f"nothing to apply: the database is at {state.version}")
        result.sql = out.text()
        return result
    d = decide(conn, chain, state, target, wanted, allow_data_loss=allow_data_loss)
    result.current, result.revisions = d.current, [m.revision for m in d.pending]
    result.reverted = [m.revision for m in d.back if isinstance(m, Migration)]

    def body() -> None:
        emit_books(out, d)
        if d.back:
            one_flush(out, lambda: emit_back(out, d))
            return
        if vector:
            emit_vector(out)
        one_flush(out, lambda: emit_forward(out, conn, d))

    locked(out, body)
    result.sql = out.text()
    return result


def _vector_missing(conn: Conn) -> bool:
    row = conn.execute(VECTOR_PROBE).fetchone()
    return row is not None and not row[0] and bool(row[1])
