-- templates/encrypted_column.sql's keyset page of stored ciphertexts, by id ({label},
-- {column} and {table} filled in by render).
SELECT id, {label} AS label, {column} AS ciphertext
FROM {table}
WHERE {column} IS NOT NULL
  AND {column} <> ''
  AND (:after::uuid IS NULL OR id > :after::uuid)
ORDER BY id
LIMIT :limit
