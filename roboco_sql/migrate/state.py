"""Where the database stands against the chain: its state in one read, and what follows.

Reads only: the recorded revision and history, a half-done file's progress, the additions
applied, whether the server is a standby; from these, whether a run has anything to do, which
additions are due, and whether the recorded checksums still match the files.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field

import psycopg
from psycopg import errors as pgerr
from psycopg.rows import TupleRow

from roboco_sql.config import describe
from roboco_sql.errors import ChecksumMismatch, MigrationError, StandbyRefused
from roboco_sql.migrate import additions as additions_mod
from roboco_sql.migrate import bookkeeping
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.chain import MAX_ID, Chain, Migration

Conn = psycopg.Connection[TupleRow]


# who accepted a checksum a file declares it supersedes (bookkeeping.accept_edit)
SHIPPED_EDIT = "roboco_sql: an edit shipped with the chain"

# no additions: RoboCo's catalog exactly (fingerprints, reference comparisons)
PURE = frozenset({additions_mod.NONE})

# `migrate --to base`: before the chain's first revision, an empty schema
BASE = "base"


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
        row = (
            bookkeeping.named("read_state").run(conn).fetchone()
        )  # autocommit: one round trip, no BEGIN/COMMIT
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
    row = bookkeeping.named("read_state_partial").run(conn).fetchone()
    versions: list[str] = []
    if row is not None and row[0]:
        versions = [v for (v,) in bookkeeping.named("versions").run(conn)]
    standby = bool(row and row[1])
    return State(versions=versions, history={}, progress={}, bookkeeping=False, standby=standby)


def in_recovery(conn: Conn) -> bool:
    """Whether the server is a hot standby (recovering: it replays the primary, read-only)."""
    row = bookkeeping.named("in_recovery").run(conn).fetchone()
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


def goal(target: str | None) -> str | None:
    """A target as a chain revision: `base` is None (before the first revision)."""
    return None if target == BASE else target


def past(chain: Chain, current: str | None, target: str | None) -> bool:
    """Whether the database (at current) is past target, so reaching it means going back."""
    return target is not None and chain.position(current) > chain.position(goal(target))


def check_width(conn: Conn) -> None:
    row = bookkeeping.named("version_width").run(conn).fetchone()
    width = row[0] if row else None
    if width is not None and width < MAX_ID:
        raise MigrationError(
            f"alembic_version.version_num is VARCHAR({width}); revision ids need {MAX_ID}: "
            f"ALTER TABLE alembic_version ALTER COLUMN version_num TYPE VARCHAR({MAX_ID})"
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
