-- name: create_prompter_session :one
-- A new intake chat between the prompter agent and a human.
INSERT INTO prompter_sessions (id, agent_id, status, created_at, updated_at)
VALUES (:id, :agent_id, :status, :created_at, NULL)
RETURNING id, agent_id, status, created_at, updated_at;

-- name: get_prompter_session :one
-- One intake session by primary key.
SELECT id, agent_id, status, created_at, updated_at
FROM prompter_sessions
WHERE id = :id;

-- name: list_prompter_sessions :many
-- Intake sessions by agent and status (NULL = any), newest first, keyset before
-- (created_at, id).
SELECT id, agent_id, status, created_at, updated_at
FROM prompter_sessions
WHERE (:agent_id::uuid IS NULL OR agent_id = :agent_id::uuid)
  AND (:status::promptersessionstatus IS NULL OR status = :status::promptersessionstatus)
  AND (:before_at::timestamptz IS NULL
       OR (created_at, id) < (:before_at::timestamptz, :before_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit;

-- name: set_prompter_session_status :one
-- Move a session to a new status, only from the expected one when given (NULL = any);
-- no row back = missing or not in the expected status.
UPDATE prompter_sessions
SET status = :status::promptersessionstatus,
    updated_at = now()
WHERE id = :id
  AND (:expected::promptersessionstatus IS NULL OR status = :expected::promptersessionstatus)
RETURNING id, agent_id, status, created_at, updated_at;

-- name: add_prompter_message :one
-- One turn of an intake chat.
INSERT INTO prompter_messages (id, session_id, role, content, created_at)
VALUES (:id, :session_id, :role, :content, :created_at)
RETURNING id, session_id, role, content, created_at;

-- name: list_prompter_messages :many
-- A session's turns in chat order, keyset after (created_at, id)
-- (served by ix_prompter_messages_session_created).
SELECT id, session_id, role, content, created_at
FROM prompter_messages
WHERE session_id = :session_id
  AND (:after_at::timestamptz IS NULL
       OR (created_at, id) > (:after_at::timestamptz, :after_id::uuid))
ORDER BY created_at, id
LIMIT :limit;

-- name: create_task_draft :one
-- A draft task proposed in an intake session, not yet confirmed.
INSERT INTO task_drafts (
    {{task_drafts}}
) VALUES (
    :id, :session_id, :draft_data, NULL, NULL, :created_at, NULL
)
RETURNING {{task_drafts}};

-- name: get_task_draft :one
-- One task draft by primary key.
SELECT {{task_drafts}}
FROM task_drafts
WHERE id = :id;

-- name: list_task_drafts :many
-- A session's drafts in creation order, optionally only those not yet confirmed.
SELECT {{task_drafts}}
FROM task_drafts
WHERE session_id = :session_id
  AND (NOT :unconfirmed_only::boolean OR confirmed_at IS NULL)
ORDER BY created_at, id;

-- name: update_task_draft :one
-- Replace an unconfirmed draft's data; no row back = missing or already confirmed.
UPDATE task_drafts
SET draft_data = :draft_data,
    updated_at = now()
WHERE id = :id
  AND confirmed_at IS NULL
RETURNING {{task_drafts}};

-- name: confirm_task_draft :one
-- The human confirmed the draft and it became a task; only once per draft.
UPDATE task_drafts
SET confirmed_at = now(),
    task_id = :task_id,
    updated_at = now()
WHERE id = :id
  AND confirmed_at IS NULL
RETURNING {{task_drafts}};
