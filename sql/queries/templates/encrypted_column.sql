-- The three queries keys.py runs on each encrypted column, written once and rendered per
-- column (keys.COLUMNS): {key} names the column's queries, {table} and {column} are ours,
-- {label} is the expression a report names a row by (a slug, a name, the value's name).

-- name: {key}_page :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- One keyset page of stored ciphertexts, by id, for `keys check`.
{{> encrypted_page}};

-- name: {key}_page_locked :many
-- returns: rows (read by keys.py itself: id, label, ciphertext)
-- The same page for rotation, locked until the batch's transaction ends so no update of a
-- token can slip between reading and rewriting it.
{{> encrypted_page}}
FOR UPDATE;

-- name: {key}_swap :execrows
-- Replace a batch of ciphertexts, each only if it is still the one that was read.
UPDATE {table} AS t
SET {column} = u.new_ciphertext
FROM unnest(:ids::uuid[], :old_ciphertexts::text[], :new_ciphertexts::text[])
     AS u (id, old_ciphertext, new_ciphertext)
WHERE t.id = u.id
  AND t.{column} = u.old_ciphertext;
