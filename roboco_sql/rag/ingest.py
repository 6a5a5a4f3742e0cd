"""Putting sources in and taking them out: a source's chunks are replaced as one unit, and its
``indexed_documents`` row moves with them in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from psycopg import AsyncRawCursor
from psycopg.rows import class_row
from psycopg.types.json import Json
from pydantic import JsonValue

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.knowledge import IndexedDocument, IndexType
from roboco_sql.rag.availability import opened
from roboco_sql.rag.checks import chunk_table, kind, source_hash
from roboco_sql.rag.model import ChunkIn, Db
from roboco_sql.rag.statements import run, stmt
from roboco_sql.validate import check_json, check_text

_Q = queries.load()
# the bookkeeping rows are indexed_documents' own statements, shared with its repository
_UPSERT_DOCUMENT = _Q["indexed_documents.upsert_indexed_document"]
_DELETE_DOCUMENT = _Q["indexed_documents.delete_indexed_document"]
_DOCUMENT = class_row(IndexedDocument)


def _check_document(
    source: str, title: str | None, extra_data: Mapping[str, JsonValue], chunks: Sequence[ChunkIn]
) -> None:
    if not source or len(source) > 1000:
        raise ValidationError(f"source must be 1 to 1000 characters, got {len(source)}")
    check_text("source", source)
    if title is not None and len(title) > 500:
        raise ValidationError(f"title must be at most 500 characters, got {len(title)}")
    if title is not None:
        check_text("title", title)
    check_json("extra_data", extra_data)
    for number, chunk in enumerate(chunks):
        chunk.check(number)


async def replace_source(
    db: Db,
    index_type: IndexType | str,
    source: str,
    chunks: Sequence[ChunkIn],
    *,
    title: str | None = None,
    extra_data: Mapping[str, JsonValue] | None = None,
) -> IndexedDocument | None:
    """Replace every chunk of one source, atomically, and keep ``indexed_documents`` current.

    Deletes the source's chunks and loads the new ones through binary COPY in one transaction
    (a savepoint when the caller's connection is already in one): a failure part-way leaves the
    old chunks. Returns the document's bookkeeping row; no chunks removes the source and its row
    and returns None.
    """
    index = kind(index_type)
    table = chunk_table(index)
    extra = dict(extra_data or {})
    _check_document(source, title, extra, chunks)
    digest = source_hash(source)
    async with opened(db, table, atomic=True) as conn:
        async with AsyncRawCursor(conn) as cur:
            await cur.execute(stmt("delete_source", table), (source,))
            if chunks:
                async with cur.copy(stmt("copy_chunks", table)) as copy:
                    copy.set_types(["text", "text", "vector", "jsonb"])
                    for chunk in chunks:
                        await copy.write_row(
                            (chunk.content, source, chunk.embedding, chunk.metadata)
                        )
        if not chunks:
            await queries.execute_rows(
                conn, _DELETE_DOCUMENT, index_type=index.value, source_hash=digest
            )
            return None
        return await queries.fetch_one(
            conn,
            _UPSERT_DOCUMENT,
            _DOCUMENT,
            id=uuid.uuid4(),
            index_type=index.value,
            source=source,
            source_hash=digest,
            title=title,
            preview=chunks[0].content[:500].strip() or None,
            chunk_count=len(chunks),
            extra_data=Json(extra),
            indexed_at=None,  # the transaction's time
        )


async def delete_source(db: Db, index_type: IndexType | str, source: str) -> int:
    """Remove one source's chunks and its ``indexed_documents`` row; the chunks removed."""
    check_text("source", source)
    index = kind(index_type)
    table = chunk_table(index)
    async with opened(db, table, atomic=True) as conn:
        removed = await run(conn, "delete_source", table, (source,))
        await queries.execute_rows(
            conn, _DELETE_DOCUMENT, index_type=index.value, source_hash=source_hash(source)
        )
        return removed
