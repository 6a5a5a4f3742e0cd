-- Statements of the RAG knowledge base over the catalogs and its index-building lock. Statements
-- over the chunk tables themselves (chunks_<type>) are composed in rag/statements.py, because a
-- table name cannot be a bind parameter; indexed_documents rows are kept by indexed_documents.sql.

-- name: rag_pgvector_status :one
-- returns: rows (read by roboco_sql.rag itself, no model)
-- The installed pgvector version in this database (NULL if none), and whether the server has it.
SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available;

-- name: rag_table_columns :many
-- returns: rows (read by roboco_sql.rag itself, no model)
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
-- returns: rows (read by roboco_sql.rag itself, no model)
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
