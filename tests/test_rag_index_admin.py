"""An index's bookkeeping as RoboCo's knowledge pages read it: paged documents with a total,
every source, per-index stats, chunk counts, the source list of a chunk table, and clearing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql import rag
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.rag import ChunkIn, IndexType
from roboco_sql.repos import indexed_documents

Conn = AsyncConnection[Any]
DOCS, CODE = IndexType.DOCUMENTATION, IndexType.CODE
BODY = "A paragraph long enough to be kept as a chunk by the minimum length rule of RoboCo."


@pytest.fixture
async def kb(db_url: str) -> AsyncIterator[Conn]:
    """Autocommit, with chunks_documentation and chunks_codebase at 3 dimensions, and three
    documentation sources (two chunks each) and one codebase source."""
    conn = await AsyncConnection.connect(db_url, autocommit=True)
    await rag.ensure_indexes(conn, 3, [DOCS, CODE])
    for i, source in enumerate(("docs://c.md", "docs://a.md", "docs://b.md")):
        chunks = [
            ChunkIn(content=f"{BODY} {n}", embedding=[1.0, i, n], metadata={"n": n})
            for n in range(2)
        ]
        await rag.replace_source(conn, DOCS, source, chunks, title=source)
    await rag.replace_source(
        conn, CODE, "src/app.py", [ChunkIn(content=BODY, embedding=[0.0, 1.0, 0.0])]
    )
    try:
        yield conn
    finally:
        await conn.close()


async def test_documents_page_with_total_newest_first(kb: Conn) -> None:
    first = await indexed_documents.page_indexed_documents(kb, DOCS, offset=0, limit=2)
    assert (first.total, len(first.items), first.has_more) == (3, 2, True)
    assert [d.source for d in first.items] == ["docs://b.md", "docs://a.md"]
    rest = await indexed_documents.page_indexed_documents(kb, DOCS, offset=2, limit=2)
    assert [d.source for d in rest.items] == ["docs://c.md"] and not rest.has_more
    beyond = await indexed_documents.page_indexed_documents(kb, DOCS, offset=10)
    assert (beyond.items, beyond.total) == ([], 3)
    with pytest.raises(ValidationError, match="offset"):
        await indexed_documents.page_indexed_documents(kb, DOCS, offset=-1)
    with pytest.raises(ValidationError, match="index type"):
        await indexed_documents.page_indexed_documents(kb, "nope")


async def test_sources_and_stats(kb: Conn) -> None:
    assert await indexed_documents.indexed_sources(kb, DOCS) == [
        "docs://a.md",
        "docs://b.md",
        "docs://c.md",
    ]
    stats = {s.index_type: s for s in await indexed_documents.index_stats(kb)}
    assert {k: s.documents for k, s in stats.items()} == {"code": 1, "documentation": 3}
    assert all(s.last_indexed_at is not None for s in stats.values())
    only = await indexed_documents.index_stats(kb, DOCS)
    assert [s.index_type for s in only] == ["documentation"]
    assert await indexed_documents.index_stats(kb, IndexType.PLAYBOOKS) == []


async def test_chunk_count_and_source_list_of_a_chunk_table(kb: Conn) -> None:
    assert await rag.count_chunks(kb, DOCS) == 6
    assert await rag.count_chunks(kb, CODE) == 1
    page = await rag.list_sources(kb, DOCS, offset=1, limit=5)
    assert [e.source for e in page] == ["docs://b.md", "docs://c.md"]
    assert page[0].metadata == {"n": 1}  # the newest chunk of the source
    with pytest.raises(ValidationError, match="limit"):
        await rag.list_sources(kb, DOCS, limit=0)
    with pytest.raises(NotFound, match="chunks_playbooks"):
        await rag.count_chunks(kb, IndexType.PLAYBOOKS)


async def test_clearing_an_index_empties_it_and_its_documents_only(kb: Conn) -> None:
    assert await rag.clear_index(kb, DOCS) == 6
    assert await rag.count_chunks(kb, DOCS) == 0
    assert (await indexed_documents.page_indexed_documents(kb, DOCS)).total == 0
    assert await rag.count_chunks(kb, CODE) == 1
    assert await indexed_documents.indexed_sources(kb, CODE) == ["src/app.py"]
    assert await rag.clear_index(kb, DOCS) == 0
