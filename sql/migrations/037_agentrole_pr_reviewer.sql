-- revision: 037_agentrole_pr_reviewer
-- down_revision: 036_ac_ids_and_parent_refs
-- The read-only reviewer of inbound external PRs ("pr_reviewer") becomes an agent role.

ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'pr_reviewer';

-- down
-- agentrole loses 'pr_reviewer' (the type is rebuilt); an agent still holding that role makes
-- the cast fail: reassign or delete it first.
ALTER TYPE agentrole RENAME TO agentrole_old;
CREATE TYPE agentrole AS ENUM (
    'ceo', 'product_owner', 'head_marketing', 'auditor', 'main_pm', 'cell_pm',
    'developer', 'qa', 'documenter', 'system', 'prompter', 'secretary'
);
ALTER TABLE agents ALTER COLUMN role TYPE agentrole USING role::text::agentrole;
DROP TYPE agentrole_old;
