-- name: project_tokens_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of stored project tokens (ciphertexts), by id, for `keys check`.
SELECT id, slug AS label, git_token_encrypted AS ciphertext
FROM projects
WHERE git_token_encrypted IS NOT NULL
  AND git_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: project_tokens_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends so no update of a
-- token can slip between reading and rewriting it.
SELECT id, slug AS label, git_token_encrypted AS ciphertext
FROM projects
WHERE git_token_encrypted IS NOT NULL
  AND git_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_project_tokens :execrows
-- Replace a batch of project ciphertexts, each only if it is still the one that was read.
UPDATE projects AS p
SET git_token_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE p.id = u.id
  AND p.git_token_encrypted = u.old_ciphertext;

-- name: provider_tokens_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of stored provider auth tokens (ciphertexts), by id, for `keys check`.
SELECT id, name AS label, auth_token_encrypted AS ciphertext
FROM provider_configs
WHERE auth_token_encrypted IS NOT NULL
  AND auth_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: provider_tokens_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, name AS label, auth_token_encrypted AS ciphertext
FROM provider_configs
WHERE auth_token_encrypted IS NOT NULL
  AND auth_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_provider_tokens :execrows
-- Replace a batch of provider ciphertexts, each only if it is still the one that was read.
UPDATE provider_configs AS p
SET auth_token_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE p.id = u.id
  AND p.auth_token_encrypted = u.old_ciphertext;

-- Singleton credential rows (repos/credentials.py): one page / locked page / swap per
-- encrypted column; the label is the value's name, as check and rotate reports show it.

-- name: x_api_key_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of x_credentials.api_key_encrypted, by id, for `keys check`.
SELECT id, 'api_key'::text AS label, api_key_encrypted AS ciphertext
FROM x_credentials
WHERE api_key_encrypted IS NOT NULL
  AND api_key_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: x_api_key_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'api_key'::text AS label, api_key_encrypted AS ciphertext
FROM x_credentials
WHERE api_key_encrypted IS NOT NULL
  AND api_key_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_x_api_key :execrows
-- Replace x_credentials.api_key_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE x_credentials AS c
SET api_key_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.api_key_encrypted = u.old_ciphertext;

-- name: x_api_secret_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of x_credentials.api_secret_encrypted, by id, for `keys check`.
SELECT id, 'api_secret'::text AS label, api_secret_encrypted AS ciphertext
FROM x_credentials
WHERE api_secret_encrypted IS NOT NULL
  AND api_secret_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: x_api_secret_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'api_secret'::text AS label, api_secret_encrypted AS ciphertext
FROM x_credentials
WHERE api_secret_encrypted IS NOT NULL
  AND api_secret_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_x_api_secret :execrows
-- Replace x_credentials.api_secret_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE x_credentials AS c
SET api_secret_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.api_secret_encrypted = u.old_ciphertext;

-- name: x_access_token_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of x_credentials.access_token_encrypted, by id, for `keys check`.
SELECT id, 'access_token'::text AS label, access_token_encrypted AS ciphertext
FROM x_credentials
WHERE access_token_encrypted IS NOT NULL
  AND access_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: x_access_token_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'access_token'::text AS label, access_token_encrypted AS ciphertext
FROM x_credentials
WHERE access_token_encrypted IS NOT NULL
  AND access_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_x_access_token :execrows
-- Replace x_credentials.access_token_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE x_credentials AS c
SET access_token_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.access_token_encrypted = u.old_ciphertext;

-- name: x_access_token_secret_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of x_credentials.access_token_secret_encrypted, by id, for `keys check`.
SELECT id, 'access_token_secret'::text AS label, access_token_secret_encrypted AS ciphertext
FROM x_credentials
WHERE access_token_secret_encrypted IS NOT NULL
  AND access_token_secret_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: x_access_token_secret_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'access_token_secret'::text AS label, access_token_secret_encrypted AS ciphertext
FROM x_credentials
WHERE access_token_secret_encrypted IS NOT NULL
  AND access_token_secret_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_x_access_token_secret :execrows
-- Replace x_credentials.access_token_secret_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE x_credentials AS c
SET access_token_secret_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.access_token_secret_encrypted = u.old_ciphertext;

-- name: tiktok_client_key_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of tiktok_credentials.client_key_encrypted, by id, for `keys check`.
SELECT id, 'client_key'::text AS label, client_key_encrypted AS ciphertext
FROM tiktok_credentials
WHERE client_key_encrypted IS NOT NULL
  AND client_key_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: tiktok_client_key_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'client_key'::text AS label, client_key_encrypted AS ciphertext
