"""The pgvector knowledge base: RoboCo's ``chunks_<type>`` tables, HNSW-indexed, searched.

RoboCo keeps one chunk table per index type, created at runtime (never by the chain), with an
IVFFlat index built on the empty table. Here the same tables are created (or adopted as they are,
rows and ids kept) and indexed with HNSW over cosine distance instead; RoboCo's IVFFlat index is
dropped once the HNSW one is built concurrently. Embeddings come from the caller.

Every function takes a connection or a pool first. With a connection the caller owns the
transaction: writes run in a savepoint of it, or in a transaction of their own when none is open.
Without pgvector, :func:`rag_enabled` is false and every other call raises
:class:`~roboco_sql.errors.RagDisabled` with the reason, before touching anything.

Statements over fixed tables and the catalogs are named queries in ``sql/queries/rag.sql``. The
statements over the chunk tables are composed here with :mod:`psycopg.sql`: the table is chosen
per call among ten and an identifier cannot be a bind parameter, so a named query would need
one copy per table. The table names come from :class:`IndexType` only, never from input text.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import uuid
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from functools import cache
from typing import Annotated, Any, Final, TypeAlias

import psycopg
from pgvector import Vector
from pgvector.psycopg import register_vector_async
from psycopg import AsyncConnection, AsyncRawCursor, pq, sql
from psycopg import errors as pgerr
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Json, Jsonb
from psycopg_pool import AsyncConnectionPool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, field_validator

from roboco_sql import queries
from roboco_sql.config import Settings
from roboco_sql.errors import Conflict, NotFound, RagDisabled, ValidationError
from roboco_sql.models.knowledge import IndexedDocument, IndexType
from roboco_sql.repos._paging import checked_limit, checked_offset
from roboco_sql.validate import check_json, check_text, check_vector

__all__ = [
    "ACTIVE_TYPES",
    "DEFAULT_EF_SEARCH",
    "MAX_SCAN_TUPLES",
    "MENTOR_TYPES",
    "MIN_CHUNK_LENGTH",
    "ChunkIn",
    "ChunkTable",
    "Db",
    "DimensionMismatch",
    "Hit",
    "HybridHit",
    "IndexType",
    "RagStatus",
    "SourceEntry",
    "chunk_table",
    "clear_index",
    "count_chunks",
    "delete_source",
    "ensure_indexes",
    "hybrid_search",
    "keyword_search",
    "list_sources",
    "mentor_lookup",
    "rag_enabled",
    "rag_status",
    "replace_source",
    "search",
    "source_hash",
]

Db: TypeAlias = AsyncConnection[Any] | AsyncConnectionPool[Any]
"""What every function takes first: a connection (the caller owns its transaction) or a pool."""

ACTIVE_TYPES: Final[tuple[IndexType, ...]] = (
    IndexType.DOCUMENTATION,
    IndexType.JOURNALS,
    IndexType.ERRORS,
    IndexType.STANDARDS,
    IndexType.DECISIONS,
    IndexType.REVIEWS,
    IndexType.LEARNINGS,
    IndexType.PLAYBOOKS,
    IndexType.VAULT_NOTES,
)
"""RoboCo's 9 active index plugins (v0.29.0). ``code`` was retired (its table exists only if
made earlier); ``conversations`` went with messaging (060_drop_messaging drops its table)."""

MENTOR_TYPES: Final[tuple[IndexType, ...]] = (IndexType.JOURNALS, IndexType.LEARNINGS)
"""Where an agent's own experience lives; RoboCo keys both by ``metadata.agent_id``."""

MIN_CHUNK_LENGTH: Final = 100
"""RoboCo's vector store skips chunks shorter than this (characters) in every search."""

HNSW_M: Final = 16
HNSW_EF_CONSTRUCTION: Final = 200
"""Build-time candidate list (pgvector's default is 64). Measured on 100,000 clustered 384-dim
vectors: with 64, recall@10 at ef_search 100 was 0.97-0.99 depending on the data's shape; with
200 it was 1.000 even at ef_search 40, for a build 3-4x slower (about a minute here)."""

DEFAULT_EF_SEARCH: Final = 100
"""HNSW candidate list per query (pgvector's default is 40): recall@10 0.97 -> 0.999."""

MAX_SCAN_TUPLES: Final = 50_000
"""How far an iterative HNSW scan may go to fill k rows past a filter (pgvector: 20,000)."""

