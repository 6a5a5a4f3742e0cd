"""The pgvector knowledge base, against real servers: PostgreSQL 16 with pgvector, and Debian's
PostgreSQL 15 without it. Embeddings are synthetic, seeded vectors of 64 dimensions."""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection, AsyncRawCursor, sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from roboco_sql import rag
from roboco_sql.db import make_pool
from roboco_sql.errors import NotFound, RagDisabled, ValidationError
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.rag import ChunkIn, DimensionMismatch, IndexType

DIMS = 64
DOCS = IndexType.DOCUMENTATION
FILLER = (
    "This paragraph pads the chunk past RoboCo's minimum chunk length of one hundred "
    "characters so that every search considers it."
)

Conn = AsyncConnection[TupleRow]


def unit(rng: random.Random, dims: int = DIMS) -> list[float]:
    v = [rng.gauss(0.0, 1.0) for _ in range(dims)]
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def near(v: Sequence[float], rng: random.Random, noise: float = 0.05) -> list[float]:
    return [x + rng.gauss(0.0, noise) for x in v]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def text(head: str) -> str:
    return f"{head}. {FILLER}"


@pytest.fixture
async def conn(db_url: str) -> AsyncIterator[Conn]:
    c = await AsyncConnection.connect(db_url, autocommit=True)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
async def docs(conn: Conn) -> Conn:
    """A connection whose database has chunks_documentation at 64 dimensions."""
    await rag.ensure_indexes(conn, DIMS, [DOCS])
    return conn


async def scalar(conn: Conn, query: str | bytes, *args: Any) -> Any:
    async with AsyncRawCursor(conn) as cur:
        await cur.execute(query, args)
        row = await cur.fetchone()
    assert row is not None
    return row[0]


async def rows(conn: Conn, query: str | bytes, *args: Any) -> list[tuple[Any, ...]]:
    async with AsyncRawCursor(conn) as cur:
        await cur.execute(query, args)
        return await cur.fetchall()


async def indexes(conn: Conn, table: str) -> dict[str, tuple[str, bool]]:
    found = await rows(
        conn,
        "SELECT i.relname, am.amname, x.indisvalid FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam "
        "WHERE x.indrelid = $1::regclass",
        table,
    )
    return {name: (method, valid) for name, method, valid in found}


# -- tables ------------------------------------------------------------------------------------


