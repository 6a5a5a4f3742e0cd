-- revision: 028_seed_self_hosted_provider
-- down_revision: 027_system_settings
-- Seed a disabled "local" provider row so a self-hosted Ollama server can be set up
-- from the panel; skipped when a row of that name already exists.

INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES (gen_random_uuid(), 'Self-Hosted (Ollama)', 'local', NULL, NULL, FALSE, now())
ON CONFLICT (name) DO NOTHING;

-- down
-- irreversible: deletes the Self-Hosted (Ollama) provider row and any key or model assignment on it
-- Its model assignments go first (their key to provider_configs is ON DELETE RESTRICT).
DELETE FROM model_assignments
WHERE provider_config_id IN (SELECT id FROM provider_configs WHERE name = 'Self-Hosted (Ollama)');
DELETE FROM provider_configs WHERE name = 'Self-Hosted (Ollama)';