RRF_K: Final = 60
"""Reciprocal rank fusion constant: a hit's fused score is the sum of 1 / (RRF_K + rank)."""

HYBRID_CANDIDATES: Final = 50
"""Candidates taken from each side before fusion, as RoboCo's hybrid search does."""

MAX_QUERY_CHARS: Final = 10_000
MAX_QUERY_WORDS: Final = 1_000
"""A keyword query's bounds: websearch_to_tsquery of 100,000 words fails on the server
(statement too complex); a real question is a sentence or a paragraph."""

MAX_K: Final = 1000
HNSW_MAX_DIMENSIONS: Final = 2000
_HNSW_SINCE: Final = (0, 5, 0)
_ITERATIVE_SINCE: Final = (0, 8, 0)
_LOCK_KEY: Final = 0x7261675F726F62  # "rag_rob"; not the migration runner's key
_INT4_MAX: Final = 2**31 - 1

_Q = queries.load()


# -- models -----------------------------------------------------------------------------------


class RagStatus(BaseModel):
    """Whether the knowledge base can run here, and if not, why (one line)."""

    model_config = ConfigDict(frozen=True)

    enabled: bool
    reason: str | None = None
    version: str | None = None


class ChunkIn(BaseModel):
    """One chunk to store: its text, the caller's embedding of it, and free-form metadata."""

    model_config = ConfigDict(frozen=True)

    content: str = Field(min_length=1)
    embedding: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(min_length=1)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("content")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("text columns cannot hold NUL characters")
        return value

    def check(self, number: int) -> None:
        """What pydantic does not see: surrogates, float4 range and width, JSON depth/size."""
        check_text(f"chunks[{number}].content", self.content)
        check_vector(f"chunks[{number}].embedding", self.embedding)
        check_json(f"chunks[{number}].metadata", self.metadata)


class Hit(BaseModel):
    """One search result; ``score`` is 1 - cosine distance (vector), ts_rank (keyword), or the
    reciprocal-rank-fusion sum (hybrid)."""

    model_config = ConfigDict(frozen=True)

    index_type: IndexType
    id: int
    content: str
    source: str
    metadata: dict[str, JsonValue]
    created_at: AwareDatetime
    score: float


class HybridHit(Hit):
    """A fused result with what each side said: ranks are 1-based, None where a side missed it;
    ``similarity`` (1 - cosine distance) is given for every hit with an embedding."""

    similarity: float | None
    vector_rank: int | None
    keyword_rank: int | None


class SourceEntry(BaseModel):
    """One source of a chunk table, as its newest chunk shows it."""

    model_config = ConfigDict(frozen=True)

    source: str
    id: int
    indexed_at: AwareDatetime
    metadata: dict[str, JsonValue]


class ChunkTable(BaseModel):
    """What :func:`ensure_indexes` found and did for one index type."""

    model_config = ConfigDict(frozen=True)

    index_type: IndexType
    table: str
    dimensions: int
    created: bool
    built: list[str]
    dropped: list[str]


class DimensionMismatch(ValidationError):
    """Embeddings of one dimension met a chunk table made for another."""

    def __init__(self, table: str, table_dimensions: int | None, dimensions: int, message: str):
        self.table = table
        self.table_dimensions = table_dimensions
        self.dimensions = dimensions
        super().__init__(message)


# -- names and checks ---------------------------------------------------------------------------


def chunk_table(index_type: IndexType | str) -> str:
    """RoboCo's table for an index type: ``chunks_<type>``."""
    return f"chunks_{_kind(index_type).value}"


def source_hash(source: str) -> str:
    """``indexed_documents.source_hash`` as RoboCo computes it: SHA-256 hex of the source."""
    return hashlib.sha256(source.encode()).hexdigest()


def _kind(index_type: IndexType | str) -> IndexType:
    try:
        return IndexType(index_type)
    except ValueError:
        names = ", ".join(t.value for t in IndexType)
        raise ValidationError(f"unknown index type {index_type!r} (one of: {names})") from None


