-- revision: 021_task_board_review_complete
-- down_revision: 020_backfill_enum_values
-- Flag set once both board reviewers have finished with a board task; the CEO's
-- approve action waits on it. Existing rows start out as not reviewed.

ALTER TABLE tasks
    ADD COLUMN board_review_complete BOOLEAN NOT NULL DEFAULT FALSE;

-- down
-- irreversible: drops tasks.board_review_complete with its values
ALTER TABLE tasks DROP COLUMN board_review_complete;
