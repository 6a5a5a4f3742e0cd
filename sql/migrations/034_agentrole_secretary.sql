-- revision: 034_agentrole_secretary
-- down_revision: 033_pitches
-- The CEO's chief-of-staff ("secretary") becomes an agent role. Idempotent, forward-only.

ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'secretary';

-- down
-- agentrole loses 'secretary' (the type is rebuilt); an agent still holding that role makes the
-- cast fail: reassign or delete it first.
ALTER TYPE agentrole RENAME TO agentrole_old;
CREATE TYPE agentrole AS ENUM (
    'ceo', 'product_owner', 'head_marketing', 'auditor', 'main_pm', 'cell_pm',
    'developer', 'qa', 'documenter', 'system', 'prompter'
);
ALTER TABLE agents ALTER COLUMN role TYPE agentrole USING role::text::agentrole;
DROP TYPE agentrole_old;