def _whole(name: str, value: int, low: int, high: int) -> int:
    """An integer argument within [low, high]; None, bool, float and str are refused too."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be between {low} and {high}, got {value!r}")
    return value


def _check_k(k: int, name: str = "k") -> None:
    _whole(name, k, 1, MAX_K)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


# -- statements over the chunk tables ----------------------------------------------------------
# Composed once per (statement, table) and cached as bytes; run on raw cursors with $n
# placeholders like the named queries, and labelled the same way for pg_stat_statements.

_FILTERS = """
      AND length({a}content) >= $2
      AND ($3::text IS NULL OR {a}source = $3::text)
      AND ($4::jsonb IS NULL OR {a}metadata @> $4::jsonb)"""

_TEMPLATES: Final[dict[str, str]] = {
    # relaxed_order iterative scans may return rows slightly out of order: the materialized CTE
    # takes the k nearest that pass the filters, the outer query puts them back in order.
    "search": """
WITH hits AS MATERIALIZED (
    SELECT id, content, source, metadata, created_at, embedding <=> $1 AS distance
    FROM {t}
    WHERE embedding IS NOT NULL"""
    + _FILTERS.format(a="")
    + """
    ORDER BY embedding <=> $1
    LIMIT $5
)
SELECT id, content, source, metadata, created_at, 1 - distance AS score
FROM hits
ORDER BY distance, id""",
    "keyword_search": """
SELECT c.id, c.content, c.source, c.metadata, c.created_at,
       ts_rank(c.tsv, q.query)::float8 AS score
FROM {t} AS c, websearch_to_tsquery('english', $1) AS q(query)
WHERE c.tsv @@ q.query"""
    + _FILTERS.format(a="c.")
    + """
ORDER BY score DESC, c.id
LIMIT $5""",
    "hybrid_search": """
WITH vec AS MATERIALIZED (
    SELECT id, embedding <=> $6 AS distance
    FROM {t}
    WHERE embedding IS NOT NULL"""
    + _FILTERS.format(a="")
    + """
    ORDER BY embedding <=> $6
    LIMIT $5
),
vec_ranked AS (
    SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM vec
),
kw AS MATERIALIZED (
    SELECT c.id, ts_rank(c.tsv, q.query) AS rank_score
    FROM {t} AS c, websearch_to_tsquery('english', $1) AS q(query)
    WHERE c.tsv @@ q.query"""
    + _FILTERS.format(a="c.")
    + """
    ORDER BY rank_score DESC, c.id
    LIMIT $5
),
kw_ranked AS (
    SELECT id, row_number() OVER (ORDER BY rank_score DESC, id) AS rank FROM kw
),
fused AS (
    SELECT COALESCE(v.id, w.id) AS id, v.rank AS vector_rank, w.rank AS keyword_rank,
           COALESCE(1.0::float8 / ($7::int + v.rank), 0)
             + COALESCE(1.0::float8 / ($7::int + w.rank), 0) AS score
    FROM vec_ranked AS v FULL JOIN kw_ranked AS w ON w.id = v.id
)
SELECT c.id, c.content, c.source, c.metadata, c.created_at, f.score,
       1 - (c.embedding <=> $6) AS similarity, f.vector_rank, f.keyword_rank
FROM fused AS f JOIN {t} AS c ON c.id = f.id
ORDER BY f.score DESC, f.id
LIMIT $8""",
    "delete_source": "DELETE FROM {t} WHERE source = $1",
    "count_chunks": "SELECT count(*) FROM {t}",
    "clear_chunks": "DELETE FROM {t}",
    # one row per source: its newest chunk (RoboCo's document list of an index)
    "list_sources": """
SELECT source, id, created_at AS indexed_at, metadata
FROM (SELECT DISTINCT ON (source) source, id, created_at, metadata
      FROM {t} ORDER BY source, created_at DESC, id DESC) AS newest
ORDER BY source
OFFSET $1 LIMIT $2""",
    "copy_chunks": "COPY {t} (content, source, embedding, metadata) FROM STDIN (FORMAT BINARY)",
    "create_table": """
CREATE TABLE IF NOT EXISTS {t} (
    id         BIGSERIAL PRIMARY KEY,
    content    TEXT        NOT NULL,
    source     TEXT        NOT NULL,
    embedding  vector({dims}),
    metadata   JSONB       NOT NULL DEFAULT '{{}}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    tsv        tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED
)""",
    # the same column migration 031 adds to tables RoboCo made before full-text search
    "add_tsv": """
ALTER TABLE {t} ADD COLUMN IF NOT EXISTS tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('english', content)) STORED""",
    "add_created_at": """
