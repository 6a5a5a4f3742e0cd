-- name: create_handoff :one
-- Insert the handoff a developer leaves for the documenter; one per task (uq_handoffs_task_id).
-- Claim and completion stamps start NULL.
INSERT INTO handoffs (
    {{handoffs}}
) VALUES (
    :id, :task_id, :summary, :new_functionality, :modified_behavior, :breaking_changes,
    :required_docs, :optional_docs, :commits, :new_files, :modified_files, :key_conversations,
    :code_samples, :gotchas, :related_docs, :changelog_entry, :key_learnings, :key_decisions,
    :questions, :dev_notes_location, :status, :assigned_to, :created_at, NULL, NULL, NULL, NULL
)
RETURNING
    {{handoffs}};

-- name: get_handoff :one
-- One handoff by primary key.
SELECT
    {{handoffs}}
FROM handoffs
WHERE id = :id;

-- name: get_handoff_for_task :one
-- The handoff of a task (there is at most one; uq_handoffs_task_id).
SELECT
    {{handoffs}}
FROM handoffs
WHERE task_id = :task_id;

-- name: list_handoffs :many
-- Handoffs by status and/or assignee (NULL = any), oldest first as a work queue; keyset: pass
-- the last row's (created_at, id) as after_*. Served by ix_handoffs_status_created and
-- ix_handoffs_assigned_status.
SELECT
    {{handoffs}}
FROM handoffs
WHERE (:status::handoffstatus IS NULL OR status = :status::handoffstatus)
  AND (:assigned_to::uuid IS NULL OR assigned_to = :assigned_to::uuid)
  AND (:after_id::uuid IS NULL
       OR (created_at, id) > (:after_created_at::timestamptz, :after_id::uuid))
ORDER BY created_at, id
LIMIT :limit;
