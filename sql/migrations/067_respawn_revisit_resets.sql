-- revision: 067_respawn_revisit_resets
-- down_revision: 066_tasks_source_status_idx
-- A second reset counter on the respawn tracker, for resets on a revisit; starts at 0.

ALTER TABLE respawn_tracker
    ADD COLUMN revisit_resets INTEGER NOT NULL DEFAULT 0;

-- down
-- irreversible: drops respawn_tracker.revisit_resets with its values
ALTER TABLE respawn_tracker
    DROP COLUMN revisit_resets;