ALTER TABLE {t} ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT now()""",
}

# The mentor lookup is one statement over several tables; its arm per table:
_MENTOR_ARM = """
{name} AS MATERIALIZED (
    SELECT {kind}::text AS index_type, id, content, source, metadata, created_at,
           embedding <=> $1 AS distance
    FROM {t}
    WHERE embedding IS NOT NULL AND length(content) >= $2 AND metadata @> $3::jsonb
    ORDER BY embedding <=> $1
    LIMIT $4
)"""


@cache
def _stmt(name: str, table: str, dims: int = 0) -> bytes:
    body = sql.SQL(_TEMPLATES[name]).format(t=sql.Identifier(table), dims=sql.Literal(dims))
    label = sql.SQL(f"/* rag.py:{name} {table} */")
    return sql.Composed([label, body]).as_bytes(None)


@cache
def _mentor_stmt(kinds: tuple[IndexType, ...]) -> bytes:
    arms = sql.SQL(",").join(
        sql.SQL(_MENTOR_ARM).format(
            name=sql.Identifier(f"hits_{kind.value}"),
            kind=sql.Literal(kind.value),
            t=sql.Identifier(chunk_table(kind)),
        )
        for kind in kinds
    )
    union = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT * FROM {}").format(sql.Identifier(f"hits_{kind.value}")) for kind in kinds
    )
    tables = " ".join(chunk_table(k) for k in kinds)
    return sql.Composed(
        [
            sql.SQL(f"/* rag.py:mentor_lookup {tables} */\nWITH"),
            arms,
            sql.SQL(
                "\nSELECT index_type, id, content, source, metadata, created_at, "
                "1 - distance AS score\nFROM ("
            ),
            union,
            sql.SQL(") AS u\nORDER BY distance, index_type, id\nLIMIT $4"),
        ]
    ).as_bytes(None)


def _index_ddl(table: str, name: str, *, concurrently: bool) -> sql.Composed:
    how = sql.SQL("CONCURRENTLY ") if concurrently else sql.SQL("")
    using = {
        "hnsw": sql.SQL(
            f"USING hnsw (embedding vector_cosine_ops) WITH (m = {HNSW_M}, "
            f"ef_construction = {HNSW_EF_CONSTRUCTION})"
        ),
        "tsv": sql.SQL("USING gin (tsv)"),
        "source": sql.SQL("(source)"),
    }[name]
    return sql.SQL("CREATE INDEX {}IF NOT EXISTS {} ON {} {}").format(
        how, sql.Identifier(_index_name(table, name)), sql.Identifier(table), using
    )


def _index_name(table: str, name: str) -> str:
    return {
        "hnsw": f"{table}_embedding_hnsw_idx",
        "tsv": f"{table}_tsv_idx",  # RoboCo's name (and migration 031's)
        "source": f"{table}_source_idx",
        "ivfflat": f"{table}_embedding_idx",  # RoboCo's IVFFlat index
    }[name]


# -- connections, the pgvector guard, error translation -----------------------------------------


@asynccontextmanager
async def _connection(db: Db) -> AsyncIterator[AsyncConnection[Any]]:
    if isinstance(db, AsyncConnectionPool):
        async with db.connection() as conn:
            yield conn
    else:
        yield db


# Per connection: the pgvector version found when its types were registered. Connections are
# long-lived (pools keep them), so the guard costs one catalog read per connection, not per call.
_ready: weakref.WeakKeyDictionary[AsyncConnection[Any], tuple[int, ...]] = (
    weakref.WeakKeyDictionary()
)


async def _read_status(conn: AsyncConnection[Any]) -> tuple[RagStatus, bool]:
    """The status without side effects, and whether the server could install pgvector."""
    row = await queries.fetch_one(conn, _Q["rag_pgvector_status"], dict_row)
    assert row is not None
    installed: str | None = row["installed"]
    available: bool = row["available"]
    if installed:
        if _version(installed) < _HNSW_SINCE:
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


async def _require(conn: AsyncConnection[Any]) -> tuple[int, ...]:
    """Raise RagDisabled unless pgvector is here; teach the connection its types once."""
    version = _ready.get(conn)
    if version is not None:
        return version
    status, _ = await _read_status(conn)
    if not status.enabled:
        raise RagDisabled(f"RAG is disabled: {status.reason}")
    assert status.version is not None
    await register_vector_async(conn)
    version = _ready[conn] = _version(status.version)
    return version


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
    status, _ = await _read_status(conn)
    return status


_DIMS = re.compile(
    r"different vector dimensions (\d+) and (\d+)|expected (\d+) dimensions, not (\d+)"
)
_RELATION = re.compile(r'relation "([^"]+)" does not exist')


@contextmanager
def _translated(table: str, query_dims: int | None = None) -> Iterator[None]:
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
        _ready.clear()  # every connection checks again on its next call
        raise RagDisabled(
            f"RAG is disabled: pgvector was removed from the database ({why})"
        ) from exc


async def _set_scan(
    conn: AsyncConnection[Any], version: tuple[int, ...], k: int, ef: int, max_scan: int
) -> None:
    """Per-transaction HNSW settings (SET LOCAL): a wider candidate list, iterative scans so a
    filtered query still fills k rows, and custom plans so LIMIT and filters are planned with
    their values rather than a generic plan's guesses."""
    ef_search = str(min(1000, max(ef, k)))
    async with AsyncRawCursor(conn) as cur:
        if version >= _ITERATIVE_SINCE:
            await cur.execute(
                "SELECT set_config('hnsw.ef_search', $1, true), "
                "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                "set_config('hnsw.max_scan_tuples', $2, true), "
                "set_config('plan_cache_mode', 'force_custom_plan', true)",
                (ef_search, str(max_scan)),
            )
        else:
            await cur.execute(
                "SELECT set_config('hnsw.ef_search', $1, true), "
                "set_config('plan_cache_mode', 'force_custom_plan', true)",
                (ef_search,),
            )


