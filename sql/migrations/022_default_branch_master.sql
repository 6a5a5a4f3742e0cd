-- revision: 022_default_branch_master
-- down_revision: 021_task_board_review_complete
-- New projects default to the 'master' branch (the repositories driven here use it);
-- existing rows are left as they are.

ALTER TABLE projects
    ALTER COLUMN default_branch SET DEFAULT 'master';
