-- revision: 025_agentrole_prompter
-- down_revision: 024_add_prompter_tables
-- The intake interviewer ("prompter") becomes an agent role. Idempotent, forward-only.

ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'prompter';

-- down
-- agentrole loses 'prompter' (the type is rebuilt); an agent still holding that role makes the
-- cast fail: reassign or delete it first.
ALTER TYPE agentrole RENAME TO agentrole_old;
CREATE TYPE agentrole AS ENUM (
    'ceo', 'product_owner', 'head_marketing', 'auditor', 'main_pm', 'cell_pm',
    'developer', 'qa', 'documenter', 'system'
);
ALTER TABLE agents ALTER COLUMN role TYPE agentrole USING role::text::agentrole;
DROP TYPE agentrole_old;
