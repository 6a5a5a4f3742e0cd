-- revision: 038_modelprovider_grok
-- down_revision: 037_agentrole_pr_reviewer
-- New provider type for xAI's Grok. Kept on its own so the label is committed before
-- 039 inserts a row that uses it (a new enum label is unusable in its own transaction).

ALTER TYPE modelprovider ADD VALUE IF NOT EXISTS 'grok';
