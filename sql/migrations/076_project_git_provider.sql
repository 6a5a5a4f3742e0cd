-- revision: 076_project_git_provider
-- down_revision: 075_company_goals_company_name
-- Which git host a project lives on. Plain varchar: the application validates the value.

ALTER TABLE projects
    ADD COLUMN git_provider VARCHAR(16);

-- down
-- irreversible: drops projects.git_provider with its values
ALTER TABLE projects
    DROP COLUMN git_provider;
