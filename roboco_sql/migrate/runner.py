"""Applying the chain: one advisory lock, one transaction per file, nothing half-done.

The current revision lives in ``public.alembic_version`` (the table RoboCo's Alembic uses),
so a database moves between Alembic and roboco_sql either way without a rebuild. Our own
bookkeeping lives in schema ``roboco_sql``: ``history`` (one row per revision: parent,
checksum, when, how long, by whom, how) and ``progress`` (statements done so far of a
non-transactional file).

This module tells the story of a run (`_migrate`); each chapter has a module of its own:
`state` (where the database stands), `lock` (the migration lock), `start` (adopt, stamp,
move over; the operator's stamp and accept), `steps` with `atomic` and `autocommit` (one step
and its bookkeeping), `down` (going back), `standing` (`status`, `history`). Their public
names are importable from here too; `standing`'s on first use (PEP 562), so a migrate does not
load it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from importlib import import_module
from typing import TYPE_CHECKING, Any

from roboco_sql.db import connect
from roboco_sql.errors import DataLossRefused, MigrationError
from roboco_sql.migrate import dataloss
from roboco_sql.migrate.autocommit import changed_step
from roboco_sql.migrate.chain import Chain, Migration, autocommit_only, require_sound
from roboco_sql.migrate.down import Back, back_steps, go_back
from roboco_sql.migrate.extensions import ensure_pgvector
from roboco_sql.migrate.lock import advisory_lock
from roboco_sql.migrate.report import Applied, Echo, MigrationReport, Options, quiet
from roboco_sql.migrate.start import Start, accept, decide_start, open_books, stamp
from roboco_sql.migrate.state import (
    BASE,
    PURE,
    SHIPPED_EDIT,
    Conn,
    Recorded,
    State,
    check_width,
    clean_at,
    due_additions,
    goal,
    in_recovery,
    past,
    read_state,
    refuse_standby,
    verify_checksums,
    who_runs,
)
from roboco_sql.migrate.steps import Steps, addition_step, one_flush

if TYPE_CHECKING:
    from roboco_sql.migrate.standing import Status, history, status, to_json

_LAZY = frozenset({"Status", "history", "status", "to_json"})  # of roboco_sql.migrate.standing

# the names callers import from here, wherever they live now
__all__ = [
    "BASE",
    "PURE",
    "SHIPPED_EDIT",
    "Applied",
    "Back",
    "Conn",
    "Echo",
    "MigrationReport",
    "Options",
    "Recorded",
    "Start",
    "State",
    "Status",
    "accept",
    "addition_step",
    "autocommit_only",
    "back_steps",
    "changed_step",
    "check_width",
    "clean_at",
    "decide_start",
    "due_additions",
    "goal",
    "history",
    "in_recovery",
    "migrate",
    "past",
    "read_state",
    "refuse_standby",
    "stamp",
    "status",
    "to_json",
    "verify_checksums",
    "who_runs",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module("roboco_sql.migrate.standing"), name)
    globals()[name] = value
    return value


def migrate(
    url: str,
    chain: Chain,
    target: str | None = None,
    *,
    options: Options | None = None,
    echo: Echo = quiet,
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


def _migrate(
    conn: Conn, chain: Chain, target: str | None, options: Options, echo: Echo, *, pgvector: bool
) -> MigrationReport:
    """The story of a run: read where the database stands, check the steps to run, take the
    lock, decide the start, apply each step with its bookkeeping, release the lock."""
    state = read_state(conn)
    refuse_standby(conn, state.standby)
    if clean_at(state, chain, target, options.additions):
        return _at_target(conn, state, options, echo, pgvector=pgvector)
    _check_steps(chain, state, target)
    with advisory_lock(conn, options.lock_deadline, echo) as backend:
        steps = Steps(conn, chain, options, echo, backend)
        report, state = open_books(conn, chain, steps.who, echo)
        if past(chain, report.to_revision, target):
            return go_back(steps, target, state, report)
        if target == BASE:
            return report  # already at the base
        pending = _forward(conn, chain, report.to_revision, target, options)
        if pgvector:
            _vector(conn, report, echo)
        with one_flush(conn):
            for m in pending:
                steps.apply(m, report)
            steps.add_due(report)
    return report


def _at_target(
    conn: Conn, state: State, options: Options, echo: Echo, *, pgvector: bool
) -> MigrationReport:
    """A no-op: the state read is all it sends (and, wanted, the check for pgvector)."""
    report = MigrationReport(state.version, state.version)
    if pgvector:
        _vector(conn, report, echo, lambda: advisory_lock(conn, options.lock_deadline, echo))
    return report


def _check_steps(chain: Chain, state: State, target: str | None) -> None:
    """The SQL of the files to run, checked before the lock and the bookkeeping, so a broken
    pending file leaves the database untouched (going back checks its down sections)."""
    at = state.version if state.version in chain else None
    if target != BASE and not past(chain, at, target):
        require_sound(chain.between(at, target))


def _forward(
    conn: Conn, chain: Chain, current: str | None, target: str | None, options: Options
) -> list[Migration]:
    """The revisions to apply, refused as a whole when one would drop data (unless allowed)."""
    pending = chain.between(current, target)
    if not options.allow_data_loss and (losses := dataloss.find(conn, pending)):
        raise DataLossRefused(dataloss.refusal(losses))
    return pending


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
