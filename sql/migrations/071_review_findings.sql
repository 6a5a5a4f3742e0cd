-- revision: 071_review_findings
-- down_revision: 070_vault_seen_notes
-- Structured review findings per task and review round (who found what, where, expected vs
-- actual, and whether a later commit addressed it), plus a PM notes slot on tasks. origin,
-- severity and status are plain varchar (values checked by the application, no enum type).

ALTER TABLE tasks
    ADD COLUMN pm_notes TEXT;

CREATE TABLE task_review_findings (
    id                  UUID          NOT NULL,
    task_id             UUID          NOT NULL,
    origin              VARCHAR(20)   NOT NULL,
    round               INTEGER       NOT NULL,
    author_slug         VARCHAR(64),
    file                VARCHAR(300),
    line                INTEGER,
    severity            VARCHAR(20)   NOT NULL,
    criterion           VARCHAR(500),
    expected            VARCHAR(300)  NOT NULL,
    actual              VARCHAR(300)  NOT NULL,
    fix                 VARCHAR(500),
    evidence            VARCHAR(2000),
    status              VARCHAR(20)   NOT NULL DEFAULT 'open',
    addressed_by_commit VARCHAR(100),
    resolution_note     VARCHAR(300),
    created_at          TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ,
    CONSTRAINT pk_task_review_findings PRIMARY KEY (id),
    CONSTRAINT fk_task_review_findings_task_id_tasks
        FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE
);
CREATE INDEX ix_task_review_findings_task_id     ON task_review_findings (task_id);
CREATE INDEX ix_task_review_findings_task_status ON task_review_findings (task_id, status);

-- down
-- irreversible: drops task_review_findings with its rows and tasks.pm_notes with its values
DROP TABLE task_review_findings;

ALTER TABLE tasks
    DROP COLUMN pm_notes;
