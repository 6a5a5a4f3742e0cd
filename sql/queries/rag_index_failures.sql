-- name: enqueue_rag_failure :one
-- Dead-letter one failed index write: first attempt counted, first retry after the backoff.
INSERT INTO rag_index_failures (
    {{rag_index_failures}}
) VALUES (
    :id, :doc_source, :payload, 1, left(:last_error::text, 8000), now(),
    now() + make_interval(secs => :first_backoff_seconds::int)
)
RETURNING {{rag_index_failures}};

-- name: due_rag_failures :many
-- Failures whose retry time has come, earliest first (ix_rag_index_failures_next_retry_at).
SELECT {{rag_index_failures}}
FROM rag_index_failures
WHERE next_retry_at <= coalesce(:now::timestamptz, now())
ORDER BY next_retry_at, id
LIMIT :limit;

-- name: bump_rag_failure :one
-- Another attempt failed: count it, keep its error, and push the next retry out by
-- base * 2^(attempts-1) seconds, capped, computed from the new attempt count in one statement.
UPDATE rag_index_failures
SET attempts = attempts + 1,
    last_error = left(:last_error::text, 8000),
    next_retry_at = now() + make_interval(
        secs => least(:base_seconds::float8 * power(2, attempts), :max_seconds::float8)
    )
WHERE id = :id
RETURNING {{rag_index_failures}};

-- name: delete_rag_failure :execrows
-- The retry succeeded: drop the row.
DELETE FROM rag_index_failures WHERE id = :id;

-- name: count_rag_failures :scalar
-- How many index writes are dead-lettered (the health route shows it).
SELECT count(*)::int AS n FROM rag_index_failures;
