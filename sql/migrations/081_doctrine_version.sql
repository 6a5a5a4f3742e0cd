-- revision: 081_doctrine_version
-- down_revision: 080_task_project_budgets
-- Which version of the agent doctrine a spawn ran with.

ALTER TABLE agent_spawn_sessions
    ADD COLUMN doctrine_version VARCHAR(32);

-- down
-- irreversible: drops agent_spawn_sessions.doctrine_version with its values
ALTER TABLE agent_spawn_sessions
    DROP COLUMN doctrine_version;
