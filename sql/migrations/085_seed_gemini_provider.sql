-- revision: 085_seed_gemini_provider
-- down_revision: 084_modelprovider_gemini
-- Seed the Gemini (Google) provider row, disabled and without a base URL (086 enables it).
-- An existing row of that name is left as it is, so running this again changes nothing.

INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES (gen_random_uuid(), 'Gemini (Google)', 'gemini', NULL, NULL, FALSE, now())
ON CONFLICT (name) DO NOTHING;

-- down
-- irreversible: deletes the Gemini (Google) provider row (and any token on it) and the model assignments using it
-- As RoboCo's downgrade: assignments first (their key is ON DELETE RESTRICT), then the row.
DELETE FROM model_assignments
WHERE  provider_config_id IN (SELECT id FROM provider_configs WHERE name = 'Gemini (Google)');

DELETE FROM provider_configs
WHERE  name = 'Gemini (Google)';
