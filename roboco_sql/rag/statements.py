"""The statements over the chunk tables, composed with :mod:`psycopg.sql`.

The table is chosen per call among ten and an identifier cannot be a bind parameter, so a named
query would need one copy per table; these are written once and composed per (statement,
table), then cached as bytes. They run on raw cursors with $n placeholders like the named
queries, and carry the same kind of leading label for pg_stat_statements. Statements over fixed
tables and the catalogs are named queries in ``sql/queries/rag.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Final

from psycopg import AsyncConnection, AsyncRawCursor, sql

from roboco_sql.models.knowledge import IndexType
from roboco_sql.rag.checks import chunk_table
from roboco_sql.rag.limits import HNSW_EF_CONSTRUCTION, HNSW_M

_LABEL: Final = "rag/statements.py"

_FILTERS = """
      AND length({a}content) >= $2
      AND ($3::text IS NULL OR {a}source = $3::text)
      AND ($4::jsonb IS NULL OR {a}metadata @> $4::jsonb)"""
_FILTERED: Final = _FILTERS.format(a="")
_FILTERED_C: Final = _FILTERS.format(a="c.")


def _nearest(columns: str, query: str, where: str, limit: str) -> str:
    """The `limit` chunks nearest to the vector `query` by cosine distance: the one shape the
    HNSW index serves (ORDER BY the distance operator, then LIMIT). Vector search, hybrid
    search's vector side and every arm of the mentor lookup are this."""
    return f"""
    SELECT {columns}, embedding <=> {query} AS distance
    FROM {{t}}
    WHERE embedding IS NOT NULL{where}
    ORDER BY embedding <=> {query}
    LIMIT {limit}"""


def _matching(columns: str) -> str:
    """The $5 chunks whose ``tsv`` matches the keyword query $1 under the filters, best
    ``ts_rank`` first: keyword search, and hybrid search's keyword side."""
    return f"""
    SELECT {columns}, ts_rank(c.tsv, q.query)::float8 AS score
    FROM {{t}} AS c, websearch_to_tsquery('english', $1) AS q(query)
    WHERE c.tsv @@ q.query{_FILTERED_C}
    ORDER BY score DESC, c.id
    LIMIT $5"""


_ROW = "id, content, source, metadata, created_at"

_TSV = "tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED"

_TEMPLATES: Final[dict[str, str]] = {
    # relaxed_order iterative scans may return rows slightly out of order: the materialized CTE
    # takes the k nearest that pass the filters, the outer query puts them back in order.
    "search": "WITH hits AS MATERIALIZED ("
    + _nearest(_ROW, "$1", _FILTERED, "$5")
    + f"""
)
SELECT {_ROW}, 1 - distance AS score
FROM hits
ORDER BY distance, id""",
    "keyword_search": _matching(f"c.{_ROW.replace(', ', ', c.')}"),
    "hybrid_search": "WITH vec AS MATERIALIZED ("
    + _nearest("id", "$6", _FILTERED, "$5")
    + """
),
vec_ranked AS (
    SELECT id, row_number() OVER (ORDER BY distance, id) AS rank FROM vec
),
kw AS MATERIALIZED ("""
    + _matching("c.id")
    + """
),
kw_ranked AS (
    SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank FROM kw
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
    "create_table": f"""
CREATE TABLE IF NOT EXISTS {{t}} (
    id         BIGSERIAL PRIMARY KEY,
    content    TEXT        NOT NULL,
    source     TEXT        NOT NULL,
    embedding  vector({{dims}}),
    metadata   JSONB       NOT NULL DEFAULT '{{{{}}}}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    tsv        {_TSV}
)""",
    # the same column migration 031 adds to tables RoboCo made before full-text search
    "add_tsv": f"ALTER TABLE {{t}} ADD COLUMN IF NOT EXISTS tsv {_TSV}",
    "add_created_at": """
ALTER TABLE {t} ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ NOT NULL DEFAULT now()""",
}

# The mentor lookup is one statement over several tables; its arm per table:
_MENTOR_ARM = (
    "\n{name} AS MATERIALIZED ("
    + _nearest(
        "{kind}::text AS index_type, " + _ROW,
        "$1",
        " AND length(content) >= $2 AND metadata @> $3::jsonb",
        "$4",
    )
    + "\n)"
)


@cache
def stmt(name: str, table: str, dims: int = 0) -> bytes:
    """Statement `name` over `table`, composed once and kept."""
    body = sql.SQL(_TEMPLATES[name].lstrip()).format(
        t=sql.Identifier(table), dims=sql.Literal(dims)
    )
    label = sql.SQL(f"/* {_LABEL}:{name} {table} */\n")
    return sql.Composed([label, body]).as_bytes(None)


@cache
def mentor_stmt(kinds: tuple[IndexType, ...]) -> bytes:
    """The mentor lookup over the tables of `kinds`: each one's k nearest, the best k of all."""
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
            sql.SQL(f"/* {_LABEL}:mentor_lookup {tables} */\nWITH"),
            arms,
            sql.SQL(f"\nSELECT index_type, {_ROW}, 1 - distance AS score\nFROM ("),
            union,
            sql.SQL(") AS u\nORDER BY distance, index_type, id\nLIMIT $4"),
        ]
    ).as_bytes(None)


async def run(
    conn: AsyncConnection[Any], name: str, table: str, args: Sequence[object] = ()
) -> int:
    """Run statement `name` over `table` on a raw cursor; the rows it touched."""
    async with AsyncRawCursor(conn) as cur:
        await cur.execute(stmt(name, table), args)
        return cur.rowcount


def index_name(table: str, name: str) -> str:
    """The name of one of a chunk table's indexes (RoboCo's own where it made one)."""
    return {
        "hnsw": f"{table}_embedding_hnsw_idx",
        "tsv": f"{table}_tsv_idx",  # RoboCo's name (and migration 031's)
        "source": f"{table}_source_idx",
        "ivfflat": f"{table}_embedding_idx",  # RoboCo's IVFFlat index
    }[name]


def index_ddl(table: str, name: str, *, concurrently: bool) -> sql.Composed:
    """CREATE INDEX for one of a chunk table's indexes: HNSW cosine, GIN on tsv, btree on
    source."""
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
        how, sql.Identifier(index_name(table, name)), sql.Identifier(table), using
    )


def drop_index(index: str) -> sql.Composed:
    """DROP INDEX CONCURRENTLY, for an invalid leftover or RoboCo's IVFFlat index."""
    return sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(index))
