-- addition: task_lookup_indexes
-- requires: 044_convention_findings
-- default: on
-- Lookups RoboCo makes on every git operation and board page, which its schema serves with a
-- scan of all tasks (measured at 20,000 tasks: 5-32 ms each, 0.04-0.1 ms with these):
--
-- * rsql_tasks_branch_name: the task of a branch (every git verb resolves its task so), and
--   whether a live task owns a branch. Partial: most tasks never get a branch.
-- * rsql_tasks_pr_number: the task of a pull request (merge, rebase, close, external review
--   dedupe). Partial, as above.
-- * rsql_tasks_created_at: every task by creation time, by offset, either way (the API's
--   list and the A2A task list).
--
-- Columns a task's updates change all the time (updated_at, claimed_by, status) are left
-- unindexed on purpose: an index on them would turn every such update from a HOT update into
-- one that writes every index of the table.

CREATE INDEX IF NOT EXISTS rsql_tasks_branch_name ON tasks (branch_name)
    WHERE branch_name IS NOT NULL;

CREATE INDEX IF NOT EXISTS rsql_tasks_pr_number ON tasks (pr_number)
    WHERE pr_number IS NOT NULL;

CREATE INDEX IF NOT EXISTS rsql_tasks_created_at ON tasks (created_at, id);

-- down
-- Before the chain goes below 044: the three indexes go.
DROP INDEX IF EXISTS rsql_tasks_branch_name;
DROP INDEX IF EXISTS rsql_tasks_pr_number;
DROP INDEX IF EXISTS rsql_tasks_created_at;
