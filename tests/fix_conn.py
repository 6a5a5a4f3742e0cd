"""The connection, row count and refusal check the repository tests share.

Autocommit, so what a refused call leaves behind (or does not) is really there to count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

Conn = AsyncConnection[Any]


@asynccontextmanager
async def autocommit(url: str) -> AsyncIterator[Conn]:
    """A connection of its own in autocommit mode, closed at the end."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as c:
        yield c


@pytest.fixture(name="conn")
async def autocommit_conn(db_url: str) -> AsyncIterator[Conn]:
    """The `conn` fixture of the test modules that import it: a database at head, autocommit."""
    async with autocommit(db_url) as c:
        yield c


async def count(conn: Conn, table: str) -> int:
    """How many rows `table` holds (a literal of the test's, never input)."""
    cur = await conn.execute(f"SELECT count(*) FROM {table}")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


@asynccontextmanager
async def refused(conn: Conn, error: type[Exception], match: str) -> AsyncIterator[None]:
    """The block must raise `error` matching `match`; it runs in a transaction of its own (a
    savepoint inside an open one), so the connection stays usable after the refusal."""
    with pytest.raises(error, match=match):
        async with conn.transaction():
            yield
