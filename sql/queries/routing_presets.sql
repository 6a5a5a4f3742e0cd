-- name: create_routing_preset :one
-- Save a named snapshot of the routing state (uq_routing_presets_name).
INSERT INTO routing_presets (id, name, payload, created_at)
VALUES (:id, :name, :payload, now())
RETURNING id, name, payload, created_at;

-- name: get_routing_preset :one
-- One preset by primary key.
SELECT id, name, payload, created_at FROM routing_presets WHERE id = :id;

-- name: get_routing_preset_by_name :one
-- One preset by its unique name.
SELECT id, name, payload, created_at FROM routing_presets WHERE name = :name;

-- name: list_routing_presets :many
-- Saved presets, newest first.
SELECT id, name, payload, created_at
FROM routing_presets
ORDER BY created_at DESC, id DESC
LIMIT :limit;

-- name: rename_routing_preset :one
-- Give a preset another (still unique) name.
UPDATE routing_presets SET name = :name WHERE id = :id
RETURNING id, name, payload, created_at;

-- name: delete_routing_preset :execrows
-- Remove one preset.
DELETE FROM routing_presets WHERE id = :id;