async def test_ensure_indexes_creates_roboco_tables(
    conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBOCO_EMBEDDING_DIMENSIONS", "48")
    made = await rag.ensure_indexes(conn)
    assert [t.table for t in made] == [f"chunks_{t.value}" for t in rag.ACTIVE_TYPES]
    assert all(t.created and t.dimensions == 48 and not t.dropped for t in made)
    columns = await rows(
        conn,
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull, attgenerated "
        "FROM pg_attribute WHERE attrelid = 'chunks_journals'::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
    )
    assert columns == [  # RoboCo's DDL, column for column
        ("id", "bigint", True, ""),
        ("content", "text", True, ""),
        ("source", "text", True, ""),
        ("embedding", "vector(48)", False, ""),
        ("metadata", "jsonb", True, ""),
        ("created_at", "timestamp with time zone", True, ""),
        ("tsv", "tsvector", False, "s"),
    ]
    assert await indexes(conn, "chunks_journals") == {
        "chunks_journals_pkey": ("btree", True),
        "chunks_journals_tsv_idx": ("gin", True),
        "chunks_journals_source_idx": ("btree", True),
        "chunks_journals_embedding_hnsw_idx": ("hnsw", True),
    }
    opclass = await scalar(
        conn,
        "SELECT opcname FROM pg_index x JOIN pg_opclass o ON o.oid = x.indclass[0] "
        "WHERE x.indexrelid = 'chunks_journals_embedding_hnsw_idx'::regclass",
    )
    assert opclass == "vector_cosine_ops"
    again = await rag.ensure_indexes(conn, 48)
    assert all(not t.created and not t.built and not t.dropped for t in again)
    assert await scalar(conn, "SELECT count(*) FROM pg_class WHERE relname = 'chunks_code'") == 0


async def test_the_collections_are_roboco_v0_29s(conn: Conn) -> None:
    """playbooks and vault_notes are made like every other chunk table; conversations (whose
    table 060_drop_messaging drops) is no collection any more."""
    assert [t.value for t in rag.ACTIVE_TYPES] == [
        "documentation", "journals", "errors", "standards", "decisions", "reviews",
        "learnings", "playbooks", "vault_notes",
    ]  # fmt: skip
    made = await rag.ensure_indexes(conn, 16)
    shape = (
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull, attgenerated "
        "FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum"
    )
    journals = await rows(conn, shape, "chunks_journals")
    for kind in (IndexType.PLAYBOOKS, IndexType.VAULT_NOTES):
        table = rag.chunk_table(kind)
        assert table in [t.table for t in made]
        assert await rows(conn, shape, table) == journals
        assert set(await indexes(conn, table)) == {
            f"{table}_pkey",
            f"{table}_tsv_idx",
            f"{table}_source_idx",
            f"{table}_embedding_hnsw_idx",
        }
    assert (
        await scalar(conn, "SELECT count(*) FROM pg_class WHERE relname = 'chunks_conversations'")
        == 0
    )
    with pytest.raises(ValidationError, match="conversations"):
        rag.chunk_table("conversations")


async def test_a_playbooks_table_made_before_full_text_search_is_reshaped(conn: Conn) -> None:
    """A chunk table as RoboCo made them before 030/031 (no created_at, no tsv) gets both, as
    those migrations give them, when adopted."""
    await conn.execute(
        "CREATE TABLE chunks_playbooks (id BIGSERIAL PRIMARY KEY, content TEXT NOT NULL, "
        "source TEXT NOT NULL, embedding vector(16), metadata JSONB NOT NULL DEFAULT '{}')"
    )
    await conn.execute(
        "INSERT INTO chunks_playbooks (content, source) VALUES ('how we ship a release', 'p')"
    )
    (adopted,) = await rag.ensure_indexes(conn, 16, [IndexType.PLAYBOOKS])
    assert not adopted.created and "chunks_playbooks_tsv_idx" in adopted.built
    columns = {
        name
        for (name, *_) in await rows(
            conn,
            "SELECT attname FROM pg_attribute WHERE attrelid = 'chunks_playbooks'::regclass "
            "AND attnum > 0 AND NOT attisdropped",
        )
    }
    assert {"created_at", "tsv"} <= columns
    hits = await rag.keyword_search(conn, IndexType.PLAYBOOKS, "release", min_length=0)
    assert [h.source for h in hits] == ["p"]


async def test_dimension_mismatch_names_table_and_both_dimensions(docs: Conn) -> None:
    with pytest.raises(DimensionMismatch) as err:
        await rag.ensure_indexes(docs, 32, [DOCS])
    message = str(err.value)
    assert "chunks_documentation" in message
    assert "64" in message
    assert "32" in message
    assert (err.value.table, err.value.table_dimensions, err.value.dimensions) == (
        "chunks_documentation",
        64,
        32,
    )
    assert isinstance(err.value, ValidationError)
    with pytest.raises(DimensionMismatch, match="chunks_documentation holds 64-dimension"):
        await rag.replace_source(docs, DOCS, "s", [ChunkIn(content=text("x"), embedding=[1.0])])
    chunk = ChunkIn(content=text("x"), embedding=[1.0] * DIMS, metadata={"agent_id": "a"})
    await rag.replace_source(docs, DOCS, "s", [chunk])
    for call in (
        lambda: rag.search(docs, DOCS, [0.1] * 3),
        lambda: rag.hybrid_search(docs, DOCS, [0.1] * 3, "x"),
        lambda: rag.mentor_lookup(docs, "a", [0.1] * 3, types=[DOCS]),
    ):
        with pytest.raises(
            DimensionMismatch,
            match="chunks_documentation holds 64-dimension embeddings; got one of 3",
        ):
            await call()


async def test_adopts_a_roboco_table_keeping_every_row(db_url: str) -> None:
    rng = random.Random(7)
    async with await AsyncConnection.connect(db_url, autocommit=True) as c:
        # exactly what RoboCo's VectorStore.initialize() runs, then rows as RoboCo writes them
        await c.execute(
            f"""CREATE TABLE IF NOT EXISTS chunks_journals (
                id BIGSERIAL PRIMARY KEY, content TEXT NOT NULL, source TEXT NOT NULL,
                embedding vector({DIMS}), metadata JSONB NOT NULL DEFAULT '{{}}',
                created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
                tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED)"""
        )
        await c.execute(
            "CREATE INDEX IF NOT EXISTS chunks_journals_embedding_idx ON chunks_journals "
            "USING ivfflat (embedding vector_cosine_ops) WITH (lists = 100)"
        )
        await c.execute(
            "CREATE INDEX IF NOT EXISTS chunks_journals_tsv_idx ON chunks_journals USING gin (tsv)"
        )
        vectors = [unit(rng) for _ in range(300)]
        async with c.cursor() as cur:
            await cur.executemany(
                "INSERT INTO chunks_journals (content, source, embedding, metadata) "
                "VALUES (%s, %s, %s::vector, %s::jsonb)",
                [
                    (
                        text(f"journal entry {i}"),
                        f"roboco://journals/{i}",
                        "[" + ",".join(str(x) for x in v) + "]",
                        '{"agent_id": "a"}',
                    )
                    for i, v in enumerate(vectors)
                ],
            )
        fingerprint = (
            "SELECT count(*), md5(string_agg(concat_ws('|', id, content, source, embedding, "
            "metadata, created_at, tsv), ',' ORDER BY id)) FROM chunks_journals"
        )
        before = await rows(c, fingerprint)

    pool = make_pool(db_url, min_size=1, max_size=1)
    async with pool:
        (adopted,) = await rag.ensure_indexes(pool, DIMS, [IndexType.JOURNALS])
        async with pool.connection() as c:  # the pooled connection came back as it was lent
            assert c.autocommit is False
    assert not adopted.created
    assert adopted.built == ["chunks_journals_source_idx", "chunks_journals_embedding_hnsw_idx"]
    assert adopted.dropped == ["chunks_journals_embedding_idx"]

    async with await AsyncConnection.connect(db_url, autocommit=True) as c:
        assert await rows(c, fingerprint) == before
        assert await indexes(c, "chunks_journals") == {
            "chunks_journals_pkey": ("btree", True),
            "chunks_journals_tsv_idx": ("gin", True),
            "chunks_journals_source_idx": ("btree", True),
            "chunks_journals_embedding_hnsw_idx": ("hnsw", True),
        }
        hits = await rag.search(c, IndexType.JOURNALS, vectors[42], k=3)
        assert hits[0].source == "roboco://journals/42"
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)
        (again,) = await rag.ensure_indexes(c, DIMS, [IndexType.JOURNALS])
        assert (again.built, again.dropped) == ([], [])


