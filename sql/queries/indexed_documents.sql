-- name: upsert_indexed_document :one
-- Record a document indexed into a RAG chunk table, by its natural key (index_type,
-- source_hash). A re-index keeps the row's id and first indexed_at, stamps updated_at, keeps
-- title/preview the new one leaves NULL, and merges extra_data. Run by the repository and by
-- rag.replace_source, which leaves indexed_at NULL: the transaction's time.
INSERT INTO indexed_documents AS d (
    {{indexed_documents}}
) VALUES (
    :id, :index_type, :source, :source_hash, :title, :preview, :chunk_count, :extra_data,
    coalesce(:indexed_at::timestamptz, now()), NULL
)
ON CONFLICT ON CONSTRAINT uq_indexed_doc_source DO UPDATE
SET source = EXCLUDED.source,
    title = COALESCE(EXCLUDED.title, d.title),
    preview = COALESCE(EXCLUDED.preview, d.preview),
    chunk_count = EXCLUDED.chunk_count,
    extra_data = (d.extra_data::jsonb || EXCLUDED.extra_data::jsonb)::json,
    updated_at = now()
RETURNING
    {{indexed_documents}};

-- name: get_indexed_document :one
-- One indexed document by its natural key.
SELECT
    {{indexed_documents}}
FROM indexed_documents
WHERE index_type = :index_type AND source_hash = :source_hash;

-- name: get_indexed_document_by_id :one
-- One indexed document by primary key.
SELECT
    {{indexed_documents}}
FROM indexed_documents
WHERE id = :id;

-- name: list_indexed_documents :many
-- Documents of one index (NULL = all), most recently indexed first, keyset before
-- (indexed_at, id) (served by ix_indexed_docs_type_time).
SELECT
    {{indexed_documents}}
FROM indexed_documents
WHERE (:index_type::text IS NULL OR index_type = :index_type::text)
  AND (:before_at::timestamptz IS NULL
       OR (indexed_at, id) < (:before_at::timestamptz, :before_id::uuid))
ORDER BY indexed_at DESC, id DESC
LIMIT :limit;

-- name: page_indexed_documents :many
-- One offset page of an index's documents, most recently indexed first (RoboCo's paged list;
-- its total is count_indexed_documents).
SELECT
    {{indexed_documents}}
FROM indexed_documents
WHERE index_type = :index_type::text
ORDER BY indexed_at DESC, id DESC
OFFSET :offset
LIMIT :limit;

-- name: count_indexed_documents :scalar
-- How many documents an index holds (a page past the end still needs its total).
SELECT count(*)::int FROM indexed_documents WHERE index_type = :index_type::text;

-- name: indexed_sources :many
-- returns: rows (one text column)
-- Every source an index has a document for, in source order.
SELECT DISTINCT source
FROM indexed_documents
WHERE index_type = :index_type::text
ORDER BY source;

-- name: indexed_document_stats :many
-- returns: rows (IndexStats)
-- Per index: how many documents, and when one was last indexed (every index when NULL).
SELECT index_type, count(*)::int AS documents, max(indexed_at) AS last_indexed_at
FROM indexed_documents
WHERE (:index_type::text IS NULL OR index_type = :index_type::text)
GROUP BY index_type
ORDER BY index_type;

-- name: delete_indexed_document :execrows
-- Forget one indexed document by its natural key; 0 rows = there was none (rag.delete_source
-- runs it as its chunks go).
DELETE FROM indexed_documents
WHERE index_type = :index_type AND source_hash = :source_hash;

-- name: clear_indexed_documents :execrows
-- Forget every indexed document of one index (rag.clear_index, as it empties the chunk table).
DELETE FROM indexed_documents WHERE index_type = :index_type::text;
