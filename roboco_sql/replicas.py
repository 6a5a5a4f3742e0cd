"""Read replicas: a pool per hot standby, and read-only work routed to one that is fresh.

PostgreSQL's streaming replication keeps hot standbys a few milliseconds behind the primary.
Spreading the reads (lists, lookups, searches, RAG, aggregates) over them leaves the primary's
CPU to the writes. With no replica configured nothing here costs anything: a read is the
primary's pooled connection, exactly as ``connection()`` gives it.

How a read picks its server:

- replicas in turn (round robin), skipping one that is down or lagging; a replica that gives
  no connection within a second, or whose lag passes ROBOCO_DATABASE_REPLICA_MAX_LAG, is left
  alone for a retry interval while a background probe waits for it to come back;
- a replica's lag is checked at most once a second, on a connection it lends anyway;
- read-your-writes: ``after=`` a WAL position taken after the commit (``write_lsn()``); the
  replica is polled until it has replayed that far, for at most ROBOCO_DATABASE_REPLICA_WAIT
  seconds, then the read goes to the primary;
- when no replica qualifies, the primary. ``read()`` also runs a read again on the primary
  when its replica drops mid-call; nothing reaches the caller but the read's own errors.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg import errors as pgerr
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from roboco_sql.config import Settings, describe, normalize_url
from roboco_sql.db import _link_lost, connect, connection, make_pool, open_pool, resolve_url
from roboco_sql.errors import DatabaseUnavailable, StandbyRefused, ValidationError

if TYPE_CHECKING:
    from roboco_sql.queries import Query

__all__ = [
    "CHECKOUT_TIMEOUT",
    "CHECK_INTERVAL",
    "RETRY_INTERVAL",
    "Cluster",
    "Lsn",
    "ReplicaStatus",
    "StandbyState",
    "open_cluster",
    "read_connection",
    "refuse_standby",
    "standby_state",
    "wal_position",
]

log = logging.getLogger("roboco_sql")
T = TypeVar("T")

CHECK_INTERVAL = 1.0
"""Seconds between two lag checks of a replica that serves reads."""
RETRY_INTERVAL = 5.0
"""Seconds a replica found down or lagging is left alone before the next probe."""
CHECKOUT_TIMEOUT = 1.0
"""A replica that lends no connection within this many seconds is skipped (and probed)."""
CONNECT_TIMEOUT = 2
"""libpq's connect_timeout for replica connections, in seconds (2 is the least it honours)."""
_POLL_FIRST, _POLL_MAX = 0.001, 0.025  # read-your-writes polling: 1 ms, doubling to 25 ms


@functools.cache
def _q(name: str) -> Query:
    """One of sql/queries/replicas.sql, parsed on first use (loading every query file would
    cost ``import roboco_sql`` most of a second)."""
    from roboco_sql import queries

    path = queries.default_dir() / "replicas.sql"
    found = {q.name: q for q in queries.parse(path.read_text(encoding="utf-8"), path.name)}
    return found[name]


class Lsn(int):
    """A WAL position (PostgreSQL's pg_lsn, written ``16/B374D848``), comparable as an int."""

    @classmethod
    def parse(cls, text: str) -> Lsn:
        high, sep, low = text.strip().partition("/")
        try:
            if not sep:
                raise ValueError
            return cls((int(high, 16) << 32) | int(low, 16))
        except ValueError:
            raise ValidationError(f"after: not a WAL position (X/Y in hex), got {text!r}") from None

    def __str__(self) -> str:
        return f"{int(self) >> 32:X}/{int(self) & 0xFFFFFFFF:X}"

    def __repr__(self) -> str:
        return f"Lsn('{self}')"


def _as_lsn(value: Lsn | str | None) -> Lsn | None:
    if value is None or isinstance(value, Lsn):
        return value
    if isinstance(value, str):
        return Lsn.parse(value)
    raise ValidationError(f"after: expected an Lsn or 'X/Y' text, got {type(value).__name__}")


