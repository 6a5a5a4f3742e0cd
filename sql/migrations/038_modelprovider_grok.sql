-- revision: 038_modelprovider_grok
-- down_revision: 037_agentrole_pr_reviewer
-- New provider type for xAI's Grok. Kept on its own so the label is committed before
-- 039 inserts a row that uses it (a new enum label is unusable in its own transaction).

ALTER TYPE modelprovider ADD VALUE IF NOT EXISTS 'grok';

-- down
-- modelprovider loses 'grok' (the type is rebuilt); a provider row still of that type makes
-- the cast fail: delete it (and its model assignments) first, as 039's down does for its seed.
ALTER TYPE modelprovider RENAME TO modelprovider_old;
CREATE TYPE modelprovider AS ENUM ('anthropic', 'ollama_cloud', 'openai', 'local');
ALTER TABLE provider_configs ALTER COLUMN type TYPE modelprovider USING type::text::modelprovider;
DROP TYPE modelprovider_old;
