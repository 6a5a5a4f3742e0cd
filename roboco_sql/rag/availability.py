"""Whether the knowledge base can run here; without pgvector it switches itself off.

Every call goes through :func:`require` before touching anything: without pgvector (or with
one too old for HNSW) it raises :class:`~roboco_sql.errors.RagDisabled` with the reason. The
server's errors about the chunk tables are turned into roboco_sql's one-line errors here too.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from typing import Any, Final

from pgvector.psycopg import register_vector_async
from psycopg import AsyncConnection
from psycopg import errors as pgerr
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from roboco_sql import queries
from roboco_sql.errors import NotFound, RagDisabled
from roboco_sql.rag.model import Db, DimensionMismatch, RagStatus

_HNSW_SINCE: Final = (0, 5, 0)
_Q = queries.load()


@asynccontextmanager
async def connection(db: Db) -> AsyncIterator[AsyncConnection[Any]]:
    """The caller's connection as it is, or one borrowed from the pool for the block."""
    if isinstance(db, AsyncConnectionPool):
        async with db.connection() as conn:
            yield conn
    else:
        yield db


# Per connection: the pgvector version found when its types were registered. Connections are
# long-lived (pools keep them), so the guard costs one catalog read per connection, not per call.
ready: weakref.WeakKeyDictionary[AsyncConnection[Any], tuple[int, ...]] = (
    weakref.WeakKeyDictionary()
)


def version_of(text: str) -> tuple[int, ...]:
    """ "0.8.0" -> (0, 8, 0), for comparing pgvector versions."""
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


async def read_status(conn: AsyncConnection[Any]) -> tuple[RagStatus, bool]:
    """The status without side effects, and whether the server could install pgvector."""
    row = await queries.fetch_one(conn, _Q["rag_pgvector_status"], dict_row)
    assert row is not None
    installed: str | None = row["installed"]
    available: bool = row["available"]
    if installed:
        if version_of(installed) < _HNSW_SINCE:
            return RagStatus(
                enabled=False,
                reason=f"pgvector {installed} is too old: HNSW indexes need 0.5.0 or later",
                version=installed,
            ), available
        return RagStatus(enabled=True, version=installed), available
    if not available:
        return RagStatus(enabled=False, reason="pgvector is not installed on the server"), False
    return RagStatus(
        enabled=False,
        reason="pgvector is not created in this database (migrate or rag.ensure_indexes() "
        "creates it)",
    ), True


def refuse(status: RagStatus) -> None:
    """RagDisabled with the status's reason, unless the status is enabled."""
    if not status.enabled:
        raise RagDisabled(f"RAG is disabled: {status.reason}")


async def require(conn: AsyncConnection[Any]) -> tuple[int, ...]:
    """Raise RagDisabled unless pgvector is here; teach the connection its types once."""
    version = ready.get(conn)
    if version is not None:
        return version
    status, _ = await read_status(conn)
    refuse(status)
    assert status.version is not None
    await register_vector_async(conn)
    version = ready[conn] = version_of(status.version)
    return version


@asynccontextmanager
async def opened(
    db: Db, table: str, *, atomic: bool = False
) -> AsyncIterator[AsyncConnection[Any]]:
    """A connection checked for pgvector, for statements over `table`; with `atomic`, inside a
    transaction (a savepoint of the caller's). The server's errors, a failed commit's too,
    come out translated."""
    with translated(table):
        async with connection(db) as conn, queries.atomic(conn) if atomic else nullcontext():
            await require(conn)
            yield conn


_DIMS = re.compile(
    r"different vector dimensions (\d+) and (\d+)|expected (\d+) dimensions, not (\d+)"
)
_RELATION = re.compile(r'relation "([^"]+)" does not exist')


@contextmanager
def translated(table: str, query_dims: int | None = None) -> Iterator[None]:
    """Turn the server's errors about our tables into roboco_sql's one-line errors."""
    try:
        yield
    except pgerr.UndefinedTable as exc:
        m = _RELATION.search(str(exc))
        name = m.group(1) if m else table
        raise NotFound(f"{name} does not exist: run rag.ensure_indexes() first") from exc
    except pgerr.DataException as exc:
        m = _DIMS.search(str(exc))
        if m is None:
            raise
        if m.group(3):  # "expected <column's> dimensions, not <value's>"
            have, got = int(m.group(3)), int(m.group(4))
        else:  # "different vector dimensions a and b": operand order depends on the plan
            a, b = int(m.group(1)), int(m.group(2))
            got = query_dims if query_dims in (a, b) else b
            have = a if got == b else b
        raise DimensionMismatch(
            table, have, got, f"{table} holds {have}-dimension embeddings; got one of {got}"
        ) from exc
    except (pgerr.UndefinedObject, pgerr.UndefinedFunction) as exc:
        why = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
        if "vector" not in why:
            raise
        ready.clear()  # every connection checks again on its next call
        raise RagDisabled(
            f"RAG is disabled: pgvector was removed from the database ({why})"
        ) from exc


async def rag_status(db: Db) -> RagStatus:
    """Whether RAG can run on this database and, when not, the one-line reason. No side effects."""
    async with connection(db) as conn:
        status, _ = await read_status(conn)
        return status


async def rag_enabled(db: Db) -> bool:
    """True when pgvector (0.5 or later, for HNSW) is installed in this database."""
    return (await rag_status(db)).enabled
