-- revision: 014_drop_pm_approvals
-- down_revision: 013_drop_role_enum
-- tasks.pm_approvals was never written or read by anything; drop it.

ALTER TABLE tasks DROP COLUMN pm_approvals;
