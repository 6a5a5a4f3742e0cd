-- revision: 091_seed_kimi_provider
-- down_revision: 090_modelprovider_kimi
-- Seed the Kimi (Moonshot) provider row, enabled, without a base URL. An existing row of
-- that name is left as it is, so running this again changes nothing.

INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES (gen_random_uuid(), 'Kimi (Moonshot)', 'kimi', NULL, NULL, TRUE, now())
ON CONFLICT (name) DO NOTHING;

-- down
-- irreversible: deletes the Kimi (Moonshot) provider row (and any token on it) and the model assignments using it
-- As RoboCo's downgrade: assignments first (their key is ON DELETE RESTRICT), then the row.
DELETE FROM model_assignments
WHERE  provider_config_id IN (SELECT id FROM provider_configs WHERE name = 'Kimi (Moonshot)');

DELETE FROM provider_configs
WHERE  name = 'Kimi (Moonshot)';
