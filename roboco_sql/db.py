"""Connections: which server, one-line connection errors, and the async pool."""

from __future__ import annotations

import logging
import re
import sys
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from roboco_sql.config import Settings, describe
from roboco_sql.errors import DatabaseUnavailable
from roboco_sql.redact import check_url, install_log_filter, redact

if TYPE_CHECKING:  # the pool functions import psycopg_pool when called: a migrate opens none
    from psycopg_pool import AsyncConnectionPool

log = logging.getLogger("roboco_sql")
install_log_filter()  # the pool logs connection errors, whose text may quote the URL

_URL_NAME = "the database URL"

_announced: set[str] = set()


def _announce_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def resolve_url(
    settings: Settings | None = None,
    *,
    announce: Callable[[str], None] | None = _announce_stderr,
) -> str:
    """The server this process talks to: the configured one, else the embedded default.

    The first call per server says which one is in use, once per process.
    """
    settings = settings or Settings.from_env()
    url = settings.configured_url()
    if url is None:
        from roboco_sql import embedded  # only when no server is configured

        url = embedded.ensure_running(settings.embedded_dir)
        message = f"using the embedded PostgreSQL {embedded.MAJOR} in {settings.embedded_dir}"
    else:
        message = f"using PostgreSQL at {describe(url)}"
    if announce is not None and url not in _announced:
        _announced.add(url)
        announce(message)
    return url


_REASONS = (
    (
        re.compile(r"password authentication failed for user \"([^\"]*)\""),
        "password authentication failed for user {0}",
    ),
    (re.compile(r"database \"([^\"]*)\" does not exist"), "database {0} does not exist"),
    (re.compile(r"role \"([^\"]*)\" does not exist"), "role {0} does not exist"),
    (re.compile(r"Connection refused"), "connection refused (is the server running?)"),
    (re.compile(r"No such file or directory"), "no server socket (is the server running?)"),
    (re.compile(r"timeout expired"), "connection timed out"),
    (re.compile(r"could not translate host name \"([^\"]*)\""), "unknown host {0}"),
    (re.compile(r"no password supplied"), "the server wants a password and none was given"),
)


def unavailable(url: str, exc: BaseException) -> DatabaseUnavailable:
    """A one-line error naming host, port and database, never the password."""
    text = str(exc)
    for pattern, template in _REASONS:
        match = pattern.search(text)
        if match:
            reason = template.format(*match.groups())
            break
    else:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        reason = lines[-1] if lines else type(exc).__name__
    return DatabaseUnavailable(redact(f"cannot connect to {describe(url)}: {reason}", url))


def connect(
    url: str,
    *,
    autocommit: bool = False,
    application_name: str = "roboco_sql",
    connect_timeout: int = 10,
) -> psycopg.Connection[TupleRow]:
    """A direct synchronous connection (the migration runner's own, never a pooled one).

    A malformed URL is a ConfigError and any failure to connect a DatabaseUnavailable, both
    without the password (psycopg's own errors quote the URL) and never chained to them."""
    check_url(_URL_NAME, url)
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            application_name=application_name,
            connect_timeout=connect_timeout,
        )
    except psycopg.Error as exc:
        raise unavailable(url, exc) from None


async def connect_async(
    url: str, *, autocommit: bool = False, connect_timeout: int = 10
) -> AsyncConnection[TupleRow]:
    """connect(), for async callers: the same errors, the same redaction."""
    check_url(_URL_NAME, url)
    try:
        return await AsyncConnection.connect(
            url,
            autocommit=autocommit,
            connect_timeout=connect_timeout,
            application_name="roboco_sql",
        )
    except psycopg.Error as exc:
        raise unavailable(url, exc) from None


async def _register_vector(conn: AsyncConnection[TupleRow]) -> None:
    """Teach the connection pgvector's types, where the extension is installed."""
    cur = await conn.execute("SELECT 1 FROM pg_type WHERE typname = 'vector'")
    found = await cur.fetchone() is not None
    await conn.rollback()  # leave the connection idle, as the pool requires
    if found:
        from pgvector.psycopg import register_vector_async

        await register_vector_async(conn)
        await conn.rollback()


