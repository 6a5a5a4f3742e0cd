-- revision: 014_drop_pm_approvals
-- down_revision: 013_drop_role_enum
-- tasks.pm_approvals was never written or read by anything; drop it.

-- lint: allow drop-column nothing ever wrote or read tasks.pm_approvals, so no running code breaks
ALTER TABLE tasks DROP COLUMN pm_approvals;

-- down
-- the column comes back as 001 made it; its old values were dropped by 014 and stay lost
ALTER TABLE tasks ADD COLUMN pm_approvals JSON DEFAULT '{}';
