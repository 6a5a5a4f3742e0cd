-- revision: 080_task_project_budgets
-- down_revision: 079_notification_backoff
-- Spending limits: an optional budget per task and a monthly one per project (USD), and an
-- index to sum spawn sessions per task. Upstream this revision was re-parented onto 079 when
-- its branch was merged; the parent above is the one RoboCo ships.

ALTER TABLE tasks
    ADD COLUMN budget_usd DOUBLE PRECISION;

ALTER TABLE projects
    ADD COLUMN monthly_budget_usd DOUBLE PRECISION;

-- lint: allow index-not-concurrent plain build as upstream: one row per agent spawn, and only the sweeper writes them, so a short pause is harmless
CREATE INDEX ix_agent_spawn_sessions_task_id ON agent_spawn_sessions (task_id);

-- down
-- irreversible: drops tasks.budget_usd and projects.monthly_budget_usd with their values
DROP INDEX ix_agent_spawn_sessions_task_id;

ALTER TABLE projects
    DROP COLUMN monthly_budget_usd;

ALTER TABLE tasks
    DROP COLUMN budget_usd;
