"""The replicas behind a Cluster: a pool each, their health, and which one lends the next read.

A replica is taken out of rotation when it gives no connection in time (down), fails under a
check (down), reports lag past the bound (lagging) or is no standby at all; a background probe
then asks it again every retry interval and puts it back once it answers within the bound.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from roboco_sql.config import describe
from roboco_sql.errors import DatabaseUnavailable, ValidationError
from roboco_sql.replicas import standby
from roboco_sql.replicas.lsn import Lsn

log = logging.getLogger("roboco_sql")

CHECK_INTERVAL = 1.0
"""Seconds between two lag checks of a replica that serves reads."""
RETRY_INTERVAL = 5.0
"""Seconds a replica found down or lagging is left alone before the next probe."""
CHECKOUT_TIMEOUT = 1.0
"""A replica that lends no connection within this many seconds is skipped (and probed)."""
_POLL_FIRST, _POLL_MAX = 0.001, 0.025  # read-your-writes polling: 1 ms, doubling to 25 ms

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


class Replica:
    """One hot standby's pool and what the router last learnt of it."""

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


def first_line(exc: BaseException) -> str:
    """The first line of what went wrong, for a log line and ``ReplicaStatus.reason``."""
    text = (
        exc.diag.message_primary if isinstance(exc, psycopg.Error) and exc.diag else None
    ) or str(exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


class ReplicaSet:
    """The replicas in configuration order, their health, round robin and background probes."""

    def __init__(
        self,
        replicas: Sequence[tuple[str, AsyncConnectionPool]],
        *,
        max_lag: float,
        check_interval: float,
        retry_interval: float,
        checkout_timeout: float,
    ) -> None:
        for name, value in (
            ("max_lag", max_lag),
            ("check_interval", check_interval),
            ("retry_interval", retry_interval),
            ("checkout_timeout", checkout_timeout),
        ):
            if not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise ValidationError(f"{name}: must be a finite number of seconds > 0")
        self.max_lag = max_lag
        self.check_interval = check_interval
        self.retry_interval = retry_interval
        self.checkout_timeout = checkout_timeout
        self.members = [Replica(url, pool) for url, pool in replicas]
        self._next = 0
        self._closed = False

    async def close(self) -> None:
        """Stop every probe, then close every replica's pool."""
        self._closed = True
        for r in self.members:
            if r.probe is not None:
                r.probe.cancel()
        for r in self.members:
            if r.probe is not None:
                await asyncio.gather(r.probe, return_exceptions=True)
            await r.pool.close()

    def _candidates(self) -> list[Replica]:
        n = len(self.members)
        start, self._next = self._next, (self._next + 1) % n
        ordered = self.members[start:] + self.members[:start]
        return [r for r in ordered if r.health == "up"]

    async def lease(
        self, stack: AsyncExitStack, after: Lsn | None, wait: float
    ) -> tuple[Replica, AsyncConnection[Any]] | None:
        """A connection of a replica that is up, within the lag bound and (with ``after``)
        has replayed that far, given back when ``stack`` closes; None sends the read to the
        primary."""
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
                self.mark(replica, "down", f"no connection within {self.checkout_timeout:g}s")
                continue
            except (psycopg.OperationalError, DatabaseUnavailable) as exc:
                await _discard(inner)
                self.mark(replica, "down", first_line(exc))
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
        replica: Replica,
        conn: AsyncConnection[Any],
        after: Lsn | None,
        deadline: float,
    ) -> bool:
        """Whether this replica may serve the read: lag (checked once per interval) within
        the bound, and ``after`` replayed, polled until the deadline."""
        now = time.monotonic()
        if now - replica.checked >= self.check_interval:
            replica.checked = now  # one check per interval, however many reads wait on it
            row = await standby.in_autocommit(conn, standby.health)
            if not self._judge(replica, row):
                return False
        if after is None or (replica.replayed is not None and replica.replayed >= after):
            return True
        pause = _POLL_FIRST
        while True:
            text = await standby.in_autocommit(conn, standby.replayed)
            if text is not None:
                replica.replayed = max(replica.replayed or Lsn(0), Lsn.parse(text))
                if replica.replayed >= after:
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, _POLL_MAX)

    def _judge(self, replica: Replica, row: dict[str, Any]) -> bool:
        state = standby.read_state(row)
        if state is None:
            self.mark(replica, "not a standby", "not in recovery (a primary, or promoted)")
            return False
        replica.lag = state.lag
        if state.replayed is not None:
            replica.replayed = max(replica.replayed or Lsn(0), state.replayed)
        if state.lag is None or state.lag > self.max_lag:
            lag = "unknown" if state.lag is None else f"{state.lag:.1f}s"
            self.mark(replica, "lagging", f"lag {lag} over the {self.max_lag:g}s bound")
            return False
        return True

    def mark(self, replica: Replica, health: Health, reason: str) -> None:
        """Take a replica out of rotation and start its probe (once)."""
        if replica.health == "up":
            log.warning("replica %s skipped: %s", replica.where, reason)
        replica.health, replica.reason = health, reason
        if health == "down":
            replica.replayed = None  # a server rebuilt from an older backup replays from there
        if replica.probe is None and not self._closed:
            replica.probe = asyncio.create_task(self._probe(replica))

    async def _probe(self, replica: Replica) -> None:
        """Every retry interval, in the background: is the replica back, and fresh?"""
        try:
            while not self._closed:
                await asyncio.sleep(self.retry_interval)
                try:
                    async with replica.pool.connection(timeout=self.checkout_timeout) as conn:
                        row = await standby.in_autocommit(conn, standby.health)
                except (PoolTimeout, psycopg.Error, DatabaseUnavailable) as exc:
                    replica.reason = (
                        first_line(exc)
                        if not isinstance(exc, PoolTimeout)
                        else (f"no connection within {self.checkout_timeout:g}s")
                    )
                    continue
                state = standby.read_state(row)
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


async def _release(replica: Replica, stack: AsyncExitStack) -> None:
    replica.lent -= 1
    await stack.aclose()


async def _discard(stack: AsyncExitStack) -> None:
    """Give a failed connection back to its pool, which drops it if broken."""
    with suppress(psycopg.Error, PoolTimeout):
        await stack.aclose()
