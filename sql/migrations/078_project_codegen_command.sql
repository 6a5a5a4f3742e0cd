-- revision: 078_project_codegen_command
-- down_revision: 077_github_app
-- Optional per-project code generation command; NULL means none.

ALTER TABLE projects
    ADD COLUMN codegen_command VARCHAR(500);

-- down
-- irreversible: drops projects.codegen_command with its values
ALTER TABLE projects
    DROP COLUMN codegen_command;