async def test_bulk_load_then_build_hnsw(conn: Conn) -> None:
    (made,) = await rag.ensure_indexes(conn, DIMS, [DOCS], hnsw=False)
    assert "chunks_documentation_embedding_hnsw_idx" not in made.built
    rng = random.Random(11)
    chunks = [ChunkIn(content=text(f"bulk {i}"), embedding=unit(rng)) for i in range(50)]
    await rag.replace_source(conn, DOCS, "bulk", chunks)
    assert (await rag.search(conn, DOCS, chunks[3].embedding, k=1))[0].content == text("bulk 3")
    (built,) = await rag.ensure_indexes(conn, DIMS, [DOCS])
    assert built.built == ["chunks_documentation_embedding_hnsw_idx"]
    assert (await indexes(conn, "chunks_documentation"))[built.built[0]] == ("hnsw", True)


async def test_ensure_indexes_needs_an_idle_connection(db_url: str) -> None:
    async with await AsyncConnection.connect(db_url) as c:
        await c.execute("SELECT 1")  # a transaction is now open
        with pytest.raises(ValidationError, match="idle connection"):
            await rag.ensure_indexes(c, DIMS, [DOCS])


# -- ingest ------------------------------------------------------------------------------------


async def test_ingest_and_vector_search(docs: Conn) -> None:
    rng = random.Random(1)
    chunks = {
        src: [
            ChunkIn(content=text(f"{src} part {i}"), embedding=unit(rng), metadata={"part": i})
            for i in range(20)
        ]
        for src in ("docs/a.md", "docs/b.md")
    }
    doc = await rag.replace_source(docs, DOCS, "docs/a.md", chunks["docs/a.md"], title="A")
    await rag.replace_source(docs, "documentation", "docs/b.md", chunks["docs/b.md"])
    assert doc is not None
    assert (doc.index_type, doc.source, doc.chunk_count, doc.title) == (
        "documentation",
        "docs/a.md",
        20,
        "A",
    )
    assert doc.source_hash == hashlib.sha256(b"docs/a.md").hexdigest()
    assert doc.preview == chunks["docs/a.md"][0].content

    every = chunks["docs/a.md"] + chunks["docs/b.md"]
    query = near(every[5].embedding, rng, 0.01)
    hits = await rag.search(docs, DOCS, query, k=7)
    assert len(hits) == 7
    assert hits[0].content == every[5].content
    assert hits[0].metadata == {"part": 5}
    assert hits[0].index_type is DOCS
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    by_content = {c.content: c.embedding for c in every}
    for h in hits:  # score = 1 - cosine distance (stored as float4, hence the tolerance)
        assert h.score == pytest.approx(cosine(query, by_content[h.content]), abs=1e-5)
    exact = sorted(every, key=lambda c: -cosine(query, c.embedding))[:7]
    assert [h.content for h in hits] == [c.content for c in exact]

    only_b = await rag.search(docs, DOCS, query, k=5, source="docs/b.md")
    assert len(only_b) == 5
    assert {h.source for h in only_b} == {"docs/b.md"}
    part = await rag.search(docs, DOCS, query, k=5, metadata={"part": 5})
    assert sorted(h.source for h in part) == ["docs/a.md", "docs/b.md"]


