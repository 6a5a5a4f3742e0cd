-- addition: task_graph_indexes
-- requires: 044_convention_findings
-- default: on
-- Indexes for the work graph and the claim queue, which RoboCo walks without any (until its
-- 069 adds one on parent_task_id):
--
-- * rsql_tasks_dependency_ids (GIN on dependency_ids): when a task completes, every task whose
--   dependency_ids contains it is updated in the same statement
--   (WHERE dependency_ids @> ARRAY[id]); without it that is a scan of all tasks per completion.
-- * rsql_tasks_parent_task_id: subtrees, cascading deletes and the board's parent filter walk
--   parent_task_id one level at a time. RoboCo's 069 adds the same index as
--   ix_tasks_parent_task_id; from then on ours is dropped (this file runs again whenever the
--   chain moves, so it gives way on the run that takes the chain past 069).
-- * rsql_tasks_claim_queue: the claim queue in claim order (priority 0 first, then oldest), only
--   over the statuses some role may claim, so claim_next walks it from the front and stops at
--   the first task it may take instead of sorting every open task on every claim.
--
-- Plain CREATE INDEX: tasks holds thousands of rows at RoboCo's scale, so each build holds its
-- SHARE lock for milliseconds, and in one transaction the file applies entirely or not at all.

CREATE INDEX IF NOT EXISTS rsql_tasks_dependency_ids ON tasks USING gin (dependency_ids);

CREATE INDEX IF NOT EXISTS rsql_tasks_claim_queue ON tasks (priority, created_at, id)
    WHERE status IN ('pending', 'needs_revision', 'awaiting_qa', 'awaiting_documentation',
                     'awaiting_pr_review');

DO $$
BEGIN
    IF to_regclass('public.ix_tasks_parent_task_id') IS NULL THEN
        CREATE INDEX IF NOT EXISTS rsql_tasks_parent_task_id ON tasks (parent_task_id);
    ELSIF to_regclass('public.rsql_tasks_parent_task_id') IS NOT NULL THEN
        DROP INDEX rsql_tasks_parent_task_id;
    END IF;
END
$$;

-- down
-- Before the chain goes below 044 (or the addition is turned off by going back): the three
-- indexes go; RoboCo's own ix_tasks_parent_task_id (069) is not ours and stays.
DROP INDEX IF EXISTS rsql_tasks_dependency_ids;
DROP INDEX IF EXISTS rsql_tasks_claim_queue;
DROP INDEX IF EXISTS rsql_tasks_parent_task_id;
