-- name: create_provider_config :one
-- Insert one provider; the auth token arrives already encrypted (or NULL).
INSERT INTO provider_configs (
    id, name, type, base_url, auth_token_encrypted, enabled, created_at, updated_at
) VALUES (
    :id, :name, :type, :base_url, :auth_token_encrypted, :enabled, :created_at, NULL
)
RETURNING
    id, name, type, base_url, auth_token_encrypted IS NOT NULL AS has_auth_token, enabled,
    created_at, updated_at;

-- name: get_provider_config :one
-- One provider by primary key (seeded ids are random: code usually goes by name or type).
SELECT
    id, name, type, base_url, auth_token_encrypted IS NOT NULL AS has_auth_token, enabled,
    created_at, updated_at
FROM provider_configs
WHERE id = :id;

-- name: get_provider_config_by_name :one
-- One provider by its unique name (ix_provider_configs_name), e.g. 'Ollama Cloud'.
SELECT
    id, name, type, base_url, auth_token_encrypted IS NOT NULL AS has_auth_token, enabled,
    created_at, updated_at
FROM provider_configs
WHERE name = :name;

-- name: get_provider_config_by_type :one
-- The provider of a type (RoboCo keeps one per type; should there be more, the oldest).
SELECT
    id, name, type, base_url, auth_token_encrypted IS NOT NULL AS has_auth_token, enabled,
    created_at, updated_at
FROM provider_configs
WHERE type = :type::modelprovider
ORDER BY created_at, id
LIMIT 1;

-- name: list_provider_configs :many
-- Providers, optionally only enabled or disabled ones (ix_provider_configs_enabled), by name.
SELECT
    id, name, type, base_url, auth_token_encrypted IS NOT NULL AS has_auth_token, enabled,
    created_at, updated_at
FROM provider_configs
WHERE (:enabled::boolean IS NULL OR enabled = :enabled::boolean)
ORDER BY name;

-- name: update_provider_config :one
-- Write the fields a ProviderConfigUpdate set (set_x true) and the token when it changes
-- (already encrypted, or NULL to clear). No row back = no such provider.
UPDATE provider_configs
SET name = CASE WHEN :set_name THEN :name ELSE name END,
    base_url = CASE WHEN :set_base_url THEN :base_url::text ELSE base_url END,
    enabled = CASE WHEN :set_enabled THEN :enabled::boolean ELSE enabled END,
    auth_token_encrypted = CASE WHEN :set_auth_token_encrypted THEN :auth_token_encrypted::text
                                ELSE auth_token_encrypted END,
    updated_at = now()
WHERE id = :id
RETURNING
    id, name, type, base_url, auth_token_encrypted IS NOT NULL AS has_auth_token, enabled,
    created_at, updated_at;

-- name: delete_provider_config :execrows
-- Drop a provider; the RESTRICT key from model_assignments refuses while a rule points at it.
DELETE FROM provider_configs
WHERE id = :id;

-- name: get_provider_auth_token :scalar
-- The one query that reads the ciphertext, for read_auth_token to decrypt on demand: '' when
-- the provider has no token, no row when there is no such provider. Never mapped to a model.
SELECT coalesce(auth_token_encrypted, '') AS ciphertext
FROM provider_configs
WHERE id = :id;

-- name: create_model_assignment :one
-- Insert one routing rule; ux_model_assignments_scope_key (NULLS NOT DISTINCT) allows one
-- rule per (scope, scope_value), so a single global rule.
INSERT INTO model_assignments (
    {{model_assignments}}
) VALUES (
    :id, :scope, :scope_value, :provider_config_id, :model_name, :created_at, NULL
)
RETURNING {{model_assignments}};

-- name: get_model_assignment :one
-- One routing rule by primary key.
SELECT {{model_assignments}}
FROM model_assignments
WHERE id = :id;

-- name: list_model_assignments :many
-- Routing rules, optionally of one scope or one provider (ix_model_assignments_provider),
-- most specific scope first, then by value.
SELECT {{model_assignments}}
FROM model_assignments
WHERE (:scope::assignmentscope IS NULL OR scope = :scope::assignmentscope)
  AND (:provider_config_id::uuid IS NULL OR provider_config_id = :provider_config_id::uuid)
ORDER BY scope DESC, scope_value NULLS FIRST;

-- name: resolve_model_assignment :one
-- The rule a spawn uses: the agent's own (agent_slug) beats its role's at the task's
-- complexity ("developer:low"), which beats its role's, which beats global.
SELECT {{model_assignments}}
FROM model_assignments
WHERE (scope = 'agent_slug' AND scope_value = :agent_slug::text)
   OR (scope = 'role' AND scope_value = :role::text || ':' || :complexity::text)
   OR (scope = 'role' AND scope_value = :role::text)
   OR scope = 'global'
ORDER BY CASE WHEN scope = 'agent_slug' THEN 0
              WHEN scope = 'role' AND scope_value LIKE '%:%' THEN 1
              WHEN scope = 'role' THEN 2 ELSE 3 END
LIMIT 1;

-- name: get_model_assignment_by_key :one
-- The rule of one (scope, scope_value) exactly, NULL value included (the global rule).
SELECT {{model_assignments}}
FROM model_assignments
WHERE scope = :scope::assignmentscope
  AND scope_value IS NOT DISTINCT FROM :scope_value::varchar;

-- name: upsert_model_assignment :one
-- Insert a rule, or re-point the existing rule of its (scope, scope_value) at the given
-- provider and model (ux_model_assignments_scope_key, NULLS NOT DISTINCT, is the arbiter).
INSERT INTO model_assignments AS a (
    {{model_assignments}}
) VALUES (
    :id, :scope, :scope_value, :provider_config_id, :model_name, :created_at, NULL
)
ON CONFLICT (scope, scope_value) DO UPDATE
SET provider_config_id = EXCLUDED.provider_config_id,
    model_name = EXCLUDED.model_name,
    updated_at = now()
RETURNING {{model_assignments}};

-- name: clear_mode_assignments :execrows
-- A provider mode switch starts from a clean slate of the coarse rules: every global and
-- plain role rule goes; agent pins and role-at-complexity rules, written one by one by an
-- operator, stay (as RoboCo's mode switch keeps them).
DELETE FROM model_assignments
WHERE scope <> 'agent_slug'
  AND NOT (scope = 'role' AND scope_value LIKE '%:%');

-- name: update_model_assignment :one
-- Re-point a rule at another provider or model (set_x true); its scope key stays.
UPDATE model_assignments
SET provider_config_id = CASE WHEN :set_provider_config_id THEN :provider_config_id::uuid
                              ELSE provider_config_id END,
    model_name = CASE WHEN :set_model_name THEN :model_name ELSE model_name END,
    updated_at = now()
WHERE id = :id
RETURNING {{model_assignments}};

-- name: delete_model_assignment :execrows
-- Drop one routing rule; 0 rows = no such rule.
DELETE FROM model_assignments
WHERE id = :id;