async def test_minimum_chunk_length(docs: Conn) -> None:
    rng = random.Random(2)
    target = unit(rng)
    await rag.replace_source(
        docs,
        DOCS,
        "s",
        [
            ChunkIn(content="too short to count", embedding=target),
            ChunkIn(content=text("long enough"), embedding=near(target, rng, 0.3)),
        ],
    )
    hits = await rag.search(docs, DOCS, target, k=5)
    assert [h.content for h in hits] == [text("long enough")]
    hits = await rag.search(docs, DOCS, target, k=5, min_length=0)
    assert hits[0].content == "too short to count"
    assert await rag.keyword_search(docs, DOCS, "short") == []


async def test_replace_is_atomic_and_keeps_indexed_documents_current(docs: Conn) -> None:
    rng = random.Random(3)
    old = [ChunkIn(content=text(f"old {i}"), embedding=unit(rng)) for i in range(5)]
    other = [ChunkIn(content=text("other source"), embedding=unit(rng))]
    first = await rag.replace_source(docs, DOCS, "guide.md", old, extra_data={"kind": "guide"})
    await rag.replace_source(docs, DOCS, "other.md", other)
    assert first is not None

    async def stored(source: str) -> list[str]:
        found = await rows(
            docs, "SELECT content FROM chunks_documentation WHERE source = $1 ORDER BY id", source
        )
        return [r[0] for r in found]

    async def document(source: str) -> tuple[Any, ...] | None:
        found = await rows(
            docs,
            "SELECT id, chunk_count, extra_data::text, updated_at FROM indexed_documents "
            "WHERE index_type = 'documentation' AND source = $1",
            source,
        )
        return found[0] if found else None

    before = await document("guide.md")
    broken = [
        ChunkIn(content=text("new 0"), embedding=unit(rng)),
        ChunkIn(content=text("new 1"), embedding=unit(rng)),
        ChunkIn(content=text("new 2"), embedding=[1.0, 2.0]),  # fails mid-COPY
        ChunkIn(content=text("new 3"), embedding=unit(rng)),
    ]
    with pytest.raises(DimensionMismatch):
        await rag.replace_source(docs, DOCS, "guide.md", broken)
    assert await stored("guide.md") == [c.content for c in old]
    assert await document("guide.md") == before

    new = [ChunkIn(content=text(f"new {i}"), embedding=unit(rng)) for i in range(3)]
    second = await rag.replace_source(docs, DOCS, "guide.md", new, extra_data={"rev": 2})
    assert second is not None
    assert await stored("guide.md") == [c.content for c in new]
    assert await stored("other.md") == [other[0].content]
    assert second.id == first.id
    assert second.chunk_count == 3
    assert second.extra_data == {"kind": "guide", "rev": 2}
    assert second.indexed_at == first.indexed_at
    assert second.updated_at is not None

    assert await rag.replace_source(docs, DOCS, "guide.md", []) is None
    assert await stored("guide.md") == []
    assert await document("guide.md") is None
    assert await rag.delete_source(docs, DOCS, "other.md") == 1
    assert await document("other.md") is None


