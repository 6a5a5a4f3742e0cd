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
-- when; the singleton is created (the rest at their column defaults) when it is missing, as
-- RoboCo's upsert does.
INSERT INTO company_goals AS g (
    id, north_star, objectives, constraints, operating_policy, updated_at, updated_by,
    brand_voice, company_name
) VALUES (
    :id,
    CASE WHEN :set_north_star THEN :north_star::text ELSE '' END,
    CASE WHEN :set_objectives THEN :objectives::json ELSE '[]'::json END,
    CASE WHEN :set_constraints THEN :constraints::json ELSE '[]'::json END,
    CASE WHEN :set_operating_policy THEN :operating_policy::json ELSE '{}'::json END,
    :updated_at,
    :updated_by,
    CASE WHEN :set_brand_voice THEN :brand_voice::text ELSE '' END,
    CASE WHEN :set_company_name THEN :company_name::text ELSE '' END
)
ON CONFLICT (id) DO UPDATE
SET north_star = CASE WHEN :set_north_star THEN EXCLUDED.north_star ELSE g.north_star END,
    objectives = CASE WHEN :set_objectives THEN EXCLUDED.objectives ELSE g.objectives END,
    constraints = CASE WHEN :set_constraints THEN EXCLUDED.constraints ELSE g.constraints END,
    operating_policy = CASE WHEN :set_operating_policy THEN EXCLUDED.operating_policy
                            ELSE g.operating_policy END,
    brand_voice = CASE WHEN :set_brand_voice THEN EXCLUDED.brand_voice ELSE g.brand_voice END,
    company_name = CASE WHEN :set_company_name THEN EXCLUDED.company_name
                        ELSE g.company_name END,
    updated_at = EXCLUDED.updated_at,
    updated_by = EXCLUDED.updated_by
RETURNING
    id, north_star, objectives, constraints, operating_policy, updated_at, updated_by,
    brand_voice, company_name;
