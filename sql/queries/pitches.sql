-- name: propose_pitch :one
-- Insert one proposal (status proposed); the decision columns start empty.
INSERT INTO pitches (
    {{pitches}}
) VALUES (
    :id, :title, :slug, :problem, :proposed_solution, :target_cells, :status, :created_by,
    NULL, NULL, NULL, NULL, NULL,
    :created_at, NULL
)
RETURNING
    {{pitches}};

-- name: get_pitch :one
-- One pitch by primary key.
SELECT
    {{pitches}}
FROM pitches
WHERE id = :id;

-- name: get_pitch_by_slug :one
-- One pitch by slug (unique constraint uq_pitches_slug).
SELECT
    {{pitches}}
FROM pitches
WHERE slug = :slug;

-- name: list_pitches :many
-- Pitches by status (NULL = any; ix_pitches_status), newest first, keyset before
-- (before_at, before_id) — the last row of the previous page.
SELECT
    {{pitches}}
FROM pitches
WHERE (:status::text IS NULL OR status = :status::text)
  AND (:before_at::timestamptz IS NULL
       OR (created_at, id) < (:before_at::timestamptz, :before_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit;

-- name: decide_pitch :one
-- The CEO's verdict and what approval provisioned, written only while the pitch is still
-- proposed: the WHERE makes a second decision (or a race) match no row instead of overwriting.
UPDATE pitches
SET status = :status,
    decided_by = :decided_by,
    decision_notes = :decision_notes,
    provisioned_product_id = :provisioned_product_id,
    provisioned_project_ids = :provisioned_project_ids,
    seed_task_id = :seed_task_id,
    updated_at = now()
WHERE id = :id
  AND status = 'proposed'
RETURNING
    {{pitches}};