async def test_replace_joins_the_callers_transaction(db_url: str, docs: Conn) -> None:
    rng = random.Random(4)
    chunk = ChunkIn(content=text("uncommitted"), embedding=unit(rng))
    async with await AsyncConnection.connect(db_url) as c:
        await c.execute("SELECT 1")  # the caller's transaction is open
        await rag.replace_source(c, DOCS, "s", [chunk])
        assert len(await rag.search(c, DOCS, chunk.embedding)) == 1
        await c.rollback()
        assert await rag.search(c, DOCS, chunk.embedding) == []
        await c.rollback()
    assert await scalar(docs, "SELECT count(*) FROM indexed_documents") == 0


async def test_search_before_ensure_indexes_is_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound, match="chunks_errors does not exist"):
        await rag.search(conn, IndexType.ERRORS, [1.0] * DIMS)


async def test_arguments_are_checked_before_any_sql(docs: Conn) -> None:
    with pytest.raises(ValidationError, match="unknown index type 'code2'"):
        await rag.search(docs, "code2", [1.0] * DIMS)
    with pytest.raises(ValidationError, match="k must be between"):
        await rag.search(docs, DOCS, [1.0] * DIMS, k=0)
    with pytest.raises(ValidationError, match="source must be"):
        await rag.replace_source(docs, DOCS, "x" * 1001, [])


# -- keyword and hybrid --------------------------------------------------------------------------


async def test_keyword_search(docs: Conn) -> None:
    rng = random.Random(5)
    topics = [
        "Vacuum reclaims dead tuples in PostgreSQL tables",
        "PgBouncer transaction pooling breaks prepared statements",
        "HNSW graphs answer nearest neighbour queries quickly",
        "Autovacuum tuning for large PostgreSQL installations",
    ]
    for i, topic in enumerate(topics):
        chunk = ChunkIn(content=text(topic), embedding=unit(rng), metadata={"n": i})
        await rag.replace_source(docs, DOCS, f"t{i}", [chunk])
    hits = await rag.keyword_search(docs, DOCS, "postgresql vacuum")
    assert [h.source for h in hits] == ["t0"]  # stemming: vacuum, not autovacuum
    assert hits[0].score > 0
    hits = await rag.keyword_search(docs, DOCS, "postgresql")
    assert sorted(h.source for h in hits) == ["t0", "t3"]
    assert [h.source for h in await rag.keyword_search(docs, DOCS, "postgresql -tuning")] == ["t0"]
    phrase = await rag.keyword_search(docs, DOCS, '"prepared statements"')
    assert [h.source for h in phrase] == ["t1"]
    assert await rag.keyword_search(docs, DOCS, "postgresql", metadata={"n": 3}) != []
    assert await rag.keyword_search(docs, DOCS, "postgresql", source="t1") == []
    assert await rag.keyword_search(docs, DOCS, "the of and") == []


async def test_hybrid_search_fuses_by_reciprocal_rank(docs: Conn) -> None:
    rng = random.Random(6)
    query = unit(rng)
    chunks = {
        "both": ChunkIn(content=text("PgBouncer pooling modes"), embedding=near(query, rng)),
        "vector": ChunkIn(content=text("Unrelated words entirely"), embedding=query),
        "keyword": ChunkIn(
            content=text("PgBouncer pooling and prepared statements"),
            embedding=[-x for x in query],
        ),
    }
    for name, chunk in chunks.items():
        await rag.replace_source(docs, DOCS, name, [chunk])
    for i in range(30):
        await rag.replace_source(
            docs, DOCS, f"noise{i}", [ChunkIn(content=text(f"noise {i}"), embedding=unit(rng))]
        )
    hits = await rag.hybrid_search(docs, DOCS, query, "pgbouncer pooling", k=3, candidates=5)
    assert hits[0].source == "both"
    assert {h.source for h in hits} == {"both", "vector", "keyword"}
    by = {h.source: h for h in hits}
    assert by["vector"].vector_rank == 1
    assert by["vector"].keyword_rank is None
    assert by["keyword"].vector_rank is None
    assert by["keyword"].similarity == pytest.approx(-1.0, abs=1e-5)
    assert by["both"].vector_rank == 2
    for h in hits:
        expected = sum(1 / (rag.RRF_K + r) for r in (h.vector_rank, h.keyword_rank) if r)
        assert h.score == pytest.approx(expected)
    # no search terms: vector candidates only
    plain = await rag.hybrid_search(docs, DOCS, query, "the of", k=2)
    assert [h.source for h in plain] == ["vector", "both"]
    assert all(h.keyword_rank is None for h in plain)