FROM tiktok_credentials
WHERE client_key_encrypted IS NOT NULL
  AND client_key_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_tiktok_client_key :execrows
-- Replace tiktok_credentials.client_key_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE tiktok_credentials AS c
SET client_key_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.client_key_encrypted = u.old_ciphertext;

-- name: tiktok_client_secret_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of tiktok_credentials.client_secret_encrypted, by id, for `keys check`.
SELECT id, 'client_secret'::text AS label, client_secret_encrypted AS ciphertext
FROM tiktok_credentials
WHERE client_secret_encrypted IS NOT NULL
  AND client_secret_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: tiktok_client_secret_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'client_secret'::text AS label, client_secret_encrypted AS ciphertext
FROM tiktok_credentials
WHERE client_secret_encrypted IS NOT NULL
  AND client_secret_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_tiktok_client_secret :execrows
-- Replace tiktok_credentials.client_secret_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE tiktok_credentials AS c
SET client_secret_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.client_secret_encrypted = u.old_ciphertext;

-- name: tiktok_access_token_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of tiktok_credentials.access_token_encrypted, by id, for `keys check`.
SELECT id, 'access_token'::text AS label, access_token_encrypted AS ciphertext
FROM tiktok_credentials
WHERE access_token_encrypted IS NOT NULL
  AND access_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: tiktok_access_token_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'access_token'::text AS label, access_token_encrypted AS ciphertext
FROM tiktok_credentials
WHERE access_token_encrypted IS NOT NULL
  AND access_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_tiktok_access_token :execrows
-- Replace tiktok_credentials.access_token_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE tiktok_credentials AS c
SET access_token_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.access_token_encrypted = u.old_ciphertext;

-- name: tiktok_refresh_token_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of tiktok_credentials.refresh_token_encrypted, by id, for `keys check`.
SELECT id, 'refresh_token'::text AS label, refresh_token_encrypted AS ciphertext
FROM tiktok_credentials
WHERE refresh_token_encrypted IS NOT NULL
  AND refresh_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: tiktok_refresh_token_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'refresh_token'::text AS label, refresh_token_encrypted AS ciphertext
FROM tiktok_credentials
WHERE refresh_token_encrypted IS NOT NULL
  AND refresh_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_tiktok_refresh_token :execrows
-- Replace tiktok_credentials.refresh_token_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE tiktok_credentials AS c
SET refresh_token_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.refresh_token_encrypted = u.old_ciphertext;

-- name: telegram_bot_token_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of telegram_credentials.bot_token_encrypted, by id, for `keys check`.
SELECT id, 'bot_token'::text AS label, bot_token_encrypted AS ciphertext
FROM telegram_credentials
WHERE bot_token_encrypted IS NOT NULL
  AND bot_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: telegram_bot_token_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'bot_token'::text AS label, bot_token_encrypted AS ciphertext
FROM telegram_credentials
WHERE bot_token_encrypted IS NOT NULL
  AND bot_token_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_telegram_bot_token :execrows
-- Replace telegram_credentials.bot_token_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE telegram_credentials AS c
SET bot_token_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.bot_token_encrypted = u.old_ciphertext;

-- name: telegram_chat_id_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of telegram_credentials.chat_id_encrypted, by id, for `keys check`.
SELECT id, 'chat_id'::text AS label, chat_id_encrypted AS ciphertext
FROM telegram_credentials
WHERE chat_id_encrypted IS NOT NULL
  AND chat_id_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: telegram_chat_id_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'chat_id'::text AS label, chat_id_encrypted AS ciphertext
FROM telegram_credentials
WHERE chat_id_encrypted IS NOT NULL
  AND chat_id_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_telegram_chat_id :execrows
-- Replace telegram_credentials.chat_id_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE telegram_credentials AS c
SET chat_id_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.chat_id_encrypted = u.old_ciphertext;

-- name: github_app_private_key_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of github_app_credentials.private_key_encrypted, by id, for `keys check`.
SELECT id, 'private_key'::text AS label, private_key_encrypted AS ciphertext
FROM github_app_credentials
WHERE private_key_encrypted IS NOT NULL
  AND private_key_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit;

-- name: github_app_private_key_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends.
SELECT id, 'private_key'::text AS label, private_key_encrypted AS ciphertext
FROM github_app_credentials
WHERE private_key_encrypted IS NOT NULL
  AND private_key_encrypted <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
FOR UPDATE;

-- name: swap_github_app_private_key :execrows
-- Replace github_app_credentials.private_key_encrypted ciphertexts, each only if it is still the one that was read.
UPDATE github_app_credentials AS c
SET private_key_encrypted = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE c.id = u.id
  AND c.private_key_encrypted = u.old_ciphertext;
