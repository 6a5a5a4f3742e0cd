-- revision: 040_awaiting_pr_review
-- down_revision: 039_seed_grok_provider
-- Task status for the reviewer sign-off between PR submission and the PM merge.

ALTER TYPE taskstatus ADD VALUE IF NOT EXISTS 'awaiting_pr_review';
