-- revision: 033_pitches
-- down_revision: 032_company_goals
-- Board product proposals; once the CEO approves one, repos/projects (and a product)
-- are provisioned and a seed task is created. Status is a plain string.

CREATE TABLE pitches (
    id                      UUID         NOT NULL,
    title                   VARCHAR(200) NOT NULL,
    slug                    VARCHAR(50)  NOT NULL,
    problem                 TEXT         NOT NULL,
    proposed_solution       TEXT         NOT NULL,
    target_cells            JSON         NOT NULL DEFAULT '[]'::JSON,
    status                  VARCHAR(20)  NOT NULL DEFAULT 'proposed',
    created_by              UUID         NOT NULL,
    decided_by              UUID,
    decision_notes          TEXT,
    provisioned_product_id  UUID,
    provisioned_project_ids JSON,
    seed_task_id            UUID,
    created_at              TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ,
    CONSTRAINT pk_pitches PRIMARY KEY (id),
    CONSTRAINT uq_pitches_slug UNIQUE (slug)
);
CREATE INDEX ix_pitches_status ON pitches (status);

-- down
-- irreversible: drops pitches with every proposal and decision
DROP TABLE pitches;