def _filters(source: str | None, metadata: Mapping[str, JsonValue] | None) -> tuple[object, object]:
    if source is not None:
        check_text("source", source)
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise ValidationError("metadata must be a JSON object (a mapping)")
        check_json("metadata", metadata)
    return source, (Jsonb(dict(metadata)) if metadata else None)


def _keywords(text: str) -> str:
    """A keyword query PostgreSQL can parse: text, no NUL or surrogate, bounded in size."""
    if not isinstance(text, str):
        raise ValidationError("text must be a string")
    check_text("text", text)
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(
            f"text is {len(text)} characters; a keyword query takes at most {MAX_QUERY_CHARS}"
        )
    if (words := len(text.split())) > MAX_QUERY_WORDS:
        raise ValidationError(
            f"text has {words} words; a keyword query takes at most {MAX_QUERY_WORDS}"
        )
    return text


async def _run_search(
    db: Db,
    table: str,
    stmt: bytes,
    args: Sequence[object],
    *,
    k: int,
    ef_search: int,
    max_scan_tuples: int,
    vector: bool = True,
    query_dims: int | None = None,
) -> list[dict[str, Any]]:
    """One read in one round trip: BEGIN/SAVEPOINT, the scan settings, the query, COMMIT."""
    _whole("ef_search", ef_search, 1, _INT4_MAX)
    _whole("max_scan_tuples", max_scan_tuples, 1, _INT4_MAX)
    with _translated(table, query_dims):
        # pipeline outermost: BEGIN (or SAVEPOINT) is queued with the rest, not sent alone
        async with _connection(db) as conn, conn.pipeline(), queries.atomic(conn):
            version = await _require(conn)  # no query once this connection was checked
            if vector:
                await _set_scan(conn, version, k, ef_search, max_scan_tuples)
            async with AsyncRawCursor(conn, row_factory=dict_row) as cur:
                await cur.execute(stmt, args)
                return await cur.fetchall()


# -- status --------------------------------------------------------------------------------------


async def rag_status(db: Db) -> RagStatus:
    """Whether RAG can run on this database and, when not, the one-line reason. No side effects."""
    async with _connection(db) as conn:
        status, _ = await _read_status(conn)
        return status


async def rag_enabled(db: Db) -> bool:
    """True when pgvector (0.5 or later, for HNSW) is installed in this database."""
    return (await rag_status(db)).enabled