# -- filters and iterative scans ---------------------------------------------------------------


async def test_filtered_search_still_returns_k_rows(db_url: str, docs: Conn) -> None:
    """2,000 chunks in 50 groups of 40: a group filter passes 2% of what the HNSW scan meets,
    so without iterative scans the index hands back fewer than k rows."""
    rng = random.Random(8)
    vectors = [unit(rng) for _ in range(2000)]
    for g in range(10):  # ten sources of 200 chunks; the groups cut across them
        batch = [
            ChunkIn(content=text(f"chunk {i}"), embedding=vectors[i], metadata={"group": i % 50})
            for i in range(g * 200, (g + 1) * 200)
        ]
        await rag.replace_source(docs, DOCS, f"src{g}", batch)
    await docs.execute("ANALYZE chunks_documentation")
    query = unit(rng)
    in_group = [i for i in range(2000) if i % 50 == 7]
    exact = sorted(in_group, key=lambda i: -cosine(query, vectors[i]))[:10]

    # force the HNSW path (a seq scan would be exact, and prove nothing) on another connection
    async with await AsyncConnection.connect(
        db_url, autocommit=True, options="-c enable_seqscan=off"
    ) as c:
        hits = await rag.search(c, DOCS, query, k=10, metadata={"group": 7})
        assert len(hits) == 10
        assert all(h.metadata["group"] == 7 for h in hits)
        found = {int(h.content.split(".")[0].split()[1]) for h in hits}
        assert len(found & set(exact)) >= 9  # recall@10 of the filtered query

        async with c.transaction():
            await c.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            await c.execute("SET LOCAL plan_cache_mode = force_custom_plan")
            plan = await rows(
                c,
                b"EXPLAIN " + rag._stmt("search", "chunks_documentation"),
                rag._embedding(query),
                100,
                None,
                Jsonb({"group": 7}),
                10,
            )
        assert "chunks_documentation_embedding_hnsw_idx" in "\n".join(r[0] for r in plan)

        async with c.transaction():  # the same query, pgvector's defaults, no iterative scan
            starved = await rows(
                c,
                "SELECT id FROM chunks_documentation WHERE metadata @> $1 "
                "ORDER BY embedding <=> $2 LIMIT 10",
                Jsonb({"group": 7}),
                rag._embedding(query),
            )
        assert len(starved) < 10

        by_source = await rag.search(c, DOCS, query, k=10, source="src3", metadata={"group": 7})
        assert len(by_source) == 4  # src3 holds 4 chunks of group 7
        hybrid = await rag.hybrid_search(c, DOCS, query, "chunk", k=10, metadata={"group": 7})
        assert len(hybrid) == 10
        assert all(h.metadata["group"] == 7 for h in hybrid)


# -- mentor ------------------------------------------------------------------------------------


