-- revision: 049_dep_update_project_cols
-- down_revision: 048_ci_watch_project_cols
-- Opt-in dependency-update bot per project: the command to run and the lockfile globs to
-- inspect (NULL = inferred). Both nullable, so existing projects do not take part.

ALTER TABLE projects
    ADD COLUMN dep_update_command VARCHAR(500),
    ADD COLUMN dep_update_paths   VARCHAR[];
