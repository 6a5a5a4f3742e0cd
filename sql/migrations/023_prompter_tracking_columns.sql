-- revision: 023_prompter_tracking_columns
-- down_revision: 022_default_branch_master
-- Record where a task came from (manual, prompter, ...) and whether a human has
-- confirmed it, for tasks drafted by the Prompter assistant.

ALTER TABLE tasks
    ADD COLUMN source             VARCHAR(50) NOT NULL DEFAULT 'manual',
    ADD COLUMN confirmed_by_human BOOLEAN     NOT NULL DEFAULT FALSE;

-- down
-- irreversible: drops tasks.source and tasks.confirmed_by_human with their values
ALTER TABLE tasks
    DROP COLUMN confirmed_by_human,
    DROP COLUMN source;