def _check_wait(wait: float | None, default: float) -> float:
    if wait is None:
        return default
    if not isinstance(wait, int | float) or not 0 <= wait < float("inf"):
        raise ValidationError(f"wait: must be a finite number of seconds >= 0, got {wait!r}")
    return float(wait)


# -- what a server says about its replication --------------------------------------------------


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


def _standby(row: dict[str, Any]) -> StandbyState | None:
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
        q = _q("replica_health")
        with psycopg.RawCursor(conn, row_factory=dict_row) as cur:
            cur.execute(q.sql, q.args())
            row = cur.fetchone()
    assert row is not None
    return _standby(row)


def refuse_standby(url: str, command: str) -> None:
    """A writing command pointed at a standby stops here, in one line, before it writes."""
    if not isinstance(command, str) or not command.strip():
        raise ValidationError("command: the name of the refused command is required")
    if standby_state(url) is not None:
        raise StandbyRefused(
            f"{describe(url)} is a hot standby (read-only): run {command} on the primary"
        )


# -- the replicas and their health -------------------------------------------------------------

Health = Literal["up", "down", "lagging", "not a standby"]


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica as the router sees it (no password: the server is host, port and database)."""

    server: str
    health: Health
    lag: float | None
    replayed: Lsn | None
    reason: str | None
    reads: int


class _Replica:
    def __init__(self, url: str, pool: AsyncConnectionPool) -> None:
        self.url = url
        self.where = describe(url)
        self.pool = pool
        self.health: Health = "up"
        self.reason: str | None = None
        self.checked = float("-inf")  # monotonic time of the last lag check
        self.lag: float | None = None
        self.replayed: Lsn | None = None
        self.reads = 0
        self.lent = 0  # connections out to readers now: a full pool is busy, not broken
        self.probe: asyncio.Task[None] | None = None

    def status(self) -> ReplicaStatus:
        return ReplicaStatus(
            self.where, self.health, self.lag, self.replayed, self.reason, self.reads
        )


class _ReplicaLost(DatabaseUnavailable):
    """A replica failed under a read; ``read()`` runs the read again on the primary."""


def _reason(exc: BaseException) -> str:
    text = (
        exc.diag.message_primary if isinstance(exc, psycopg.Error) and exc.diag else None
    ) or str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


class Cluster:
    """The primary's pool and a pool per hot standby, with each standby's health.

    Writes go to ``primary`` (``connection(cluster.primary)``); reads to
    ``read_connection(cluster)`` or ``await cluster.read(fn)``. Close it (or use
    ``async with``) to close every pool.
    """

    def __init__(
        self,
        primary: AsyncConnectionPool,
        replicas: Sequence[tuple[str, AsyncConnectionPool]] = (),
        *,
        max_lag: float = 5.0,
        wait: float = 0.5,
        check_interval: float = CHECK_INTERVAL,
        retry_interval: float = RETRY_INTERVAL,
        checkout_timeout: float = CHECKOUT_TIMEOUT,
    ) -> None:
        for name, value in (
            ("max_lag", max_lag),
            ("check_interval", check_interval),
            ("retry_interval", retry_interval),
            ("checkout_timeout", checkout_timeout),
        ):
            if not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise ValidationError(f"{name}: must be a finite number of seconds > 0")
        self.primary = primary
        self.max_lag = max_lag
        self.wait = _check_wait(wait, 0.0)
        self.check_interval = check_interval
        self.retry_interval = retry_interval
        self.checkout_timeout = checkout_timeout
        self._replicas = [_Replica(url, pool) for url, pool in replicas]
        self._next = 0
        self.primary_reads = 0
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def close(self) -> None:
        self._closed = True
        for r in self._replicas:
            if r.probe is not None:
                r.probe.cancel()
        for r in self._replicas:
            if r.probe is not None:
                await asyncio.gather(r.probe, return_exceptions=True)
            await r.pool.close()
        await self.primary.close()

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def replicas(self) -> list[ReplicaStatus]:
        """Each replica's health, lag and reads served, in configuration order."""
        return [r.status() for r in self._replicas]

    # -- read-your-writes ----------------------------------------------------------------------

    async def write_lsn(self) -> Lsn:
        """The primary's WAL position now. Taken after a commit, a replica that has replayed
        it sees that commit: pass it as ``after=`` to a read."""
        async with connection(self.primary) as conn:
            return await _in_autocommit(conn, wal_position)  # one round trip, no BEGIN

    # -- routing -----------------------------------------------------------------------------

    def _candidates(self) -> list[_Replica]:
        n = len(self._replicas)
        start, self._next = self._next, (self._next + 1) % n
        ordered = self._replicas[start:] + self._replicas[:start]
        return [r for r in ordered if r.health == "up"]

    async def _lease(
        self, stack: AsyncExitStack, after: Lsn | None, wait: float
    ) -> tuple[_Replica, AsyncConnection[Any]] | None:
        """A connection of a replica that is up, within the lag bound and (with ``after``)
        has replayed that far; None sends the read to the primary."""
        deadline = time.monotonic() + wait
        for replica in self._candidates():
            inner = AsyncExitStack()
            try:
                conn = await inner.enter_async_context(
                    replica.pool.connection(timeout=self.checkout_timeout)
                )
                fresh = await self._fresh(replica, conn, after, deadline)
            except PoolTimeout:
                await inner.aclose()
                if replica.lent >= replica.pool.max_size:
                    continue  # busy, not broken: this read goes elsewhere
                self._mark(replica, "down", f"no connection within {self.checkout_timeout:g}s")
                continue
            except (psycopg.OperationalError, DatabaseUnavailable) as exc:
                await _discard(inner)
                self._mark(replica, "down", _reason(exc))
                continue
            except BaseException:
                await _discard(inner)
                raise
            if not fresh:
                await inner.aclose()
                if after is not None and replica.health == "up":
                    return None  # not replayed within the wait: the primary has it
                continue
            replica.lent += 1
            stack.push_async_callback(_release, replica, inner)
            replica.reads += 1
            return replica, conn
        return None

    async def _fresh(
        self,
        replica: _Replica,
        conn: AsyncConnection[Any],
        after: Lsn | None,
        deadline: float,
    ) -> bool:
        """Whether this replica may serve the read: lag (checked once per interval) within
        the bound, and ``after`` replayed, polled until the deadline."""
        now = time.monotonic()
        if now - replica.checked >= self.check_interval:
            replica.checked = now  # one check per interval, however many reads wait on it
            row = await _in_autocommit(conn, _health)
            if not self._judge(replica, row):
                return False
        if after is None or (replica.replayed is not None and replica.replayed >= after):
            return True
        pause = _POLL_FIRST
        while True:
            text = await _in_autocommit(conn, _replayed)
            if text is not None:
                replica.replayed = max(replica.replayed or Lsn(0), Lsn.parse(text))
                if replica.replayed >= after:
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, _POLL_MAX)

    def _judge(self, replica: _Replica, row: dict[str, Any]) -> bool:
        state = _standby(row)
        if state is None:
            self._mark(replica, "not a standby", "not in recovery (a primary, or promoted)")
            return False
        replica.lag = state.lag
        if state.replayed is not None:
            replica.replayed = max(replica.replayed or Lsn(0), state.replayed)
        if state.lag is None or state.lag > self.max_lag:
            lag = "unknown" if state.lag is None else f"{state.lag:.1f}s"
            self._mark(replica, "lagging", f"lag {lag} over the {self.max_lag:g}s bound")
            return False
        return True

    def _mark(self, replica: _Replica, health: Health, reason: str) -> None:
        """Take a replica out of rotation and start its probe (once)."""
        if replica.health == "up":
            log.warning("replica %s skipped: %s", replica.where, reason)
        replica.health, replica.reason = health, reason
        if health == "down":
            replica.replayed = None  # a server rebuilt from an older backup replays from there
        if replica.probe is None and not self._closed:
            replica.probe = asyncio.create_task(self._probe(replica))

    async def _probe(self, replica: _Replica) -> None:
        """Every retry interval, in the background: is the replica back, and fresh?"""
        try:
            while not self._closed:
                await asyncio.sleep(self.retry_interval)
                try:
                    async with replica.pool.connection(timeout=self.checkout_timeout) as conn:
                        row = await _in_autocommit(conn, _health)
                except (PoolTimeout, psycopg.Error, DatabaseUnavailable) as exc:
                    replica.reason = (
                        _reason(exc)
                        if not isinstance(exc, PoolTimeout)
                        else (f"no connection within {self.checkout_timeout:g}s")
                    )
                    continue
                state = _standby(row)
                if state is not None:
                    replica.lag = state.lag
                if state is None or state.lag is None or state.lag > self.max_lag:
                    continue
                replica.lag, replica.checked = state.lag, time.monotonic()
                replica.health, replica.reason = "up", None
                log.warning("replica %s is back (lag %.1fs)", replica.where, state.lag)
                return
        finally:
            replica.probe = None

    # -- reading -----------------------------------------------------------------------------

    def read_connection(
        self, *, after: Lsn | str | None = None, wait: float | None = None
    ) -> AbstractAsyncContextManager[AsyncConnection[Any]]:
        """A connection for read-only work: a fresh replica's, else the primary's.

        One transaction, committed on success, as ``connection()``. ``after``: a WAL position
        from ``write_lsn()``; the replica must have replayed it within ``wait`` seconds
        (default ROBOCO_DATABASE_REPLICA_WAIT), else the primary serves. A replica that drops
        mid-call raises DatabaseUnavailable naming it (``read()`` retries on the primary).
        With no replica this is ``connection(cluster.primary)`` itself: nothing added.
        """
        target = _as_lsn(after)
        limit = _check_wait(wait, self.wait)
        if not self._replicas:
            return connection(self.primary)
        return self._routed(target, limit)

    @asynccontextmanager
    async def _routed(
        self, target: Lsn | None, limit: float
    ) -> AsyncIterator[AsyncConnection[Any]]:
        leased: tuple[_Replica, AsyncConnection[Any]] | None = None
        try:
            async with AsyncExitStack() as stack:
                leased = await self._lease(stack, target, limit)
                if leased is None:
                    self.primary_reads += 1
                    yield await stack.enter_async_context(connection(self.primary))
                    return
                yield leased[1]
        except psycopg.OperationalError as exc:
            # the loss can surface in the caller's statement or only when the transaction
            # is committed on the way out: both are the replica failing mid-call
            if leased is None:
                raise
            replica, conn = leased
            if not _link_lost(conn, exc) and not _recovery_conflict(exc):
                raise
            if _link_lost(conn, exc):
                self._mark(replica, "down", _reason(exc))
            raise _ReplicaLost(f"replica {replica.where} failed mid-call: {_reason(exc)}") from None

    async def read(
        self,
        fn: Callable[[AsyncConnection[Any]], Awaitable[T]],
        *,
        after: Lsn | str | None = None,
        wait: float | None = None,
    ) -> T:
        """``await fn(conn)`` on a read connection; when its replica drops mid-call (or a
        replay conflict cancels it), once more on the primary. Reads are safe to repeat."""
        if not callable(fn):
            raise ValidationError("fn: expected an async function of a connection")
        try:
            async with self.read_connection(after=after, wait=wait) as conn:
                return await fn(conn)
        except _ReplicaLost:
            self.primary_reads += 1
            async with connection(self.primary) as conn:
                return await fn(conn)


