"""Knowledge-base bookkeeping: one row per document indexed into a RAG chunk table.

The natural key is (index_type, source_hash); writing the same document again refreshes its
row instead of adding one. roboco_sql.rag keeps these rows current as it indexes; this module
is the general create/read/list/delete over them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import class_row, scalar_row
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.models.knowledge import IndexedDocument, IndexedDocumentCreate, IndexType
from roboco_sql.repos._checks import member
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import removed
from roboco_sql.repos._paging import Page, checked_limit, checked_offset, cursor_params
from roboco_sql.repos._rows import model_row
from roboco_sql.validate import shown

__all__ = [
    "IndexStats",
    "delete_indexed_document",
    "get_indexed_document",
    "get_indexed_document_by_id",
    "index_stats",
    "indexed_sources",
    "list_indexed_documents",
    "page_indexed_documents",
    "upsert_indexed_document",
]

_Q = queries.load()
_UPSERT = _Q["indexed_documents.upsert_indexed_document"]
_GET = _Q["indexed_documents.get_indexed_document"]
_GET_BY_ID = _Q["indexed_documents.get_indexed_document_by_id"]
_LIST = _Q["indexed_documents.list_indexed_documents"]
_DELETE = _Q["indexed_documents.delete_indexed_document"]
_PAGE = _Q["indexed_documents.page_indexed_documents"]
_COUNT = _Q["indexed_documents.count_indexed_documents"]
_SOURCES = _Q["indexed_documents.indexed_sources"]
_STATS = _Q["indexed_documents.indexed_document_stats"]

_DOCUMENT = model_row(IndexedDocument)


@dataclass(frozen=True, slots=True)
class IndexStats:
    """One index's document count and its newest indexing time."""

    index_type: str
    documents: int
    last_indexed_at: dt.datetime | None


def _index_type(value: IndexType | str) -> IndexType:
    return member(IndexType, value, f"{shown(value)} is not an index type")


async def upsert_indexed_document(
    conn: AsyncConnection[Any], document: IndexedDocumentCreate
) -> IndexedDocument:
    """Record an indexed document, or refresh its row if (index_type, source_hash) exists.

    A refresh keeps the row's id and first indexed_at and stamps updated_at; a NULL title or
    preview keeps the old one; extra_data is merged key by key.
    """
    values = document.model_dump()
    values["extra_data"] = Json(document.extra_data)
    with translated("indexed document"):
        row = await queries.fetch_one(conn, _UPSERT, _DOCUMENT, **values)
    assert row is not None
    return row


async def get_indexed_document(
    conn: AsyncConnection[Any], index_type: IndexType, source_hash: str
) -> IndexedDocument | None:
    """One document by its natural key, or None."""
    return await queries.fetch_one(
        conn, _GET, _DOCUMENT, index_type=_index_type(index_type), source_hash=source_hash
    )


async def get_indexed_document_by_id(
    conn: AsyncConnection[Any], document_id: uuid.UUID
) -> IndexedDocument | None:
    """One document by id, or None."""
    return await queries.fetch_one(conn, _GET_BY_ID, _DOCUMENT, id=document_id)


async def list_indexed_documents(
    conn: AsyncConnection[Any],
    *,
    index_type: IndexType | None = None,
    before: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int = 100,
) -> list[IndexedDocument]:
    """Documents of one index (or all), most recently indexed first, keyset-paged."""
    checked = _index_type(index_type) if index_type is not None else None
    return await queries.fetch_all(
        conn,
        _LIST,
        _DOCUMENT,
        index_type=checked,
        **cursor_params(before),
        limit=checked_limit(limit),
    )


async def delete_indexed_document(
    conn: AsyncConnection[Any], index_type: IndexType, source_hash: str
) -> None:
    """Forget one document's row (its chunks are the caller's); NotFound if there is none."""
    kind = _index_type(index_type)
    key = f"({kind.value}, {shown(source_hash)})"
    await removed(conn, _DELETE, "indexed document", key, index_type=kind, source_hash=source_hash)


async def page_indexed_documents(
    conn: AsyncConnection[Any], index_type: IndexType | str, *, offset: int = 0, limit: int = 50
) -> Page[IndexedDocument]:
    """One offset page of an index's documents, newest first, with the index's total."""
    kind = _index_type(index_type)
    start, size = checked_offset(offset), checked_limit(limit)
    total = await queries.fetch_scalar(conn, _COUNT, int, index_type=kind) or 0
    items = await queries.fetch_all(
        conn, _PAGE, _DOCUMENT, index_type=kind, offset=start, limit=size
    )
    return Page(items=items, total=total, offset=start, limit=size)


async def indexed_sources(conn: AsyncConnection[Any], index_type: IndexType | str) -> list[str]:
    """Every source the index holds a document for, in order (RoboCo's skip-list on reindex)."""
    return await queries.fetch_all(conn, _SOURCES, scalar_row, index_type=_index_type(index_type))


async def index_stats(
    conn: AsyncConnection[Any], index_type: IndexType | str | None = None
) -> list[IndexStats]:
    """Document count and last indexing time per index (one index, or every index that has
    documents); chunk counts are `rag.count_chunks`."""
    kind = _index_type(index_type) if index_type is not None else None
    return await queries.fetch_all(conn, _STATS, class_row(IndexStats), index_type=kind)
