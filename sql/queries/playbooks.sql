-- name: draft_playbook :one
-- Insert one draft; approval, archival and index state start empty.
INSERT INTO playbooks (
    {{playbooks}}
) VALUES (
    :id, :title, :slug, :problem, :procedure, :tags, :team, :scope, :source_task_ids, 'draft',
    :created_by, NULL, :created_at, NULL, NULL, NULL,
    false, NULL, :source_program
)
RETURNING
    {{playbooks}};

-- name: get_playbook :one
-- One playbook by primary key.
SELECT
    {{playbooks}}
FROM playbooks
WHERE id = :id;

-- name: get_playbook_by_slug :one
-- One playbook by slug (unique index ix_playbooks_slug).
SELECT
    {{playbooks}}
FROM playbooks
WHERE slug = :slug;

-- name: list_playbooks :many
-- Playbooks by status, team and scope (each NULL = any; ix_playbooks_status), oldest first as
-- RoboCo lists drafts and approved ones, keyset after (after_at, after_id).
SELECT
    {{playbooks}}
FROM playbooks
WHERE (:status::text IS NULL OR status = :status::text)
  AND (:team::text IS NULL OR team = :team::text)
  AND (:scope::text IS NULL OR scope = :scope::text)
  AND (:after_at::timestamptz IS NULL
       OR (created_at, id) > (:after_at::timestamptz, :after_id::uuid))
ORDER BY created_at, id
LIMIT :limit;

-- name: list_live_playbook_titles :many
-- Titles of every playbook not archived, newest first (the Librarian's dedup list).
-- returns: rows (one text column)
SELECT title
FROM playbooks
WHERE status <> 'archived'
ORDER BY created_at DESC, id DESC
LIMIT :limit;

-- name: list_unindexed_approved_playbooks :many
-- Approved playbooks whose embedding never landed (indexed_ok false), oldest first: the
-- startup reconcile re-indexes these.
SELECT
    {{playbooks}}
FROM playbooks
WHERE status = 'approved' AND NOT indexed_ok
ORDER BY created_at, id
LIMIT :limit;

-- name: update_playbook :one
-- Write the text fields a PlaybookUpdate set (set_x true); the rest keep their values.
UPDATE playbooks
SET title = CASE WHEN :set_title THEN :title::text ELSE title END,
    problem = CASE WHEN :set_problem THEN :problem::text ELSE problem END,
    procedure = CASE WHEN :set_procedure THEN :procedure::text ELSE procedure END,
    tags = CASE WHEN :set_tags THEN :tags::json ELSE tags END,
    team = CASE WHEN :set_team THEN :team::text ELSE team END,
    scope = CASE WHEN :set_scope THEN :scope::text ELSE scope END
WHERE id = :id
RETURNING
    {{playbooks}};

-- name: approve_playbook :one
-- draft -> approved, stamped, marked not yet indexed. An approved playbook that is still not
-- indexed matches too (the retry) and is returned unchanged; anything else matches no row.
UPDATE playbooks
SET status = 'approved',
    approved_by = CASE WHEN status = 'draft' THEN :approved_by ELSE approved_by END,
    approved_at = CASE WHEN status = 'draft' THEN now() ELSE approved_at END,
    indexed_ok = CASE WHEN status = 'draft' THEN false ELSE indexed_ok END,
    indexed_at = CASE WHEN status = 'draft' THEN NULL ELSE indexed_at END
WHERE id = :id
  AND (status = 'draft' OR (status = 'approved' AND NOT indexed_ok))
RETURNING
    {{playbooks}};

-- name: retire_playbook :one
-- Move a playbook in status from_status to archived, stamping who and when: from draft is a
-- rejection, from approved an archival. Any other status matches no row.
UPDATE playbooks
SET status = 'archived',
    archived_by = :archived_by,
    archived_at = now()
WHERE id = :id
  AND status = :from_status::text
RETURNING
    {{playbooks}};

-- name: mark_playbook_indexed :one
-- Record that an approved playbook's embedding landed; a playbook no longer approved
-- (archived meanwhile) matches no row.
UPDATE playbooks
SET indexed_ok = true,
    indexed_at = now()
WHERE id = :id
  AND status = 'approved'
RETURNING
    {{playbooks}};