# -- tables and indexes ------------------------------------------------------------------------


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
    kinds = list(dict.fromkeys(_kind(t) for t in types))
    async with _connection(db) as conn:
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            status, _ = await _read_status(conn)  # a read; the caller's transaction goes on
            if not status.enabled:
                raise RagDisabled(f"RAG is disabled: {status.reason}")
            raise ValidationError(
                "ensure_indexes() needs a pool or an idle connection: it builds indexes "
                "concurrently, which cannot happen inside a transaction"
            )
        async with _autocommit(conn):
            status, available = await _read_status(conn)
            if not status.enabled and available and status.version is None:
                status = await _create_extension(conn)
            if not status.enabled:
                raise RagDisabled(f"RAG is disabled: {status.reason}")
            _ready.pop(conn, None)  # the extension may be new to this connection
            await _require(conn)
            await _lock(conn)
            try:
                return [await _ensure_table(conn, kind, dims, hnsw) for kind in kinds]
            finally:
                if not conn.closed:
                    await queries.fetch_scalar(conn, _Q["rag_unlock"], bool, key=_LOCK_KEY)


async def _lock(conn: AsyncConnection[Any], deadline: float = 600.0) -> None:
    """Take the index-building lock by polling, with jitter, up to deadline seconds."""
    waited, delay = 0.0, 0.05
    while not await queries.fetch_scalar(conn, _Q["rag_try_lock"], bool, key=_LOCK_KEY):
        if waited >= deadline:
            raise Conflict(f"another process has been building RAG indexes for {deadline:g}s")
        pause = delay * random.uniform(0.5, 1.5)
        await asyncio.sleep(pause)
        waited, delay = waited + pause, min(delay * 2, 1.0)


_REQUIRED = {"content": "text", "source": "text", "embedding": "vector", "metadata": "jsonb"}


async def _ensure_table(
    conn: AsyncConnection[Any], kind: IndexType, dims: int, hnsw: bool
) -> ChunkTable:
    table = chunk_table(kind)
    columns = {
        r["name"]: r
        for r in await queries.fetch_all(conn, _Q["rag_table_columns"], dict_row, table=table)
    }
    wanted = ("tsv", "source", "hnsw") if hnsw else ("tsv", "source")
    if not columns:
        async with queries.atomic(conn):
            await conn.execute(_stmt("create_table", table, dims))
            for name in wanted:
                await conn.execute(_index_ddl(table, name, concurrently=False))
        return ChunkTable(
            index_type=kind,
            table=table,
            dimensions=dims,
            created=True,
            built=[_index_name(table, n) for n in wanted],
            dropped=[],
        )

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
    if "created_at" not in columns:
        await conn.execute(_stmt("add_created_at", table))
    if "tsv" not in columns:
        await conn.execute(_stmt("add_tsv", table))

    indexes = {
        r["name"]: r
        for r in await queries.fetch_all(conn, _Q["rag_table_indexes"], dict_row, table=table)
    }
    built: list[str] = []
    dropped: list[str] = []
    for name in wanted:
        index = _index_name(table, name)
        found = indexes.get(index)
        if found is not None and found["valid"]:
            continue
        if found is not None:  # left invalid by an interrupted concurrent build
            await conn.execute(
                sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(index))
            )
        await conn.execute(_index_ddl(table, name, concurrently=True))
        built.append(index)
    ivfflat = _index_name(table, "ivfflat")
    if hnsw and ivfflat in indexes and indexes[ivfflat]["method"] == "ivfflat":
        await conn.execute(
            sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(ivfflat))
        )
        dropped.append(ivfflat)
    return ChunkTable(
        index_type=kind, table=table, dimensions=dims, created=False, built=built, dropped=dropped
    )


# -- ingest --------------------------------------------------------------------------------------


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
    kind = _kind(index_type)
    table = chunk_table(kind)
    if not source or len(source) > 1000:
        raise ValidationError(f"source must be 1 to 1000 characters, got {len(source)}")
    check_text("source", source)
    if title is not None and len(title) > 500:
        raise ValidationError(f"title must be at most 500 characters, got {len(title)}")
    if title is not None:
        check_text("title", title)
    check_json("extra_data", dict(extra_data or {}))
    for number, chunk in enumerate(chunks):
        chunk.check(number)
    digest = source_hash(source)
    with _translated(table):
        async with _connection(db) as conn, queries.atomic(conn):
            await _require(conn)
            async with AsyncRawCursor(conn) as cur:
                await cur.execute(_stmt("delete_source", table), (source,))
                if chunks:
                    async with cur.copy(_stmt("copy_chunks", table)) as copy:
                        copy.set_types(["text", "text", "vector", "jsonb"])
                        for chunk in chunks:
                            await copy.write_row(
                                (chunk.content, source, chunk.embedding, chunk.metadata)
                            )
            if not chunks:
                await queries.execute_rows(
                    conn, _Q["rag_delete_document"], index_type=kind.value, source_hash=digest
                )
                return None
            return await queries.fetch_one(
                conn,
                _Q["rag_upsert_document"],
                class_row(IndexedDocument),
                index_type=kind.value,
                source=source,
                source_hash=digest,
                title=title,
                preview=chunks[0].content[:500].strip() or None,
                chunk_count=len(chunks),
                extra_data=Json(dict(extra_data or {})),
            )


