-- name: create_directive :one
-- A directive the CEO ordered; always inserted pending, undecided.
INSERT INTO secretary_directives (
    {{secretary_directives}}
) VALUES (
    :id, :kind, :payload, 'pending', :requested_by, :requested_at, NULL, NULL, NULL
)
RETURNING {{secretary_directives}};

-- name: get_directive :one
-- One directive by primary key.
SELECT {{secretary_directives}}
FROM secretary_directives
WHERE id = :id;

-- name: list_directives :many
-- Directives by status and kind (NULL = any; status served by ix_secretary_directives_status),
-- newest first, keyset before (requested_at, id).
SELECT {{secretary_directives}}
FROM secretary_directives
WHERE (:status::text IS NULL OR status = :status::text)
  AND (:kind::text IS NULL OR kind = :kind::text)
  AND (:before_at::timestamptz IS NULL
       OR (requested_at, id) < (:before_at::timestamptz, :before_id::uuid))
ORDER BY requested_at DESC, id DESC
LIMIT :limit;

-- name: resolve_directive :one
-- End a pending directive (executed, rejected or failed); decided_by and result are written
-- only when the resolution set them. No row back = missing or no longer pending.
UPDATE secretary_directives
SET status = :status,
    decided_at = :decided_at,
    decided_by = CASE WHEN :set_decided_by THEN :decided_by::uuid ELSE decided_by END,
    result = CASE WHEN :set_result THEN :result::text ELSE result END
WHERE id = :id
  AND status = 'pending'
RETURNING {{secretary_directives}};
