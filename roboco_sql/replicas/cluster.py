"""The Cluster: writes to the primary, reads routed to a fresh replica, and how it is opened.

A read that its replica fails mid-call surfaces as DatabaseUnavailable naming the replica
(``read_connection``); ``read()`` runs it once more on the primary, since reads are safe to
repeat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg import errors as pgerr
from psycopg_pool import AsyncConnectionPool

from roboco_sql.config import Settings, normalize_url
from roboco_sql.db import _link_lost, connection, make_pool, open_pool, resolve_url
from roboco_sql.errors import DatabaseUnavailable, ValidationError
from roboco_sql.replicas.lsn import Lsn, as_lsn, check_wait
from roboco_sql.replicas.replica_set import (
    CHECK_INTERVAL,
    CHECKOUT_TIMEOUT,
    RETRY_INTERVAL,
    Replica,
    ReplicaSet,
    ReplicaStatus,
    first_line,
)
from roboco_sql.replicas.standby import in_autocommit, wal_position

T = TypeVar("T")

CONNECT_TIMEOUT = 2
"""libpq's connect_timeout for replica connections, in seconds (2 is the least it honours)."""


class _ReplicaLost(DatabaseUnavailable):
    """A replica failed under a read; ``read()`` runs the read again on the primary."""


def _recovery_conflict(exc: psycopg.Error) -> bool:
    """A standby cancelled the query because replay needed what it held (40001)."""
    return isinstance(exc, pgerr.SerializationFailure) and "recovery" in first_line(exc)


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
        self._set = ReplicaSet(
            replicas,
            max_lag=max_lag,
            check_interval=check_interval,
            retry_interval=retry_interval,
            checkout_timeout=checkout_timeout,
        )
        self.primary = primary
        self.wait = check_wait(wait, 0.0)
        self.primary_reads = 0

    async def close(self) -> None:
        await self._set.close()
        await self.primary.close()

    async def __aenter__(self) -> Cluster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def replicas(self) -> list[ReplicaStatus]:
        """Each replica's health, lag and reads served, in configuration order."""
        return [r.status() for r in self._set.members]

    async def write_lsn(self) -> Lsn:
        """The primary's WAL position now. Taken after a commit, a replica that has replayed
        it sees that commit: pass it as ``after=`` to a read."""
        async with connection(self.primary) as conn:
            return await in_autocommit(conn, wal_position)  # one round trip, no BEGIN

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
        target = as_lsn(after)
        limit = check_wait(wait, self.wait)
        if not self._set.members:
            return connection(self.primary)
        return self._routed(target, limit)

    @asynccontextmanager
    async def _routed(
        self, target: Lsn | None, limit: float
    ) -> AsyncIterator[AsyncConnection[Any]]:
        leased: tuple[Replica, AsyncConnection[Any]] | None = None
        try:
            async with AsyncExitStack() as stack:
                leased = await self._set.lease(stack, target, limit)
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
                self._set.mark(replica, "down", first_line(exc))
            raise _ReplicaLost(
                f"replica {replica.where} failed mid-call: {first_line(exc)}"
            ) from None

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
