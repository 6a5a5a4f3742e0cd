-- revision: 084_modelprovider_gemini
-- down_revision: 083_seed_openai_provider
-- New provider type for Google's Gemini, placed after 'grok' (the last label so far). On its
-- own in this file so it is committed before 085 inserts a row using it: PostgreSQL refuses
-- a new enum label inside the transaction that added it.

ALTER TYPE modelprovider ADD VALUE IF NOT EXISTS 'gemini' AFTER 'grok';
