-- Singleton credential rows (x, tiktok, telegram, github_app). Each table holds at most one
-- row: reads take the oldest, a set rewrites that row or inserts one under the all-zero id
-- (so two first writers meet on the primary key instead of making two rows), a clear deletes.
-- Ciphertexts come in already encrypted; outside the read_*_ciphertexts queries they leave the
-- database only as has_* flags (non-NULL and non-empty, as RoboCo tests them).

-- name: get_x_credentials :one
-- The X credentials row, secrets as flags.
SELECT
    id,
    coalesce(api_key_encrypted, '') <> '' AS has_api_key,
    coalesce(api_secret_encrypted, '') <> '' AS has_api_secret,
    coalesce(access_token_encrypted, '') <> '' AS has_access_token,
    coalesce(access_token_secret_encrypted, '') <> '' AS has_access_token_secret,
    created_at, updated_at
FROM x_credentials
ORDER BY created_at, id
LIMIT 1;

-- name: set_x_credentials :one
-- Write all four ciphertexts to the row, creating it when there is none.
WITH current_row AS (
    SELECT id FROM x_credentials ORDER BY created_at, id LIMIT 1 FOR UPDATE
), updated AS (
    UPDATE x_credentials AS c
    SET api_key_encrypted = :api_key_encrypted,
        api_secret_encrypted = :api_secret_encrypted,
        access_token_encrypted = :access_token_encrypted,
        access_token_secret_encrypted = :access_token_secret_encrypted,
        updated_at = now()
    FROM current_row
    WHERE c.id = current_row.id
    RETURNING c.*
), inserted AS (
    INSERT INTO x_credentials (
        id, api_key_encrypted, api_secret_encrypted, access_token_encrypted,
        access_token_secret_encrypted, created_at, updated_at
    )
    SELECT '00000000-0000-0000-0000-000000000000'::uuid, :api_key_encrypted,
           :api_secret_encrypted, :access_token_encrypted, :access_token_secret_encrypted,
           now(), NULL
    WHERE NOT EXISTS (SELECT 1 FROM current_row)
    ON CONFLICT (id) DO UPDATE
    SET api_key_encrypted = excluded.api_key_encrypted,
        api_secret_encrypted = excluded.api_secret_encrypted,
        access_token_encrypted = excluded.access_token_encrypted,
        access_token_secret_encrypted = excluded.access_token_secret_encrypted,
        updated_at = now()
    RETURNING *
), written AS (
    SELECT * FROM updated
    UNION ALL
    SELECT * FROM inserted
)
SELECT
    id,
    coalesce(api_key_encrypted, '') <> '' AS has_api_key,
    coalesce(api_secret_encrypted, '') <> '' AS has_api_secret,
    coalesce(access_token_encrypted, '') <> '' AS has_access_token,
    coalesce(access_token_secret_encrypted, '') <> '' AS has_access_token_secret,
    created_at, updated_at
FROM written;

-- name: clear_x_credentials :execrows
-- Forget the X credentials (the row goes).
DELETE FROM x_credentials;

-- name: read_x_ciphertexts :one
-- returns: rows (read by repos/credentials.py itself, decrypted there, never mapped)
-- The four ciphertexts of the X row, for read_x_credentials alone.
SELECT api_key_encrypted, api_secret_encrypted, access_token_encrypted,
       access_token_secret_encrypted
FROM x_credentials
ORDER BY created_at, id
LIMIT 1;

-- name: get_tiktok_credentials :one
-- The TikTok credentials row, secrets as flags.
SELECT
    id,
    coalesce(client_key_encrypted, '') <> '' AS has_client_key,
    coalesce(client_secret_encrypted, '') <> '' AS has_client_secret,
    coalesce(access_token_encrypted, '') <> '' AS has_access_token,
    coalesce(refresh_token_encrypted, '') <> '' AS has_refresh_token,
    created_at, updated_at
