-- revision: 093_playbook_source_program
-- down_revision: 092_task_stalled_marker
-- Which board program a playbook came from, if any.

ALTER TABLE playbooks
    ADD COLUMN source_program VARCHAR(30);

-- down
-- irreversible: drops playbooks.source_program with its values
ALTER TABLE playbooks
    DROP COLUMN source_program;
