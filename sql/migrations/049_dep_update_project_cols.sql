-- revision: 049_dep_update_project_cols
-- down_revision: 048_ci_watch_project_cols
-- Opt-in dependency-update bot per project: the command to run and the lockfile globs to
-- inspect (NULL = inferred). Both nullable, so existing projects do not take part.

ALTER TABLE projects
    ADD COLUMN dep_update_command VARCHAR(500),
    ADD COLUMN dep_update_paths   VARCHAR[];

-- down
-- irreversible: drops projects.dep_update_command and projects.dep_update_paths with their values
ALTER TABLE projects
    DROP COLUMN dep_update_paths,
    DROP COLUMN dep_update_command;
