-- revision: 005_blocker_raised_by
-- down_revision: 004_provider_routing
-- Remembers which agent raised a task's blocker, so unblocking can hand the task back to them.

-- lint: allow constraint-not-valid the key is on blocker_raised_by, added by this same statement: NULL in every row, so the check scan rejects nothing
ALTER TABLE tasks
    ADD COLUMN blocker_raised_by UUID,
    ADD CONSTRAINT fk_tasks_blocker_raised_by_agents
        FOREIGN KEY (blocker_raised_by) REFERENCES agents (id) ON DELETE SET NULL;

-- down
-- irreversible: drops tasks.blocker_raised_by (who raised each blocker)
ALTER TABLE tasks DROP COLUMN blocker_raised_by;
