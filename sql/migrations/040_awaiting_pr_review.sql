-- revision: 040_awaiting_pr_review
-- down_revision: 039_seed_grok_provider
-- Task status for the reviewer sign-off between PR submission and the PM merge.

ALTER TYPE taskstatus ADD VALUE IF NOT EXISTS 'awaiting_pr_review';

-- down
-- irreversible: tasks awaiting PR review go back to in_progress, the state they were submitted from
-- taskstatus loses 'awaiting_pr_review' (the type is rebuilt). Before 040 there was no reviewer
-- gate, so such a task returns to where the PM submits it from; a blocked task's saved state too.
UPDATE tasks SET pre_block_state = 'in_progress' WHERE pre_block_state = 'awaiting_pr_review';

ALTER TYPE taskstatus RENAME TO taskstatus_old;
CREATE TYPE taskstatus AS ENUM (
    'backlog', 'pending', 'claimed', 'in_progress', 'blocked', 'paused', 'verifying',
    'needs_revision', 'awaiting_qa', 'awaiting_documentation', 'awaiting_pm_review',
    'awaiting_ceo_approval', 'completed', 'cancelled'
);
ALTER TABLE tasks ALTER COLUMN status TYPE taskstatus
    USING (CASE status::text WHEN 'awaiting_pr_review' THEN 'in_progress' ELSE status::text END)::taskstatus;
DROP TYPE taskstatus_old;
