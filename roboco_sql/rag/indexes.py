"""Creating the chunk tables and their indexes, or adopting RoboCo's as they are.

RoboCo keeps one chunk table per index type, created at runtime (never by the chain), with an
IVFFlat index built on the empty table. Here the same tables are created (or adopted with their
rows and ids) and indexed with HNSW over cosine distance instead; RoboCo's IVFFlat index is
dropped once the HNSW one is built concurrently.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Final

import psycopg
from psycopg import AsyncConnection, pq
from psycopg import errors as pgerr
from psycopg.rows import dict_row

from roboco_sql import queries
from roboco_sql.config import Settings
from roboco_sql.errors import Conflict, ValidationError
from roboco_sql.models.knowledge import IndexType
from roboco_sql.rag.availability import connection, read_status, ready, refuse, require
from roboco_sql.rag.checks import chunk_table, kind
from roboco_sql.rag.limits import ACTIVE_TYPES, HNSW_MAX_DIMENSIONS
from roboco_sql.rag.model import ChunkTable, Db, DimensionMismatch, RagStatus
from roboco_sql.rag.statements import drop_index, index_ddl, index_name, stmt

_LOCK_KEY: Final = 0x7261675F726F62  # "rag_rob"; not the migration runner's key
_REQUIRED: Final = {"content": "text", "source": "text", "embedding": "vector", "metadata": "jsonb"}
_Q = queries.load()


async def ensure_indexes(
    db: Db,
    dimensions: int | None = None,
    types: Iterable[IndexType | str] = ACTIVE_TYPES,
    *,
    hnsw: bool = True,
) -> list[ChunkTable]:
    """Create the missing chunk tables and indexes; adopt RoboCo's existing ones in place.

    A new table gets RoboCo's exact columns (``dimensions`` defaults to the setting
    ROBOCO_EMBEDDING_DIMENSIONS) with an HNSW cosine index, the GIN index on ``tsv`` and a btree
    on ``source``. An existing table keeps every row and id: missing indexes are built with
    CREATE INDEX CONCURRENTLY (writers go on), and RoboCo's IVFFlat index is dropped once the
    HNSW index is valid. Creates the pgvector extension where the server has it. Runs under an
    advisory lock, so concurrent callers take turns; idempotent. Needs a pool or an idle
    connection (concurrent builds cannot run inside a transaction).

    ``hnsw=False`` leaves the vector index out, for a first bulk load: building HNSW once over
    loaded rows is several times faster than growing it row by row; call again to build it.
    """
    dims = Settings.from_env().embedding_dimensions if dimensions is None else dimensions
    if not 1 <= dims <= HNSW_MAX_DIMENSIONS:
        raise ValidationError(
            f"embedding dimensions must be between 1 and {HNSW_MAX_DIMENSIONS} "
            f"(HNSW's limit for vector), got {dims}"
        )
    kinds = list(dict.fromkeys(kind(t) for t in types))
    async with connection(db) as conn:
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            refuse((await read_status(conn))[0])  # a read; the caller's transaction goes on
            raise ValidationError(
                "ensure_indexes() needs a pool or an idle connection: it builds indexes "
                "concurrently, which cannot happen inside a transaction"
            )
        async with _autocommit(conn):
            await _enable(conn)
            await _lock(conn)
            try:
                return [await _ensure_table(conn, k, dims, hnsw) for k in kinds]
            finally:
                if not conn.closed:
                    await queries.fetch_scalar(conn, _Q["rag_unlock"], bool, key=_LOCK_KEY)


@asynccontextmanager
async def _autocommit(conn: AsyncConnection[Any]) -> AsyncIterator[AsyncConnection[Any]]:
    """The connection in autocommit mode (for CREATE INDEX CONCURRENTLY), then as it was."""
    was = conn.autocommit
    await conn.set_autocommit(True)
    try:
        yield conn
    finally:
        if not conn.closed:
            await conn.set_autocommit(was)


async def _enable(conn: AsyncConnection[Any]) -> None:
    """pgvector created where the server has it, and this connection taught its types."""
    status, available = await read_status(conn)
    if not status.enabled and available and status.version is None:
        status = await _create_extension(conn)
    refuse(status)
    ready.pop(conn, None)  # the extension may be new to this connection
    await require(conn)


async def _create_extension(conn: AsyncConnection[Any]) -> RagStatus:
    """CREATE EXTENSION vector where the server has it, as RoboCo's vector store does."""
    try:
        async with queries.atomic(conn):
            await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except pgerr.InsufficientPrivilege:
        return RagStatus(
            enabled=False,
            reason="pgvector could not be created: creating the extension needs a superuser "
            "(or a trusted-extension grant); run CREATE EXTENSION vector once as one",
        )
    except (pgerr.UniqueViolation, pgerr.DuplicateObject):
        pass  # another session created it at the same moment
    except psycopg.Error as exc:
        why = (exc.diag.message_primary or str(exc)).strip().splitlines()[0]
        return RagStatus(enabled=False, reason=f"pgvector could not be created: {why}")
    status, _ = await read_status(conn)
    return status


