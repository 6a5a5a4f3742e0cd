-- revision: 079_notification_backoff
-- down_revision: 078_project_codegen_command
-- Backoff bookkeeping for re-escalated notifications: how often a notification was
-- re-escalated, how many of those were delivered, and when the last one happened.

ALTER TABLE notifications
    ADD COLUMN reescalation_count           INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN reescalation_delivered_count INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN last_reescalated_at          TIMESTAMPTZ;

-- down
-- irreversible: drops the three re-escalation columns of notifications with their values
ALTER TABLE notifications
    DROP COLUMN last_reescalated_at,
    DROP COLUMN reescalation_delivered_count,
    DROP COLUMN reescalation_count;