FROM tiktok_credentials
ORDER BY created_at, id
LIMIT 1;

-- name: set_tiktok_credentials :one
-- Write all four ciphertexts to the row, creating it when there is none.
WITH current_row AS (
    SELECT id FROM tiktok_credentials ORDER BY created_at, id LIMIT 1 FOR UPDATE
), updated AS (
    UPDATE tiktok_credentials AS c
    SET client_key_encrypted = :client_key_encrypted,
        client_secret_encrypted = :client_secret_encrypted,
        access_token_encrypted = :access_token_encrypted,
        refresh_token_encrypted = :refresh_token_encrypted,
        updated_at = now()
    FROM current_row
    WHERE c.id = current_row.id
    RETURNING c.*
), inserted AS (
    INSERT INTO tiktok_credentials (
        id, client_key_encrypted, client_secret_encrypted, access_token_encrypted,
        refresh_token_encrypted, created_at, updated_at
    )
    SELECT '00000000-0000-0000-0000-000000000000'::uuid, :client_key_encrypted,
           :client_secret_encrypted, :access_token_encrypted, :refresh_token_encrypted,
           now(), NULL
    WHERE NOT EXISTS (SELECT 1 FROM current_row)
    ON CONFLICT (id) DO UPDATE
    SET client_key_encrypted = excluded.client_key_encrypted,
        client_secret_encrypted = excluded.client_secret_encrypted,
        access_token_encrypted = excluded.access_token_encrypted,
        refresh_token_encrypted = excluded.refresh_token_encrypted,
        updated_at = now()
    RETURNING *
), written AS (
    SELECT * FROM updated
    UNION ALL
    SELECT * FROM inserted
)
SELECT
    id,
    coalesce(client_key_encrypted, '') <> '' AS has_client_key,
    coalesce(client_secret_encrypted, '') <> '' AS has_client_secret,
    coalesce(access_token_encrypted, '') <> '' AS has_access_token,
    coalesce(refresh_token_encrypted, '') <> '' AS has_refresh_token,
    created_at, updated_at
FROM written;

-- name: update_tiktok_tokens :one
-- After an OAuth2 refresh: replace the access/refresh pair, leave the app key and secret.
-- No row back = no TikTok credentials stored yet.
UPDATE tiktok_credentials
SET access_token_encrypted = :access_token_encrypted,
    refresh_token_encrypted = :refresh_token_encrypted,
    updated_at = now()
WHERE id = (SELECT id FROM tiktok_credentials ORDER BY created_at, id LIMIT 1 FOR UPDATE)
RETURNING
    id,
    coalesce(client_key_encrypted, '') <> '' AS has_client_key,
    coalesce(client_secret_encrypted, '') <> '' AS has_client_secret,
    coalesce(access_token_encrypted, '') <> '' AS has_access_token,
    coalesce(refresh_token_encrypted, '') <> '' AS has_refresh_token,
    created_at, updated_at;

-- name: clear_tiktok_credentials :execrows
-- Forget the TikTok credentials (the row goes).
DELETE FROM tiktok_credentials;

-- name: read_tiktok_ciphertexts :one
-- returns: rows (read by repos/credentials.py itself, decrypted there, never mapped)
-- The four ciphertexts of the TikTok row, for read_tiktok_credentials alone.
SELECT client_key_encrypted, client_secret_encrypted, access_token_encrypted,
       refresh_token_encrypted
FROM tiktok_credentials
ORDER BY created_at, id
LIMIT 1;

-- name: get_telegram_credentials :one
-- The Telegram credentials row, secrets as flags.
SELECT
    id,
    coalesce(bot_token_encrypted, '') <> '' AS has_bot_token,
    coalesce(chat_id_encrypted, '') <> '' AS has_chat_id,
    created_at, updated_at
FROM telegram_credentials
ORDER BY created_at, id
LIMIT 1;

