"""The knowledge base's fixed numbers: which index types, HNSW's build and scan settings, and
the bounds every search argument is held to."""

from __future__ import annotations

from typing import Final

from roboco_sql.models.knowledge import IndexType

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
200 it was 0.98-1.000 at ef_search 40 over 12 builds of the bench's topical data, for a build
3-4x slower (about a minute here). No two builds make the same graph: pgvector draws each
element's level at random."""

HNSW_MAX_DIMENSIONS: Final = 2000
"""The widest ``vector`` an HNSW index takes."""

DEFAULT_EF_SEARCH: Final = 100
"""HNSW candidate list per query (pgvector's default is 40). Recall@10 on the bench's topical
100,000 x 384 data over 12 builds: 0.985-1.000 (1.000 on 9 builds; a build's misses are whole
queries whose search settles in a neighbouring cluster); at 40 0.98-1.000, at 200 0.995-1.000,
at 400 1.000 on every build, for a p50 of 2.2 ms here (3.7 ms at 200)."""

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
"""The most results (or candidates) one search returns."""
