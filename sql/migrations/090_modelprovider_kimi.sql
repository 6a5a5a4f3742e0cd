-- revision: 090_modelprovider_kimi
-- down_revision: 089_board_cycle_ntp_reason
-- New provider type for Moonshot's Kimi, placed after 'gemini'. On its own in this file so
-- it is committed before 091 inserts a row using it.

ALTER TYPE modelprovider ADD VALUE IF NOT EXISTS 'kimi' AFTER 'gemini';

-- down
-- irreversible: modelprovider loses 'kimi': provider rows of that type and their model assignments are deleted
-- RoboCo's downgrade leaves the label in place; ours removes it so the catalog is 089's.
-- PostgreSQL cannot drop an enum label, so the type is made again without it. 091's down
-- has already removed the seeded Kimi row; what is left of that type was added by hand.
DELETE FROM model_assignments
WHERE  provider_config_id IN (SELECT id FROM provider_configs WHERE type = 'kimi');

DELETE FROM provider_configs
WHERE  type = 'kimi';

ALTER TYPE modelprovider RENAME TO modelprovider_090;
CREATE TYPE modelprovider AS ENUM ('anthropic', 'ollama_cloud', 'openai', 'local', 'grok', 'gemini');
-- lint: allow alter-column-type provider_configs holds a handful of rows, so the rewrite is brief
ALTER TABLE provider_configs
    ALTER COLUMN type TYPE modelprovider USING type::text::modelprovider;
DROP TYPE modelprovider_090;
