-- revision: 070_vault_seen_notes
-- down_revision: 069_tasks_parent_task_id_idx
-- Ledger of vault notes already processed, one row per (path, content hash), so an edited
-- note is taken up again and an unchanged one is skipped.

CREATE TABLE vault_seen_notes (
    id           UUID         NOT NULL,
    note_path    VARCHAR(512) NOT NULL,
    content_hash VARCHAR(64)  NOT NULL,
    processed_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT pk_vault_seen_notes PRIMARY KEY (id),
    CONSTRAINT uq_vault_seen_notes_path_hash UNIQUE (note_path, content_hash)
);

-- down
-- irreversible: drops vault_seen_notes with its rows
DROP TABLE vault_seen_notes;
