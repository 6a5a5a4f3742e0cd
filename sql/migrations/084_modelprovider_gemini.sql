-- revision: 084_modelprovider_gemini
-- down_revision: 083_seed_openai_provider
-- New provider type for Google's Gemini, placed after 'grok' (the last label so far). On its
-- own in this file so it is committed before 085 inserts a row using it: PostgreSQL refuses
-- a new enum label inside the transaction that added it.

ALTER TYPE modelprovider ADD VALUE IF NOT EXISTS 'gemini' AFTER 'grok';

-- down
-- irreversible: modelprovider loses 'gemini': provider rows of that type and their model assignments are deleted
-- RoboCo's downgrade leaves the label in place; ours removes it so the catalog is 083's.
-- PostgreSQL cannot drop an enum label, so the type is made again without it. 085's down
-- has already removed the seeded Gemini row; what is left of that type was added by hand.
DELETE FROM model_assignments
WHERE  provider_config_id IN (SELECT id FROM provider_configs WHERE type = 'gemini');

DELETE FROM provider_configs
WHERE  type = 'gemini';

ALTER TYPE modelprovider RENAME TO modelprovider_084;
CREATE TYPE modelprovider AS ENUM ('anthropic', 'ollama_cloud', 'openai', 'local', 'grok');
-- lint: allow alter-column-type provider_configs holds a handful of rows, so the rewrite is brief
ALTER TABLE provider_configs
    ALTER COLUMN type TYPE modelprovider USING type::text::modelprovider;
DROP TYPE modelprovider_084;
