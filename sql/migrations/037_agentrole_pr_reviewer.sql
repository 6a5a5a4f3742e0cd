-- revision: 037_agentrole_pr_reviewer
-- down_revision: 036_ac_ids_and_parent_refs
-- The read-only reviewer of inbound external PRs ("pr_reviewer") becomes an agent role.

ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'pr_reviewer';