-- name: set_telegram_credentials :one
-- Write both ciphertexts to the row, creating it when there is none.
WITH current_row AS (
    SELECT id FROM telegram_credentials ORDER BY created_at, id LIMIT 1 FOR UPDATE
), updated AS (
    UPDATE telegram_credentials AS c
    SET bot_token_encrypted = :bot_token_encrypted,
        chat_id_encrypted = :chat_id_encrypted,
        updated_at = now()
    FROM current_row
    WHERE c.id = current_row.id
    RETURNING c.*
), inserted AS (
    INSERT INTO telegram_credentials (
        id, bot_token_encrypted, chat_id_encrypted, created_at, updated_at
    )
    SELECT '00000000-0000-0000-0000-000000000000'::uuid, :bot_token_encrypted,
           :chat_id_encrypted, now(), NULL
    WHERE NOT EXISTS (SELECT 1 FROM current_row)
    ON CONFLICT (id) DO UPDATE
    SET bot_token_encrypted = excluded.bot_token_encrypted,
        chat_id_encrypted = excluded.chat_id_encrypted,
        updated_at = now()
    RETURNING *
), written AS (
    SELECT * FROM updated
    UNION ALL
    SELECT * FROM inserted
)
SELECT
    id,
    coalesce(bot_token_encrypted, '') <> '' AS has_bot_token,
    coalesce(chat_id_encrypted, '') <> '' AS has_chat_id,
    created_at, updated_at
FROM written;

-- name: clear_telegram_credentials :execrows
-- Forget the Telegram credentials (the row goes).
DELETE FROM telegram_credentials;

-- name: read_telegram_ciphertexts :one
-- returns: rows (read by repos/credentials.py itself, decrypted there, never mapped)
-- The two ciphertexts of the Telegram row, for read_telegram_credentials alone.
SELECT bot_token_encrypted, chat_id_encrypted
FROM telegram_credentials
ORDER BY created_at, id
LIMIT 1;

-- name: get_github_app_credentials :one
-- The GitHub App credentials row: the app id, and the private key as a flag.
SELECT
    id, app_id,
    coalesce(private_key_encrypted, '') <> '' AS has_private_key,
    created_at, updated_at
FROM github_app_credentials
ORDER BY created_at, id
LIMIT 1;

-- name: set_github_app_credentials :one
-- Write the app id and the key's ciphertext to the row, creating it when there is none.
WITH current_row AS (
    SELECT id FROM github_app_credentials ORDER BY created_at, id LIMIT 1 FOR UPDATE
), updated AS (
    UPDATE github_app_credentials AS c
    SET app_id = :app_id,
        private_key_encrypted = :private_key_encrypted,
        updated_at = now()
    FROM current_row
    WHERE c.id = current_row.id
    RETURNING c.*
), inserted AS (
    INSERT INTO github_app_credentials (
        id, app_id, private_key_encrypted, created_at, updated_at
    )
    SELECT '00000000-0000-0000-0000-000000000000'::uuid, :app_id, :private_key_encrypted,
           now(), NULL
    WHERE NOT EXISTS (SELECT 1 FROM current_row)
    ON CONFLICT (id) DO UPDATE
    SET app_id = excluded.app_id,
        private_key_encrypted = excluded.private_key_encrypted,
        updated_at = now()
    RETURNING *
), written AS (
    SELECT * FROM updated
    UNION ALL
    SELECT * FROM inserted
)
SELECT
    id, app_id,
    coalesce(private_key_encrypted, '') <> '' AS has_private_key,
    created_at, updated_at
FROM written;

-- name: clear_github_app_credentials :execrows
-- Forget the GitHub App credentials (the row goes).
DELETE FROM github_app_credentials;

-- name: read_github_app_ciphertexts :one
-- returns: rows (read by repos/credentials.py itself, decrypted there, never mapped)
-- The app id and the key's ciphertext, for read_github_app_credentials alone.
SELECT app_id, private_key_encrypted
FROM github_app_credentials
ORDER BY created_at, id
LIMIT 1;
