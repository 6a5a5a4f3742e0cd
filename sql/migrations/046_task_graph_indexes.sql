-- revision: 046_task_graph_indexes
-- down_revision: 045_task_scope_check
-- lint: allow-file index-not-concurrent tasks holds thousands of rows at RoboCo's scale (see 045), so each build holds its SHARE lock for milliseconds, and in one transaction the file applies entirely or not at all
-- Indexes for the work graph and the claim queue, which RoboCo walks without any:
--
-- * ix_tasks_dependency_ids (GIN on dependency_ids): when a task completes, every task whose
--   dependency_ids contains it is updated in the same statement
--   (WHERE dependency_ids @> ARRAY[id]); without it that is a scan of all tasks per
--   completion.
-- * ix_tasks_parent_task_id: subtrees, cascading deletes and the board's parent filter walk
--   parent_task_id one level at a time; without it each level scans all tasks.
-- * ix_tasks_claim_queue: the claim queue in claim order (priority 0 first, then oldest), only
--   over the statuses some role may claim, so claim_next walks it from the front and stops at
--   the first task it may take instead of sorting every open task on every claim.

CREATE INDEX ix_tasks_dependency_ids ON tasks USING gin (dependency_ids);

CREATE INDEX ix_tasks_parent_task_id ON tasks (parent_task_id);

CREATE INDEX ix_tasks_claim_queue ON tasks (priority, created_at, id)
    WHERE status IN ('pending', 'needs_revision', 'awaiting_qa', 'awaiting_documentation',
                     'awaiting_pr_review');
