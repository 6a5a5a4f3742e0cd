-- revision: 078_project_codegen_command
-- down_revision: 077_github_app
-- Optional per-project code generation command; NULL means none.

ALTER TABLE projects
    ADD COLUMN codegen_command VARCHAR(500);
