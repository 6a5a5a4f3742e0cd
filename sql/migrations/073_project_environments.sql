-- revision: 073_project_environments
-- down_revision: 072_project_sandbox_extensions
-- Per-project environment definitions, as jsonb; NULL for existing projects.

ALTER TABLE projects
    ADD COLUMN environments JSONB;

-- down
-- irreversible: drops projects.environments with its values
ALTER TABLE projects
    DROP COLUMN environments;
