"""Finding chunks: nearest by vector, by keywords, both fused by reciprocal rank, and an
agent's own experience across its journal and learnings tables.

Each search is one read in one round trip: the HNSW settings go in with the query as SET LOCAL
of its own transaction (or a savepoint of the caller's).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pgvector import Vector
from psycopg import AsyncConnection, AsyncRawCursor
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import JsonValue

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.knowledge import IndexType
from roboco_sql.rag.availability import connection, require, translated
from roboco_sql.rag.checks import (
    check_k,
    chunk_table,
    filters,
    keywords,
    kind,
    query_vector,
    whole,
)
from roboco_sql.rag.limits import (
    DEFAULT_EF_SEARCH,
    HYBRID_CANDIDATES,
    MAX_SCAN_TUPLES,
    MENTOR_TYPES,
    MIN_CHUNK_LENGTH,
    RRF_K,
)
from roboco_sql.rag.model import Db, Hit, HybridHit
from roboco_sql.rag.statements import mentor_stmt, stmt
from roboco_sql.repos._checks import INT4_MAX
from roboco_sql.validate import check_text

_ITERATIVE_SINCE: Final = (0, 8, 0)


def _scope(
    index_type: IndexType | str,
    k: int,
    min_length: int,
    source: str | None,
    metadata: Mapping[str, JsonValue] | None,
) -> tuple[IndexType, str, tuple[object, object, object]]:
    """What every single-table search checks first: the index type and its table, k, and the
    filters as the bind values $2-$4 (min_length, source, metadata)."""
    index = kind(index_type)
    check_k(k)
    whole("min_length", min_length, 0, INT4_MAX)
    return index, chunk_table(index), (min_length, *filters(source, metadata))


@dataclass(frozen=True, slots=True)
class _Scan:
    """What a vector search asks of the HNSW scan: its query vector, the rows it must fill
    (``ef_search`` is raised to at least that many) and the two scan settings."""

    query: Vector
    rows: int
    ef_search: int
    max_scan_tuples: int


def _scan(query: Vector, rows: int, ef_search: int, max_scan_tuples: int) -> _Scan:
    """The scan, its settings checked (by the caller's parameter names) before any SQL."""
    whole("ef_search", ef_search, 1, INT4_MAX)
    whole("max_scan_tuples", max_scan_tuples, 1, INT4_MAX)
    return _Scan(query, rows, ef_search, max_scan_tuples)


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
    index, table, where = _scope(index_type, k, min_length, source, metadata)
    scan = _scan(query_vector(embedding), k, ef_search, max_scan_tuples)
    rows = await _run_search(db, table, stmt("search", table), (scan.query, *where, k), scan)
    return [Hit(index_type=index, **row) for row in rows]


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
    index, table, where = _scope(index_type, k, min_length, source, metadata)
    rows = await _run_search(db, table, stmt("keyword_search", table), (keywords(text), *where, k))
    return [Hit(index_type=index, **row) for row in rows]


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
    index, table, where = _scope(index_type, k, min_length, source, metadata)
    check_k(candidates, "candidates")
    whole("rrf_k", rrf_k, 0, INT4_MAX)
    query = query_vector(embedding)
    text = keywords(text)
    pool = max(candidates, k)
    scan = _scan(query, pool, ef_search, max_scan_tuples)
    args = (text, *where, pool, query, rrf_k, k)
    rows = await _run_search(db, table, stmt("hybrid_search", table), args, scan)
    return [HybridHit(index_type=index, **row) for row in rows]


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
    kinds = tuple(dict.fromkeys(kind(t) for t in types))
    if not kinds:
        raise ValidationError("mentor_lookup needs at least one index type")
    check_k(k)
    whole("min_length", min_length, 0, INT4_MAX)
    agent_id = str(agent).strip()
    if not agent_id:
        raise ValidationError("mentor_lookup needs an agent id")
    check_text("agent", agent_id)
    scan = _scan(query_vector(embedding), k, ef_search, max_scan_tuples)
    args = (scan.query, min_length, Jsonb({"agent_id": agent_id}), k)
    rows = await _run_search(db, chunk_table(kinds[0]), mentor_stmt(kinds), args, scan)
    return [Hit(**row) for row in rows]


async def _set_scan(conn: AsyncConnection[Any], version: tuple[int, ...], scan: _Scan) -> None:
    """Per-transaction HNSW settings (SET LOCAL): a wider candidate list, iterative scans so a
    filtered query still fills its rows, and custom plans so LIMIT and filters are planned with
    their values rather than a generic plan's guesses."""
    ef_search = str(min(1000, max(scan.ef_search, scan.rows)))
    async with AsyncRawCursor(conn) as cur:
        if version >= _ITERATIVE_SINCE:
            await cur.execute(
                "SELECT set_config('hnsw.ef_search', $1, true), "
                "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                "set_config('hnsw.max_scan_tuples', $2, true), "
                "set_config('plan_cache_mode', 'force_custom_plan', true)",
                (ef_search, str(scan.max_scan_tuples)),
            )
        else:
            await cur.execute(
                "SELECT set_config('hnsw.ef_search', $1, true), "
                "set_config('plan_cache_mode', 'force_custom_plan', true)",
                (ef_search,),
            )


async def _run_search(
    db: Db,
    table: str,
    statement: bytes,
    args: Sequence[object],
    scan: _Scan | None = None,
) -> list[dict[str, Any]]:
    """One read in one round trip: BEGIN/SAVEPOINT, the scan settings, the query, COMMIT.

    A vector search's HNSW scan settings go first, and its query's width tells which operand
    is which in a dimension-mismatch error; a keyword search has neither.
    """
    with translated(table, scan.query.dimensions() if scan is not None else None):
        # pipeline outermost: BEGIN (or SAVEPOINT) is queued with the rest, not sent alone
        async with connection(db) as conn, conn.pipeline(), queries.atomic(conn):
            version = await require(conn)  # no query once this connection was checked
            if scan is not None:
                await _set_scan(conn, version, scan)
            async with AsyncRawCursor(conn, row_factory=dict_row) as cur:
                await cur.execute(statement, args)
                return await cur.fetchall()
