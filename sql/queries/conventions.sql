-- name: upsert_conventions_cache :one
-- Store the conventions derived at one commit of a project; re-deriving the same commit
-- replaces map, status and time (arbiter uq_project_conventions_cache_sha), keeping the id.
INSERT INTO project_conventions_cache AS c (
    {{project_conventions_cache}}
) VALUES (
    :id, :project_id, :commit_sha, :effective_map, :status, :derived_at
)
ON CONFLICT ON CONSTRAINT uq_project_conventions_cache_sha DO UPDATE
SET effective_map = EXCLUDED.effective_map,
    status = EXCLUDED.status,
    derived_at = EXCLUDED.derived_at
RETURNING {{project_conventions_cache}};

-- name: get_conventions_cache :one
-- The conventions of a project at one commit, by the unique key.
SELECT {{project_conventions_cache}}
FROM project_conventions_cache
WHERE project_id = :project_id AND commit_sha = :commit_sha;

-- name: get_latest_conventions_cache :one
-- The most recently derived conventions of a project, whatever the commit, optionally only
-- among rows of one status (RoboCo falls back to its last good derivation: status 'ok').
SELECT {{project_conventions_cache}}
FROM project_conventions_cache
WHERE project_id = :project_id
  AND (:status::text IS NULL OR status = :status::text)
ORDER BY derived_at DESC, id DESC
LIMIT 1;

-- name: add_convention_finding :one
-- One finding of a conventions check.
INSERT INTO project_convention_findings (
    id, project_id, task_id, file, line, rule, level, kind, message, detected_at
) VALUES (
    :id, :project_id, :task_id, :file, :line, :rule, :level, :kind, :message, :detected_at
)
RETURNING id, project_id, task_id, file, line, rule, level, kind, message, detected_at;

-- name: insert_convention_finding :execrows
-- add_convention_finding without the row back, for executemany batches.
INSERT INTO project_convention_findings (
    id, project_id, task_id, file, line, rule, level, kind, message, detected_at
) VALUES (
    :id, :project_id, :task_id, :file, :line, :rule, :level, :kind, :message, :detected_at
);

-- name: delete_task_findings :execrows
-- Drop a task's findings in a project before its next check replaces them wholesale.
DELETE FROM project_convention_findings
WHERE project_id = :project_id AND task_id = :task_id;

-- name: list_convention_findings :many
-- A project's findings by level and task (NULL = any), newest first, keyset before
-- (detected_at, id).
SELECT id, project_id, task_id, file, line, rule, level, kind, message, detected_at
FROM project_convention_findings
WHERE project_id = :project_id
  AND (:level::text IS NULL OR level = :level::text)
  AND (:task_id::uuid IS NULL OR task_id = :task_id::uuid)
  AND (:before_at::timestamptz IS NULL
       OR (detected_at, id) < (:before_at::timestamptz, :before_id::uuid))
ORDER BY detected_at DESC, id DESC
LIMIT :limit;
