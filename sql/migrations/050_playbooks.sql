-- revision: 050_playbooks
-- down_revision: 049_dep_update_project_cols
-- Playbooks: reusable "how to do X" procedures, drafted by agents and approved by the
-- Auditor before they are indexed for retrieval. status and scope are plain varchar (the
-- allowed values live in the application, no enum type); tags and source_task_ids are json,
-- not jsonb. Slug uniqueness is a unique index, not a constraint.

CREATE TABLE playbooks (
    id              UUID         NOT NULL,
    title           VARCHAR(200) NOT NULL,
    slug            VARCHAR(80)  NOT NULL,
    problem         TEXT         NOT NULL,
    procedure       TEXT         NOT NULL,
    tags            JSON         NOT NULL DEFAULT '[]'::json,
    team            VARCHAR(20),
    scope           VARCHAR(20)  NOT NULL DEFAULT 'org',
    source_task_ids JSON         NOT NULL DEFAULT '[]'::json,
    status          VARCHAR(20)  NOT NULL DEFAULT 'draft',
    created_by      UUID         NOT NULL,
    approved_by     UUID,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    approved_at     TIMESTAMPTZ,
    CONSTRAINT pk_playbooks PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_playbooks_slug ON playbooks (slug);
CREATE INDEX ix_playbooks_status ON playbooks (status);

-- down
-- irreversible: drops playbooks with its rows
DROP TABLE playbooks;