async def delete_source(db: Db, index_type: IndexType | str, source: str) -> int:
    """Remove one source's chunks and its ``indexed_documents`` row; the chunks removed."""
    check_text("source", source)
    kind = _kind(index_type)
    table = chunk_table(kind)
    with _translated(table):
        async with _connection(db) as conn, queries.atomic(conn):
            await _require(conn)
            async with AsyncRawCursor(conn) as cur:
                await cur.execute(_stmt("delete_source", table), (source,))
                removed = cur.rowcount
            await queries.execute_rows(
                conn,
                _Q["rag_delete_document"],
                index_type=kind.value,
                source_hash=source_hash(source),
            )
            return removed


async def count_chunks(db: Db, index_type: IndexType | str) -> int:
    """How many chunks an index holds (RoboCo's index stats)."""
    table = chunk_table(index_type)
    with _translated(table):
        async with _connection(db) as conn:
            await _require(conn)
            async with AsyncRawCursor(conn) as cur:
                await cur.execute(_stmt("count_chunks", table))
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
    with _translated(table):
        async with _connection(db) as conn:
            await _require(conn)
            async with AsyncRawCursor(conn, row_factory=dict_row) as cur:
                await cur.execute(_stmt("list_sources", table), (start, size))
                rows = await cur.fetchall()
    return [SourceEntry(**row) for row in rows]


async def clear_index(db: Db, index_type: IndexType | str) -> int:
    """Empty an index: every chunk and every `indexed_documents` row of its type go in one
    transaction (the table and its indexes stay); the chunks removed."""
    kind = _kind(index_type)
    table = chunk_table(kind)
    with _translated(table):
        async with _connection(db) as conn, queries.atomic(conn):
            await _require(conn)
            async with AsyncRawCursor(conn) as cur:
                await cur.execute(_stmt("clear_chunks", table))
                removed = cur.rowcount
            await queries.execute_rows(conn, _Q["rag_clear_documents"], index_type=kind.value)
            return removed


# -- search --------------------------------------------------------------------------------------


def _embedding(embedding: Sequence[float]) -> Vector:
    """The query vector pgvector can compare: at most 16000 finite float4 values, not all
    zero (a zero vector's cosine distance is NaN, which would rank as noise)."""
    return Vector(check_vector("embedding", embedding, nonzero=True))


async def search(
    db: Db,
    index_type: IndexType | str,
    embedding: Sequence[float],
    k: int = 10,
    *,
    source: str | None = None,
    metadata: Mapping[str, JsonValue] | None = None,
    min_length: int = MIN_CHUNK_LENGTH,
    ef_search: int = DEFAULT_EF_SEARCH,
    max_scan_tuples: int = MAX_SCAN_TUPLES,
) -> list[Hit]:
    """The k chunks nearest to ``embedding`` by cosine distance, best first; score = 1 - distance.

    ``source`` keeps one source's chunks; ``metadata`` keeps chunks whose metadata contains it
    (JSONB ``@>``: ``{"agent_id": "..."}``). Filters do not cost rows: the HNSW scan goes on
    iteratively (pgvector 0.8) until k chunks pass them or ``max_scan_tuples`` were visited.
    Chunks shorter than ``min_length`` characters are skipped, as RoboCo does.
    """
    kind = _kind(index_type)
    _check_k(k)
    _whole("min_length", min_length, 0, _INT4_MAX)
    table = chunk_table(kind)
    query = _embedding(embedding)
    src, meta = _filters(source, metadata)
    rows = await _run_search(
        db,
        table,
        _stmt("search", table),
        (query, min_length, src, meta, k),
        k=k,
        ef_search=ef_search,
        max_scan_tuples=max_scan_tuples,
        query_dims=query.dimensions(),
    )
    return [Hit(index_type=kind, **row) for row in rows]


