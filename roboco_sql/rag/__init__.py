"""The pgvector knowledge base: RoboCo's ``chunks_<type>`` tables, HNSW-indexed, searched.

Every function takes a connection or a pool first. With a connection the caller owns the
transaction: writes run in a savepoint of it, or in a transaction of their own when none is open.
Without pgvector, :func:`rag_enabled` is false and every other call raises
:class:`~roboco_sql.errors.RagDisabled` with the reason, before touching anything. Embeddings
come from the caller.

One concept per module: ``availability`` (the pgvector guard and switch-off), ``limits`` and
``model`` (numbers and types), ``checks`` (argument checks), ``statements`` (the SQL over the
chunk tables), ``indexes`` (tables and HNSW indexes), ``ingest`` (sources in and out),
``admin`` (counts, source lists, emptying an index) and ``searches``. Everything public is
importable from here.
"""

from __future__ import annotations

from roboco_sql.models.knowledge import IndexType
from roboco_sql.rag.admin import clear_index, count_chunks, list_sources
from roboco_sql.rag.availability import rag_enabled, rag_status
from roboco_sql.rag.checks import chunk_table, query_vector, source_hash
from roboco_sql.rag.indexes import ensure_indexes
from roboco_sql.rag.ingest import delete_source, replace_source
from roboco_sql.rag.limits import (
    ACTIVE_TYPES,
    DEFAULT_EF_SEARCH,
    HNSW_EF_CONSTRUCTION,
    HNSW_M,
    HNSW_MAX_DIMENSIONS,
    HYBRID_CANDIDATES,
    MAX_K,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    MAX_SCAN_TUPLES,
    MENTOR_TYPES,
    MIN_CHUNK_LENGTH,
    RRF_K,
)
from roboco_sql.rag.model import (
    ChunkIn,
    ChunkTable,
    Db,
    DimensionMismatch,
    Hit,
    HybridHit,
    RagStatus,
    SourceEntry,
)
from roboco_sql.rag.searches import hybrid_search, keyword_search, mentor_lookup, search
from roboco_sql.rag.statements import stmt

__all__ = [
    "ACTIVE_TYPES",
    "DEFAULT_EF_SEARCH",
    "HNSW_EF_CONSTRUCTION",
    "HNSW_M",
    "HNSW_MAX_DIMENSIONS",
    "HYBRID_CANDIDATES",
    "MAX_K",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_WORDS",
    "MAX_SCAN_TUPLES",
    "MENTOR_TYPES",
    "MIN_CHUNK_LENGTH",
    "RRF_K",
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

# Private, for tests and benchmarks that EXPLAIN a search exactly as it runs: the composed
# statement and the query vector as the searches bind it.
_stmt = stmt
_embedding = query_vector
