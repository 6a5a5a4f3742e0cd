-- revision: 012_align_agentrole_foundation
-- down_revision: 011_drop_quarantined_state
-- Adds the 'system' agent role (orchestrator-owned work), which 009 skips when it takes its rebuild path.

ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'system';

-- down
-- agentrole loses 'system' (the type is rebuilt); an agent still holding that role makes the
-- cast fail: reassign or delete it first.
ALTER TYPE agentrole RENAME TO agentrole_old;
CREATE TYPE agentrole AS ENUM (
    'ceo', 'product_owner', 'head_marketing', 'auditor', 'main_pm', 'cell_pm',
    'developer', 'qa', 'documenter'
);
ALTER TABLE agents ALTER COLUMN role TYPE agentrole USING role::text::agentrole;
DROP TYPE agentrole_old;
