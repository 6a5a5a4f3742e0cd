-- revision: 015_drop_task_execution_outputs
-- down_revision: 014_drop_pm_approvals
-- Drops two task columns that were never populated (progress lives in progress_updates, artifacts
-- in commits/documents).

-- lint: allow drop-column neither column was ever populated or read (see above), so no running code breaks
ALTER TABLE tasks
    DROP COLUMN execution_log,
    DROP COLUMN outputs;

-- down
-- the columns come back as 001 made them; their old values were dropped by 015 and stay lost
ALTER TABLE tasks
    ADD COLUMN execution_log JSON DEFAULT '{}',
    ADD COLUMN outputs       JSON DEFAULT '[]';