def make_pool(
    url: str,
    settings: Settings | None = None,
    *,
    min_size: int | None = None,
    max_size: int | None = None,
    connect_timeout: int = 10,
    name: str = "roboco_sql",
) -> AsyncConnectionPool:
    """An unopened pool; open it with ``await open_pool(...)`` or ``async with``.

    Connections are health-checked on checkout, get pgvector's types where the extension
    exists, and skip server-side prepared statements when ROBOCO_DATABASE_PREPARED_STATEMENTS
    is false (needed behind PgBouncer in transaction mode).
    """
    from psycopg_pool import AsyncConnectionPool

    check_url(_URL_NAME, url)  # before the pool's workers log a parse error quoting it
    settings = settings or Settings.from_env()
    kwargs: dict[str, object] = {
        "application_name": "roboco_sql",
        "connect_timeout": connect_timeout,
    }
    if not settings.prepared_statements:
        kwargs["prepare_threshold"] = None
    return AsyncConnectionPool(
        url,
        min_size=settings.pool_min_size if min_size is None else min_size,
        max_size=settings.pool_max_size if max_size is None else max_size,
        timeout=settings.pool_timeout,
        kwargs=kwargs,
        configure=_register_vector,
        check=AsyncConnectionPool.check_connection,
        open=False,
        name=name,
    )


async def open_pool(
    url: str | None = None,
    settings: Settings | None = None,
    *,
    min_size: int | None = None,
    max_size: int | None = None,
) -> AsyncConnectionPool:
    """Open a pool and wait until its minimum of connections is up."""
    from psycopg_pool import PoolTimeout

    settings = settings or Settings.from_env()
    url = resolve_url(settings) if url is None else url  # "" is refused, not the embedded one
    pool = make_pool(url, settings, min_size=min_size, max_size=max_size)
    try:
        await pool.open(wait=True, timeout=settings.pool_timeout)
    except PoolTimeout:
        await pool.close()
        # one direct attempt turns "pool timed out" into the server's real reason
        conn = await connect_async(url)
        await conn.close()
        raise DatabaseUnavailable(
            f"cannot connect to {describe(url)}: pool did not fill in {settings.pool_timeout:g}s"
        ) from None
    return pool


_checked_out: weakref.WeakKeyDictionary[AsyncConnectionPool, int] = weakref.WeakKeyDictionary()
"""Connections each pool has lent through connection(), to tell exhaustion from a dead server."""


def _pool_target(pool: AsyncConnectionPool) -> str:
    return describe(pool.conninfo) if isinstance(pool.conninfo, str) else f"pool {pool.name}"


def _link_lost(conn: AsyncConnection[Any] | None, exc: psycopg.OperationalError) -> bool:
    """The error is the connection going away (server restart, network), not a query's own
    failure such as a lock timeout or a cancel, which stay as they are."""
    state = exc.sqlstate or ""
    return (
        (conn is not None and conn.broken)
        or state.startswith("08")
        or state in ("57P01", "57P02", "57P03")
    )


@asynccontextmanager
async def connection(
    pool: AsyncConnectionPool, timeout: float | None = None
) -> AsyncIterator[AsyncConnection[Any]]:
    """A pooled connection, as ``pool.connection()`` gives it (one transaction, committed on
    success, rolled back on error), with the pool's and the link's failures as one-line
    DatabaseUnavailable errors instead of psycopg_pool / psycopg ones:

    - no connection free within the timeout: "pool exhausted: all N connections busy for Xs"
      when every connection is checked out, else "no connection within Xs" (server down);
    - the connection dropped mid-call (server restart, network): "lost the connection ...";
      whether a commit in flight at that moment landed is unknown, so retry idempotently.
    """
    from psycopg_pool import PoolTimeout

    wait = pool.timeout if timeout is None else timeout
    conn: AsyncConnection[Any] | None = None
    started = time.monotonic()
    try:
        async with pool.connection(timeout=wait) as conn:
            _checked_out[pool] = _checked_out.get(pool, 0) + 1
            try:
                yield conn
            finally:
                _checked_out[pool] -= 1
    except PoolTimeout:
        if conn is not None:
            raise  # the body's own business (another pool), not our checkout
        waited = time.monotonic() - started
        busy = _checked_out.get(pool, 0)
        if busy >= pool.max_size:
            reason = f"pool exhausted: all {busy} connections busy for {waited:.1f}s"
        else:
            # the pool counts connections it keeps failing to open as taken, so say which
            reason = (
                f"no connection within {waited:.1f}s ({busy} of {pool.max_size} checked out; "
                "is the server running?)"
            )
        raise DatabaseUnavailable(f"{_pool_target(pool)}: {reason}") from None
    except psycopg.OperationalError as exc:
        if not _link_lost(conn, exc):
            raise
        text = (exc.diag.message_primary or str(exc)).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
        raise DatabaseUnavailable(
            f"lost the connection to {_pool_target(pool)} mid-call: {reason}"
        ) from None
