-- revision: 028_seed_self_hosted_provider
-- down_revision: 027_system_settings
-- Seed a disabled "local" provider row so a self-hosted Ollama server can be set up
-- from the panel; skipped when a row of that name already exists.

INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES (gen_random_uuid(), 'Self-Hosted (Ollama)', 'local', NULL, NULL, FALSE, now())
ON CONFLICT (name) DO NOTHING;
