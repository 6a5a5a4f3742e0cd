-- revision: 068_tasks_constraints_column
-- down_revision: 067_respawn_revisit_resets
-- A task's constraints get a column of their own. Nothing is moved: older tasks keep their
-- constraints inside the description.

ALTER TABLE tasks
    ADD COLUMN constraints TEXT;

-- down
-- irreversible: drops tasks.constraints with its values
ALTER TABLE tasks
    DROP COLUMN constraints;
