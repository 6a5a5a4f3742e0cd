-- revision: 069_tasks_parent_task_id_idx
-- down_revision: 068_tasks_constraints_column
-- Index for finding a task's subtasks. No IF NOT EXISTS, as upstream: a database that
-- already has an index of this name stops here for a look rather than keeping an unknown one.

-- lint: allow index-not-concurrent plain build as upstream: tasks is small (thousands of rows), so the write pause while it builds is brief
CREATE INDEX ix_tasks_parent_task_id ON tasks (parent_task_id);

-- down
DROP INDEX ix_tasks_parent_task_id;
