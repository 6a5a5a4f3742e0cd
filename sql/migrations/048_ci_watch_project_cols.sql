-- revision: 048_ci_watch_project_cols
-- down_revision: 047_ws_single_active
-- Opt-in CI watching for any project: off by default, so existing projects stay unwatched;
-- ci_watch_workflow optionally narrows the signal to one workflow file (NULL = default).

ALTER TABLE projects
    ADD COLUMN ci_watch_enabled  BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN ci_watch_workflow VARCHAR(255);

-- down
-- irreversible: drops projects.ci_watch_enabled and projects.ci_watch_workflow with their values
ALTER TABLE projects
    DROP COLUMN ci_watch_workflow,
    DROP COLUMN ci_watch_enabled;