async def test_mentor_lookup_reads_one_agents_journals_and_learnings(conn: Conn) -> None:
    await rag.ensure_indexes(conn, DIMS, rag.MENTOR_TYPES)
    rng = random.Random(9)
    query = unit(rng)
    me, other = uuid.uuid4(), uuid.uuid4()

    def chunk(label: str, agent: uuid.UUID, embedding: list[float]) -> ChunkIn:
        return ChunkIn(content=text(label), embedding=embedding, metadata={"agent_id": str(agent)})

    await rag.replace_source(
        conn,
        IndexType.JOURNALS,
        "roboco://journals/1",
        [chunk(f"my journal {i}", me, near(query, rng, 0.3)) for i in range(5)]
        + [chunk("their journal", other, query)],
    )
    await rag.replace_source(
        conn,
        IndexType.LEARNINGS,
        "roboco://learnings/1",
        [chunk("my learning", me, near(query, rng, 0.01))]
        + [chunk(f"their learning {i}", other, query) for i in range(3)],
    )
    hits = await rag.mentor_lookup(conn, me, query, k=4)
    assert len(hits) == 4
    assert hits[0].content == text("my learning")
    assert hits[0].index_type is IndexType.LEARNINGS
    assert {h.index_type for h in hits[1:]} == {IndexType.JOURNALS}
    assert all(h.metadata["agent_id"] == str(me) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(await rag.mentor_lookup(conn, str(me), query, k=10)) == 6
    assert await rag.mentor_lookup(conn, uuid.uuid4(), query) == []


async def test_a_pool_works_like_a_connection(db_url: str, docs: Conn) -> None:
    rng = random.Random(10)
    chunk = ChunkIn(content=text("pooled"), embedding=unit(rng))
    async with make_pool(db_url, min_size=1, max_size=2) as pool:
        assert await rag.rag_enabled(pool)
        await rag.replace_source(pool, DOCS, "p", [chunk])
        hits = await rag.search(pool, DOCS, chunk.embedding, k=1)
    assert [h.source for h in hits] == ["p"]


# -- without pgvector --------------------------------------------------------------------------


def _every_call(vec: list[float]) -> list[Callable[[Any], Awaitable[object]]]:
    chunk = ChunkIn(content=text("x"), embedding=vec)
    return [
        lambda db: rag.ensure_indexes(db, DIMS),
        lambda db: rag.replace_source(db, DOCS, "s", [chunk]),
        lambda db: rag.delete_source(db, DOCS, "s"),
        lambda db: rag.search(db, DOCS, vec),
        lambda db: rag.keyword_search(db, DOCS, "x"),
        lambda db: rag.hybrid_search(db, DOCS, vec, "x"),
        lambda db: rag.mentor_lookup(db, uuid.uuid4(), vec),
        lambda db: rag.count_chunks(db, DOCS),
        lambda db: rag.list_sources(db, DOCS),
        lambda db: rag.clear_index(db, DOCS),
    ]


@pytest.fixture
def pg15_db(pg15_url: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL 15 server (its own, so the chain can run on it)."""
    name = f"rag_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg15_url, autocommit=True) as c:
        c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_conninfo(pg15_url, dbname=name)
    with psycopg.connect(pg15_url, autocommit=True) as c:
        c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


async def test_without_pgvector_rag_switches_off_and_nothing_else_changes(pg15_db: str) -> None:
    report = migrate(pg15_db, load_chain(), pgvector=True)
    assert report.rag_enabled is False
    assert report.rag_reason == "pgvector is not installed on the server"

    reason = "RAG is disabled: pgvector is not installed on the server"
    async with await AsyncConnection.connect(pg15_db) as c:
        assert await rag.rag_enabled(c) is False
        status = await rag.rag_status(c)
        assert status.reason == "pgvector is not installed on the server"
        await c.rollback()
        for in_transaction in (False, True):
            for call in _every_call([1.0] * DIMS):
                if in_transaction:
                    await c.execute("CREATE TEMP TABLE mine (x int)")  # the caller's own work
                with pytest.raises(RagDisabled) as err:
                    await call(c)
                assert str(err.value) == reason
                # the caller's transaction goes on, its work intact
                if in_transaction:
                    assert await scalar(c, "SELECT count(*) FROM mine") == 0
                await c.rollback()
        assert await scalar(c, "SELECT count(*) FROM pg_class WHERE relname LIKE 'chunks%'") == 0
        assert await scalar(c, "SELECT count(*) FROM indexed_documents") == 0

    pool: AsyncConnectionPool[Any] = make_pool(pg15_db, min_size=1, max_size=1)
    async with pool:
        assert await rag.rag_enabled(pool) is False
        for call in _every_call([1.0] * DIMS):
            with pytest.raises(RagDisabled, match="not installed on the server"):
                await call(pool)


async def test_pgvector_that_cannot_be_created(empty_url: str) -> None:
    role = f"rag_{uuid.uuid4().hex[:12]}"
    async with await AsyncConnection.connect(empty_url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        async with await AsyncConnection.connect(make_conninfo(empty_url, user=role)) as c:
            status = await rag.rag_status(c)
            assert not status.enabled
            assert status.reason is not None
            assert "not created in this database" in status.reason
            await c.rollback()
            with pytest.raises(RagDisabled, match=r"pgvector could not be created: .*superuser"):
                await rag.ensure_indexes(c, DIMS)
            with pytest.raises(RagDisabled, match="not created in this database"):
                await rag.search(c, DOCS, [1.0] * DIMS)
    finally:
        async with await AsyncConnection.connect(empty_url, autocommit=True) as admin:
            await admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
