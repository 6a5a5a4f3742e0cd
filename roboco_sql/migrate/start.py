"""Where the chain continues from, and the operator's own records: adopt, stamp, accept.

An Alembic-managed database is adopted at its revision, a version-less one is stamped where
its schema matches a revision exactly, one at an old roboco_sql revision is moved over; the
operator may also stamp a revision by hand or accept an edit of an applied file.
"""

from __future__ import annotations

from dataclasses import dataclass

from roboco_sql.db import connect
from roboco_sql.errors import MigrationError
from roboco_sql.migrate import bookkeeping
from roboco_sql.migrate.bookkeeping import Query
from roboco_sql.migrate.chain import Chain, Migration
from roboco_sql.migrate.lock import advisory_lock
from roboco_sql.migrate.report import Echo, MigrationReport, Options, quiet
from roboco_sql.migrate.state import (
    SHIPPED_EDIT,
    Conn,
    State,
    check_width,
    read_state,
    refuse_standby,
    verify_checksums,
    who_runs,
)


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
    from roboco_sql.migrate import fingerprint  # only a version-less database with tables

    match = fingerprint.identify(conn, chain)
    if match.revision is None:
        raise MigrationError(
            f"the database has tables but no alembic_version and matches no revision exactly; "
            f"nothing was changed. {match.describe()}. If you know its revision, run "
            "`python -m roboco_sql stamp REV`"
        )
    rows = bookkeeping.stamp_rows(chain[match.revision], who)
    return Start(match.revision, tuple(rows), stamped=match.revision)


def open_books(conn: Conn, chain: Chain, who: str, echo: Echo) -> tuple[MigrationReport, State]:
    """Under the lock: the bookkeeping, the start decided and recorded (in one transaction, so
    a database we refuse to adopt keeps no trace of us), and the new checksums of files edited
    upstream. Returns the report begun at the start, and the state as it now is."""
    with conn.transaction():
        bookkeeping.create_bookkeeping().run(conn)
        check_width(conn)
        state = read_state(conn)
        start = decide_start(conn, chain, state, who)
        for query in start.queries:
            query.run(conn)
    report = MigrationReport(start.revision, start.revision)
    _say_start(start, report, echo)
    if start.queries:  # they wrote rows: read what they left (else the state read stands)
        state = read_state(conn)
    for m in verify_checksums(state, chain):
        bookkeeping.accept_edit(m, SHIPPED_EDIT).run(conn)
        echo(f"recorded {m.revision} under its file's new checksum (an edit shipped upstream)")
    return report, state


def _say_start(start: Start, report: MigrationReport, echo: Echo) -> None:
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


def _has_tables(conn: Conn) -> bool:
    row = bookkeeping.named("has_tables").run(conn).fetchone()
    return bool(row and row[0])


def _stamp_row(conn: Conn, m: Migration, who: str) -> None:
    for query in bookkeeping.stamp_rows(m, who):
        query.run(conn)


def stamp(
    url: str,
    chain: Chain,
    revision: str,
    *,
    force: bool = False,
    options: Options | None = None,
    echo: Echo = quiet,
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
            forgot = bookkeeping.named("history_forget", revisions=later).run(conn).rowcount
            bookkeeping.named("progress_forget").run(conn)
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
        with advisory_lock(conn, options.lock_deadline, quiet), conn.transaction():
            row = bookkeeping.accept_edit(chain[revision], who_runs(conn)).run(conn).fetchone()
    if row is None:
        raise MigrationError(f"{revision} is not applied or its checksum already matches")
    return str(row[0])
