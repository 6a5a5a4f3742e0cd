"""What a server says about its replication: sql/queries/replicas.sql, and the answers read.

Synchronously for the CLI (``standby_state``, ``refuse_standby``), asynchronously for the
router (``health``, ``replayed``, ``wal_position``), both from the same three named queries.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from roboco_sql.config import describe
from roboco_sql.db import connect
from roboco_sql.errors import StandbyRefused, ValidationError
from roboco_sql.replicas.lsn import Lsn

if TYPE_CHECKING:
    from roboco_sql.queries import Query

T = TypeVar("T")


@functools.cache
def query(name: str) -> Query:
    """One of sql/queries/replicas.sql, parsed on first use (loading every query file would
    cost ``import roboco_sql`` most of a second)."""
    from roboco_sql import queries

    path = queries.default_dir() / "replicas.sql"
    found = {q.name: q for q in queries.parse(path.read_text(encoding="utf-8"), path.name)}
    return found[name]


@dataclass(frozen=True)
class StandbyState:
    """A hot standby's replication, as it reports it (``status`` and ``verify`` print it)."""

    received: Lsn | None
    replayed: Lsn | None
    streaming: bool  # a WAL receiver is connected to the primary
    paused: bool  # replay paused (pg_wal_replay_pause)
    lag: float | None  # seconds; None before the first transaction replayed

    def describe(self) -> str:
        lag = "unknown" if self.lag is None else f"{self.lag:.1f} s"
        link = "streaming" if self.streaming else "not streaming"
        paused = ", replay paused" if self.paused else ""
        return f"a hot standby ({link}{paused}): replayed {self.replayed}, lag {lag}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": None if self.received is None else str(self.received),
            "replayed": None if self.replayed is None else str(self.replayed),
            "streaming": self.streaming,
            "paused": self.paused,
            "lag_seconds": self.lag,
        }


def read_state(row: dict[str, Any]) -> StandbyState | None:
    """A ``replica_health`` row as a StandbyState; None from a server not in recovery."""
    if not row["standby"]:
        return None
    received, replayed = row["received"], row["replayed"]
    return StandbyState(
        received=None if received is None else Lsn.parse(received),
        replayed=None if replayed is None else Lsn.parse(replayed),
        streaming=bool(row["streaming"]),
        paused=bool(row["paused"]),
        lag=row["lag"],
    )


def standby_state(url: str) -> StandbyState | None:
    """The server's replication state if it is a standby (in recovery), else None.

    Synchronous, on a connection of its own: for the CLI, which refuses to write to a standby
    and reports a standby's lag in ``status`` and ``verify``.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("url: a PostgreSQL URL is required")
    with connect(url, autocommit=True, application_name="roboco_sql standby check") as conn:
        q = query("replica_health")
        with psycopg.RawCursor(conn, row_factory=dict_row) as cur:
            cur.execute(q.sql, q.args())
            row = cur.fetchone()
    assert row is not None
    return read_state(row)


def refuse_standby(url: str, command: str) -> None:
    """A writing command pointed at a standby stops here, in one line, before it writes."""
    if not isinstance(command, str) or not command.strip():
        raise ValidationError("command: the name of the refused command is required")
    if standby_state(url) is not None:
        raise StandbyRefused(
            f"{describe(url)} is a hot standby (read-only): run {command} on the primary"
        )


async def in_autocommit(
    conn: AsyncConnection[Any], fn: Callable[[AsyncConnection[Any]], Awaitable[T]]
) -> T:
    """Run a check outside any transaction (no BEGIN, nothing left open for the caller);
    switching autocommit on an idle connection costs no round trip."""
    await conn.set_autocommit(True)
    try:
        return await fn(conn)
    finally:
        if not conn.closed:
            await conn.set_autocommit(False)


async def health(conn: AsyncConnection[Any]) -> dict[str, Any]:
    """The ``replica_health`` row (see ``read_state``)."""
    from roboco_sql.queries import fetch_one

    row = await fetch_one(conn, query("replica_health"), dict_row)
    assert row is not None
    return row


async def replayed(conn: AsyncConnection[Any]) -> str | None:
    """How far this standby has replayed, as text (None on a primary)."""
    from roboco_sql.queries import fetch_scalar

    return await fetch_scalar(conn, query("replica_replayed"), str)


async def wal_position(conn: AsyncConnection[Any]) -> Lsn:
    """The primary's WAL insert position, read on ``conn`` (after your commit)."""
    if not isinstance(conn, AsyncConnection):
        raise ValidationError(f"conn: expected an AsyncConnection, got {type(conn).__name__}")
    from roboco_sql.queries import fetch_scalar

    text = await fetch_scalar(conn, query("primary_wal_position"), str)
    assert text is not None
    return Lsn.parse(text)
