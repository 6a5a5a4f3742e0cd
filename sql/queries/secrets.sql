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
