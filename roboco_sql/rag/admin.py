"""Looking after an index as a whole: how many chunks, which sources, and emptying it."""

from __future__ import annotations

from psycopg import AsyncRawCursor
from psycopg.rows import dict_row

from roboco_sql import queries
from roboco_sql.models.knowledge import IndexType
from roboco_sql.rag.availability import opened
from roboco_sql.rag.checks import chunk_table, kind
from roboco_sql.rag.model import Db, SourceEntry
from roboco_sql.rag.statements import run, stmt
from roboco_sql.repos._paging import checked_limit, checked_offset

_CLEAR_DOCUMENTS = queries.load()["indexed_documents.clear_indexed_documents"]


async def count_chunks(db: Db, index_type: IndexType | str) -> int:
    """How many chunks an index holds (RoboCo's index stats)."""
    table = chunk_table(index_type)
    async with opened(db, table) as conn, AsyncRawCursor(conn) as cur:
        await cur.execute(stmt("count_chunks", table))
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def list_sources(
    db: Db, index_type: IndexType | str, *, offset: int = 0, limit: int = 50
) -> list[SourceEntry]:
    """One offset page of an index's sources in source order, each with its newest chunk's id,
    time and metadata (RoboCo's document list straight off the chunk table)."""
    table = chunk_table(index_type)
    start, size = checked_offset(offset), checked_limit(limit)
    async with opened(db, table) as conn, AsyncRawCursor(conn, row_factory=dict_row) as cur:
        await cur.execute(stmt("list_sources", table), (start, size))
        rows = await cur.fetchall()
    return [SourceEntry(**row) for row in rows]


async def clear_index(db: Db, index_type: IndexType | str) -> int:
    """Empty an index: every chunk and every `indexed_documents` row of its type go in one
    transaction (the table and its indexes stay); the chunks removed."""
    index = kind(index_type)
    table = chunk_table(index)
    async with opened(db, table, atomic=True) as conn:
        removed = await run(conn, "clear_chunks", table)
        await queries.execute_rows(conn, _CLEAR_DOCUMENTS, index_type=index.value)
        return removed
