-- name: get_setting :one
-- One runtime setting by key.
SELECT key, value, updated_at
FROM system_settings
WHERE key = :key;

-- name: list_settings :many
-- Every stored setting, by key (stored values override environment defaults at startup).
SELECT key, value, updated_at
FROM system_settings
ORDER BY key;

-- name: set_setting :one
-- Upsert one setting: insert it, or overwrite the value stored under its key.
INSERT INTO system_settings (key, value, updated_at)
VALUES (:key, :value, :updated_at)
ON CONFLICT (key) DO UPDATE
SET value = excluded.value,
    updated_at = excluded.updated_at
RETURNING key, value, updated_at;

-- name: set_settings :many
-- Upsert several settings in one statement (parallel arrays, keys distinct).
INSERT INTO system_settings (key, value, updated_at)
SELECT s.key, s.value, s.updated_at
FROM unnest(:keys::varchar[], :vals::text[], :updated_ats::timestamptz[])
    AS s (key, value, updated_at)
ON CONFLICT (key) DO UPDATE
SET value = excluded.value,
    updated_at = excluded.updated_at
RETURNING key, value, updated_at;

-- name: get_company_goals :one
-- The company charter: the single company_goals row (the all-zero id, seeded by 032).
SELECT
    id, north_star, objectives, constraints, operating_policy, updated_at, updated_by,
    brand_voice, company_name
FROM company_goals
WHERE id = :id;

-- name: update_company_goals :one
-- Write the charter fields a CompanyGoalsUpdate set (set_x true), always stamping who and
-- when. No row back = the singleton is missing.
UPDATE company_goals
SET north_star = CASE WHEN :set_north_star THEN :north_star::text ELSE north_star END,
    objectives = CASE WHEN :set_objectives THEN :objectives::json ELSE objectives END,
    constraints = CASE WHEN :set_constraints THEN :constraints::json ELSE constraints END,
    operating_policy = CASE WHEN :set_operating_policy THEN :operating_policy::json
                            ELSE operating_policy END,
    brand_voice = CASE WHEN :set_brand_voice THEN :brand_voice::text ELSE brand_voice END,
    company_name = CASE WHEN :set_company_name THEN :company_name::text ELSE company_name END,
    updated_at = :updated_at,
    updated_by = :updated_by
WHERE id = :id
RETURNING
    id, north_star, objectives, constraints, operating_policy, updated_at, updated_by,
    brand_voice, company_name;
