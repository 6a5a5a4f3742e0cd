-- revision: 072_project_sandbox_extensions
-- down_revision: 071_review_findings
-- Per-project sandbox extensions, as jsonb; NULL for existing projects.

ALTER TABLE projects
    ADD COLUMN sandbox_extensions JSONB;

-- down
-- irreversible: drops projects.sandbox_extensions with its values
ALTER TABLE projects
    DROP COLUMN sandbox_extensions;
