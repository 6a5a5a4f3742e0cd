-- revision: 081_doctrine_version
-- down_revision: 080_task_project_budgets
-- Which version of the agent doctrine a spawn ran with.

ALTER TABLE agent_spawn_sessions
    ADD COLUMN doctrine_version VARCHAR(32);
