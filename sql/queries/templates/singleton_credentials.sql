-- The queries of one singleton credential table (repos/credentials.py renders it for x,
-- tiktok, telegram and github_app). The table holds at most one row: reads take the oldest;
-- a set rewrites that row, or inserts one under the all-zero id, so two first writers meet
-- on the primary key instead of making two rows; a clear deletes it. Ciphertexts come in
-- encrypted and leave only as has_* flags ({shown}), except through {key}_ciphertexts.

-- name: get_{key}_credentials :one
-- The row, secrets as flags.
SELECT id, {shown}, created_at, updated_at
FROM {table}
ORDER BY created_at, id
LIMIT 1;

-- name: set_{key}_credentials :one
-- Write every stored value to the row, creating it when there is none.
WITH current_row AS (
    SELECT id FROM {table} ORDER BY created_at, id LIMIT 1 FOR UPDATE
)
INSERT INTO {table} (id, {stored}, created_at)
VALUES (
    coalesce((SELECT id FROM current_row), '00000000-0000-0000-0000-000000000000'::uuid),
    {params}, now()
)
ON CONFLICT (id) DO UPDATE
SET {updates}, updated_at = now()
RETURNING id, {shown}, created_at, updated_at;

-- name: clear_{key}_credentials :execrows
-- Forget the credentials (the row goes).
DELETE FROM {table};

-- name: read_{key}_ciphertexts :one
-- returns: rows (read by repos/credentials.py itself, decrypted there, never mapped)
-- The stored values, ciphertexts as they are, for the repository's read_* alone.
SELECT {stored}
FROM {table}
ORDER BY created_at, id
LIMIT 1;
