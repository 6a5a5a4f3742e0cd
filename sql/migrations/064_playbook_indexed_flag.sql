-- revision: 064_playbook_indexed_flag
-- down_revision: 063_video_engine_project_toggle
-- Whether (and when) a playbook made it into the retrieval index. Existing approved
-- playbooks read as not indexed; RoboCo indexes them again at startup.

ALTER TABLE playbooks
    ADD COLUMN indexed_ok BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN indexed_at TIMESTAMPTZ;

-- down
-- irreversible: drops playbooks.indexed_ok and playbooks.indexed_at with their values
ALTER TABLE playbooks
    DROP COLUMN indexed_at,
    DROP COLUMN indexed_ok;
