-- revision: 022_default_branch_master
-- down_revision: 021_task_board_review_complete
-- New projects default to the 'master' branch (the repositories driven here use it);
-- existing rows are left as they are.

ALTER TABLE projects
    ALTER COLUMN default_branch SET DEFAULT 'master';

-- down
-- 017 had dropped the default, so before 022 there was none (RoboCo's downgrade sets 'main').
ALTER TABLE projects
    ALTER COLUMN default_branch DROP DEFAULT;