async def _release(replica: _Replica, stack: AsyncExitStack) -> None:
    replica.lent -= 1
    await stack.aclose()


def _recovery_conflict(exc: psycopg.Error) -> bool:
    """A standby cancelled the query because replay needed what it held (40001)."""
    return isinstance(exc, pgerr.SerializationFailure) and "recovery" in _reason(exc)


async def _discard(stack: AsyncExitStack) -> None:
    """Give a failed connection back to its pool, which drops it if broken."""
    with suppress(psycopg.Error, PoolTimeout):
        await stack.aclose()


async def _in_autocommit(
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


async def _health(conn: AsyncConnection[Any]) -> dict[str, Any]:
    from roboco_sql.queries import fetch_one

    row = await fetch_one(conn, _q("replica_health"), dict_row)
    assert row is not None
    return row


async def _replayed(conn: AsyncConnection[Any]) -> str | None:
    from roboco_sql.queries import fetch_scalar

    return await fetch_scalar(conn, _q("replica_replayed"), str)


async def wal_position(conn: AsyncConnection[Any]) -> Lsn:
    """The primary's WAL insert position, read on ``conn`` (after your commit)."""
    if not isinstance(conn, AsyncConnection):
        raise ValidationError(f"conn: expected an AsyncConnection, got {type(conn).__name__}")
    from roboco_sql.queries import fetch_scalar

    text = await fetch_scalar(conn, _q("primary_wal_position"), str)
    assert text is not None
    return Lsn.parse(text)


# -- opening -----------------------------------------------------------------------------------


async def open_cluster(
    url: str | None = None,
    settings: Settings | None = None,
    *,
    replica_urls: Sequence[str] | None = None,
    min_size: int | None = None,
    max_size: int | None = None,
    check_interval: float = CHECK_INTERVAL,
    retry_interval: float = RETRY_INTERVAL,
    checkout_timeout: float = CHECKOUT_TIMEOUT,
) -> Cluster:
    """Open the primary's pool (waiting for it, as ``open_pool``) and one per replica
    (ROBOCO_DATABASE_REPLICA_URLS, or ``replica_urls``), without waiting: a replica that is
    down at startup is skipped until it answers."""
    settings = settings or Settings.from_env()
    if replica_urls is not None and (
        isinstance(replica_urls, str) or not all(isinstance(u, str) for u in replica_urls)
    ):
        raise ValidationError("replica_urls: expected a list of URLs")
    urls = [
        normalize_url(u) for u in (settings.replica_urls if replica_urls is None else replica_urls)
    ]
    primary = await open_pool(
        url or resolve_url(settings), settings, min_size=min_size, max_size=max_size
    )
    pools: list[tuple[str, AsyncConnectionPool]] = []
    try:
        for number, replica in enumerate(urls, 1):
            pool = make_pool(
                replica,
                settings,
                min_size=min_size,
                max_size=max_size,
                connect_timeout=CONNECT_TIMEOUT,
                name=f"roboco_sql replica {number}",
            )
            await pool.open(wait=False)
            pools.append((replica, pool))
        return Cluster(
            primary,
            pools,
            max_lag=settings.replica_max_lag,
            wait=settings.replica_wait,
            check_interval=check_interval,
            retry_interval=retry_interval,
            checkout_timeout=checkout_timeout,
        )
    except BaseException:
        for _, pool in pools:
            await pool.close()
        await primary.close()
        raise


def read_connection(
    cluster: Cluster, *, after: Lsn | str | None = None, wait: float | None = None
) -> AbstractAsyncContextManager[AsyncConnection[Any]]:
    """``cluster.read_connection(...)``, beside ``connection(pool)`` for writes."""
    if not isinstance(cluster, Cluster):
        raise ValidationError(
            f"cluster: expected a Cluster (open_cluster()), got {type(cluster).__name__}"
        )
    return cluster.read_connection(after=after, wait=wait)
