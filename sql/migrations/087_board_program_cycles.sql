-- revision: 087_board_program_cycles
-- down_revision: 086_enable_gemini_provider
-- One row per cycle of a board program: the exploration task behind it (kept as NULL if
-- that task is deleted), when it opened and closed, how many items were proposed, approved
-- and rejected, and the decisions taken (json, not jsonb).

CREATE TABLE board_program_cycles (
    id                  UUID        NOT NULL,
    program_key         VARCHAR(40) NOT NULL,
    exploration_task_id UUID,
    opened_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at           TIMESTAMPTZ,
    items_proposed      INTEGER     NOT NULL DEFAULT 0,
    items_approved      INTEGER     NOT NULL DEFAULT 0,
    items_rejected      INTEGER     NOT NULL DEFAULT 0,
    decisions           JSON        NOT NULL DEFAULT '[]'::json,
    CONSTRAINT pk_board_program_cycles PRIMARY KEY (id),
    CONSTRAINT fk_board_program_cycles_exploration_task_id_tasks
        FOREIGN KEY (exploration_task_id) REFERENCES tasks (id) ON DELETE SET NULL
);
CREATE INDEX ix_board_program_cycles_program_key ON board_program_cycles (program_key);

-- down
-- irreversible: drops board_program_cycles with its rows
DROP TABLE board_program_cycles;
