-- revision: 085_seed_gemini_provider
-- down_revision: 084_modelprovider_gemini
-- Seed the Gemini (Google) provider row, disabled and without a base URL (086 enables it).
-- An existing row of that name is left as it is, so running this again changes nothing.

INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES (gen_random_uuid(), 'Gemini (Google)', 'gemini', NULL, NULL, FALSE, now())
ON CONFLICT (name) DO NOTHING;
