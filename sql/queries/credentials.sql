-- The singleton credential rows' own queries are rendered from
-- templates/singleton_credentials.sql (repos/credentials.py); this is the one query beyond them.

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
