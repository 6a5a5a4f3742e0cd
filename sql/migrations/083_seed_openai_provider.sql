-- revision: 083_seed_openai_provider
-- down_revision: 082_routing_presets
-- Seed the Codex (OpenAI) provider row with OpenAI's public base URL, enabled (unlike the
-- Grok row). The conflict target is the unique index on name; an existing row of that name
-- is left as it is, so running this again changes nothing.

INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES (gen_random_uuid(), 'Codex (OpenAI)', 'openai', 'https://api.openai.com/v1', NULL, TRUE, now())
ON CONFLICT (name) DO NOTHING;

-- down
-- irreversible: deletes the Codex (OpenAI) provider row (and any token on it) and the model assignments using it
-- As RoboCo's downgrade: assignments first (their key is ON DELETE RESTRICT), then the row.
DELETE FROM model_assignments
WHERE  provider_config_id IN (SELECT id FROM provider_configs WHERE name = 'Codex (OpenAI)');

DELETE FROM provider_configs
WHERE  name = 'Codex (OpenAI)';