async def _lock(conn: AsyncConnection[Any], deadline: float = 600.0) -> None:
    """Take the index-building lock by polling, with jitter, up to deadline seconds."""
    waited, delay = 0.0, 0.05
    while not await queries.fetch_scalar(conn, _Q["rag_try_lock"], bool, key=_LOCK_KEY):
        if waited >= deadline:
            raise Conflict(f"another process has been building RAG indexes for {deadline:g}s")
        pause = delay * random.uniform(0.5, 1.5)
        await asyncio.sleep(pause)
        waited, delay = waited + pause, min(delay * 2, 1.0)


async def _ensure_table(
    conn: AsyncConnection[Any], index: IndexType, dims: int, hnsw: bool
) -> ChunkTable:
    """One index type's table: created with its indexes, or adopted and completed."""
    table = chunk_table(index)
    wanted = ("tsv", "source", "hnsw") if hnsw else ("tsv", "source")
    columns = {
        r["name"]: r
        for r in await queries.fetch_all(conn, _Q["rag_table_columns"], dict_row, table=table)
    }
    if not columns:
        async with queries.atomic(conn):
            await conn.execute(stmt("create_table", table, dims))
            for name in wanted:
                await conn.execute(index_ddl(table, name, concurrently=False))
        built = [index_name(table, n) for n in wanted]
        return ChunkTable(
            index_type=index, table=table, dimensions=dims, created=True, built=built, dropped=[]
        )
    _check_shape(table, columns, dims)
    if "created_at" not in columns:
        await conn.execute(stmt("add_created_at", table))
    if "tsv" not in columns:
        await conn.execute(stmt("add_tsv", table))
    built, dropped = await _complete_indexes(conn, table, wanted, drop_ivfflat=hnsw)
    return ChunkTable(
        index_type=index, table=table, dimensions=dims, created=False, built=built, dropped=dropped
    )


def _check_shape(table: str, columns: dict[str, dict[str, Any]], dims: int) -> None:
    """Refuse a table RoboCo's migrations have not brought up to date, or of another width."""
    wrong = [
        f"{col} ({columns[col]['type']}, expected {typ})" if col in columns else f"{col} (missing)"
        for col, typ in _REQUIRED.items()
        if col not in columns or columns[col]["typname"] != typ
    ]
    if wrong:
        raise ValidationError(
            f"{table} is not shaped like RoboCo's chunk tables: {', '.join(wrong)}; "
            "run the migrations first (030 renames text to content)"
        )
    have = columns["embedding"]["typmod"]
    if have != dims:
        shown = f"{have}-dimension" if have > 0 else "unsized"
        raise DimensionMismatch(
            table,
            have if have > 0 else None,
            dims,
            f"{table} holds {shown} embeddings (vector({have if have > 0 else ''})), but "
            f"{dims} dimensions were asked for (ROBOCO_EMBEDDING_DIMENSIONS); keep the table's "
            f"dimension or move its chunks to a new table",
        )


async def _complete_indexes(
    conn: AsyncConnection[Any], table: str, wanted: tuple[str, ...], *, drop_ivfflat: bool
) -> tuple[list[str], list[str]]:
    """Build the wanted indexes an existing table lacks (concurrently, replacing one left
    invalid by an interrupted build), then drop RoboCo's IVFFlat; (built, dropped)."""
    indexes = {
        r["name"]: r
        for r in await queries.fetch_all(conn, _Q["rag_table_indexes"], dict_row, table=table)
    }
    built: list[str] = []
    for name in wanted:
        found = indexes.get(index_name(table, name))
        if found is not None and found["valid"]:
            continue
        if found is not None:
            await conn.execute(drop_index(found["name"]))
        await conn.execute(index_ddl(table, name, concurrently=True))
        built.append(index_name(table, name))
    ivfflat = indexes.get(index_name(table, "ivfflat"))
    if drop_ivfflat and ivfflat is not None and ivfflat["method"] == "ivfflat":
        await conn.execute(drop_index(ivfflat["name"]))
        return built, [ivfflat["name"]]
    return built, []
