-- revision: 039_seed_grok_provider
-- down_revision: 038_modelprovider_grok
-- Seed the disabled Grok (xAI) provider row with its public base URL and no key;
-- setting a key from the panel enables it. Skipped when the name already exists.

INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES (gen_random_uuid(), 'Grok (xAI)', 'grok', 'https://api.x.ai/v1', NULL, FALSE, now())
ON CONFLICT (name) DO NOTHING;

-- down
-- irreversible: deletes the Grok (xAI) provider row and any key or model assignment on it
-- Its model assignments go first (their key to provider_configs is ON DELETE RESTRICT).
DELETE FROM model_assignments
WHERE provider_config_id IN (SELECT id FROM provider_configs WHERE name = 'Grok (xAI)');
DELETE FROM provider_configs WHERE name = 'Grok (xAI)';
