-- revision: 092_task_stalled_marker
-- down_revision: 091_seed_kimi_provider
-- Mark a task as stalled: why (plain varchar, no enum type) and since when. The partial
-- index covers only stalled tasks, which is what the stall sweep reads.

ALTER TABLE tasks
    ADD COLUMN stalled_reason VARCHAR(50),
    ADD COLUMN stalled_since  TIMESTAMPTZ;

-- lint: allow index-not-concurrent the partial index is on a column added just above (NULL in every row), so it indexes no row and lands with the column
CREATE INDEX ix_tasks_stalled_reason ON tasks (stalled_reason)
    WHERE stalled_reason IS NOT NULL;

-- down
-- irreversible: drops tasks.stalled_reason and tasks.stalled_since with their values
DROP INDEX ix_tasks_stalled_reason;

ALTER TABLE tasks
    DROP COLUMN stalled_since,
    DROP COLUMN stalled_reason;
