-- name: vault_note_seen :scalar
-- Whether this version (path + content hash) of a vault note was already taken in.
SELECT EXISTS (
    SELECT 1 FROM vault_seen_notes WHERE note_path = :note_path AND content_hash = :content_hash
) AS seen;

-- name: mark_vault_note_seen :one
-- Record a note version as taken in; a version already recorded matches nothing (no row back),
-- so of two racing intakes exactly one sees itself as first.
INSERT INTO vault_seen_notes (id, note_path, content_hash, processed_at)
VALUES (:id, :note_path, :content_hash, now())
ON CONFLICT ON CONSTRAINT uq_vault_seen_notes_path_hash DO NOTHING
RETURNING id, note_path, content_hash, processed_at;