async def keyword_search(
    db: Db,
    index_type: IndexType | str,
    text: str,
    k: int = 10,
    *,
    source: str | None = None,
    metadata: Mapping[str, JsonValue] | None = None,
    min_length: int = MIN_CHUNK_LENGTH,
) -> list[Hit]:
    """Full-text search over ``tsv`` with ``websearch_to_tsquery('english', text)`` (quotes,
    ``or``, ``-word``); score = ``ts_rank``. Text without search terms finds nothing."""
    kind = _kind(index_type)
    _check_k(k)
    _whole("min_length", min_length, 0, _INT4_MAX)
    table = chunk_table(kind)
    text = _keywords(text)
    src, meta = _filters(source, metadata)
    rows = await _run_search(
        db,
        table,
        _stmt("keyword_search", table),
        (text, min_length, src, meta, k),
        k=k,
        ef_search=DEFAULT_EF_SEARCH,
        max_scan_tuples=MAX_SCAN_TUPLES,
        vector=False,
    )
    return [Hit(index_type=kind, **row) for row in rows]


async def hybrid_search(
    db: Db,
    index_type: IndexType | str,
    embedding: Sequence[float],
    text: str,
    k: int = 10,
    *,
    source: str | None = None,
    metadata: Mapping[str, JsonValue] | None = None,
    min_length: int = MIN_CHUNK_LENGTH,
    candidates: int = HYBRID_CANDIDATES,
    rrf_k: int = RRF_K,
    ef_search: int = DEFAULT_EF_SEARCH,
    max_scan_tuples: int = MAX_SCAN_TUPLES,
) -> list[HybridHit]:
    """Vector and keyword candidates (``candidates`` from each, under the same filters) fused
    by reciprocal rank: score = sum over the sides that found a chunk of 1 / (rrf_k + rank).
    A chunk both sides found ranks above one only either found at the same rank."""
    kind = _kind(index_type)
    _check_k(k)
    _whole("min_length", min_length, 0, _INT4_MAX)
    _check_k(candidates, "candidates")
    _whole("rrf_k", rrf_k, 0, _INT4_MAX)
    table = chunk_table(kind)
    query = _embedding(embedding)
    text = _keywords(text)
    src, meta = _filters(source, metadata)
    pool = max(candidates, k)
    rows = await _run_search(
        db,
        table,
        _stmt("hybrid_search", table),
        (text, min_length, src, meta, pool, query, rrf_k, k),
        k=pool,
        ef_search=ef_search,
        max_scan_tuples=max_scan_tuples,
        query_dims=query.dimensions(),
    )
    return [HybridHit(index_type=kind, **row) for row in rows]


async def mentor_lookup(
    db: Db,
    agent: uuid.UUID | str,
    embedding: Sequence[float],
    k: int = 5,
    *,
    types: Sequence[IndexType | str] = MENTOR_TYPES,
    min_length: int = MIN_CHUNK_LENGTH,
    ef_search: int = DEFAULT_EF_SEARCH,
    max_scan_tuples: int = MAX_SCAN_TUPLES,
) -> list[Hit]:
    """An agent's own journal and learnings chunks nearest to ``embedding``, best first.

    RoboCo stamps both kinds with ``metadata.agent_id`` = the agent's UUID as a string; each
    table gives its k nearest of that agent's chunks and the best k of them are returned.
    """
    kinds = tuple(dict.fromkeys(_kind(t) for t in types))
    if not kinds:
        raise ValidationError("mentor_lookup needs at least one index type")
    _check_k(k)
    _whole("min_length", min_length, 0, _INT4_MAX)
    agent_id = str(agent).strip()
    if not agent_id:
        raise ValidationError("mentor_lookup needs an agent id")
    check_text("agent", agent_id)
    query = _embedding(embedding)
    rows = await _run_search(
        db,
        chunk_table(kinds[0]),
        _mentor_stmt(kinds),
        (query, min_length, Jsonb({"agent_id": agent_id}), k),
        k=k,
        ef_search=ef_search,
        max_scan_tuples=max_scan_tuples,
        query_dims=query.dimensions(),
    )
    return [Hit(**row) for row in rows]
