-- revision: 053_playbook_archived_attr
-- down_revision: 052_task_cell_projects
-- Who retired a playbook and when, kept apart from approved_by / approved_at so archiving
-- or rejecting no longer overwrites (or fakes) the approval record.

ALTER TABLE playbooks
    ADD COLUMN archived_by UUID,
    ADD COLUMN archived_at TIMESTAMPTZ;

-- down
-- irreversible: drops playbooks.archived_by and playbooks.archived_at with their values
ALTER TABLE playbooks
    DROP COLUMN archived_at,
    DROP COLUMN archived_by;
