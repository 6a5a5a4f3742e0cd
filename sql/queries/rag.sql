-- Statements of the RAG knowledge base over fixed tables and the catalogs.
-- Statements over the chunk tables themselves (chunks_<type>) are composed in rag.py, because
-- a table name cannot be a bind parameter.

-- name: rag_pgvector_status :one
-- returns: rows (read by rag.py itself, no model)
-- The installed pgvector version in this database (NULL if none), and whether the server has it.
SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available;

-- name: rag_pgvector_version :scalar
-- The installed pgvector version, after a CREATE EXTENSION attempt.
SELECT extversion FROM pg_extension WHERE extname = 'vector';

-- name: rag_table_columns :many
-- returns: rows (read by rag.py itself, no model)
-- The columns of one chunk table (no rows when it does not exist); for "embedding" of type
-- vector, typmod is its dimension (-1 when the column has none).
SELECT a.attname::text AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       t.typname::text AS typname,
       a.atttypmod AS typmod
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass(:table)
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attnum;

-- name: rag_table_indexes :many
-- returns: rows (read by rag.py itself, no model)
-- The indexes of one chunk table: name, access method, and whether it is valid (a failed
-- CREATE INDEX CONCURRENTLY leaves an invalid one behind).
SELECT i.relname::text AS name, am.amname::text AS method, x.indisvalid AS valid
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_am am ON am.oid = i.relam
WHERE x.indrelid = to_regclass(:table)
ORDER BY i.relname;

-- name: rag_try_lock :scalar
-- Serialise ensure_indexes() across processes (session-level; released by rag_unlock).
-- Polled, never a blocking wait: a waiter's open statement would hold up the holder's
-- CREATE INDEX CONCURRENTLY, a deadlock.
SELECT pg_try_advisory_lock(:key);

-- name: rag_unlock :scalar
-- False when the lock was not held (then the caller has a bug to report).
SELECT pg_advisory_unlock(:key);

-- name: rag_upsert_document :one
-- Record (or refresh) one indexed document. source_hash is the SHA-256 hex of the source, as
-- RoboCo computes it; the row's first indexed_at is kept, updated_at marks a re-index.
INSERT INTO indexed_documents AS d
    (id, index_type, source, source_hash, title, preview, chunk_count, extra_data, indexed_at)
VALUES
    (gen_random_uuid(), :index_type, :source, :source_hash, :title, :preview, :chunk_count,
     :extra_data, now())
ON CONFLICT (index_type, source_hash) DO UPDATE
SET source      = EXCLUDED.source,
    title       = COALESCE(EXCLUDED.title, d.title),
    preview     = COALESCE(EXCLUDED.preview, d.preview),
    chunk_count = EXCLUDED.chunk_count,
    extra_data  = (d.extra_data::jsonb || EXCLUDED.extra_data::jsonb)::json,
    updated_at  = now()
RETURNING id, index_type, source, source_hash, title, preview, chunk_count, extra_data,
          indexed_at, updated_at;

-- name: rag_delete_document :execrows
-- Forget one indexed document (its chunks are gone).
DELETE FROM indexed_documents WHERE index_type = :index_type AND source_hash = :source_hash;

-- name: rag_clear_documents :execrows
-- Forget every indexed document of one index (its chunk table was just emptied).
DELETE FROM indexed_documents WHERE index_type = :index_type::text;
