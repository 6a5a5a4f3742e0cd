-- revision: 066_tasks_source_status_idx
-- down_revision: 065_rag_index_failures
-- Composite index for listing tasks by origin and status, newest first.

-- lint: allow index-not-concurrent plain build as upstream: tasks is small (thousands of rows), so the write pause while it builds is brief
CREATE INDEX ix_tasks_source_status_created ON tasks (source, status, created_at);

-- down
DROP INDEX ix_tasks_source_status_created;
