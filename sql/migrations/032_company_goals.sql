-- revision: 032_company_goals
-- down_revision: 031_rag_chunks_fulltext
-- Single-row company charter (north star, objectives, constraints, policy) that is fed
-- into every agent briefing; seeded as an empty row under the all-zero uuid.

CREATE TABLE company_goals (
    id               UUID        NOT NULL,
    north_star       TEXT        NOT NULL DEFAULT '',
    objectives       JSON        NOT NULL DEFAULT '[]'::JSON,
    constraints      JSON        NOT NULL DEFAULT '[]'::JSON,
    operating_policy JSON        NOT NULL DEFAULT '{}'::JSON,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by       UUID,
    CONSTRAINT pk_company_goals PRIMARY KEY (id)
);

INSERT INTO company_goals (id)
VALUES ('00000000-0000-0000-0000-000000000000');

-- down
-- irreversible: drops company_goals with the company's charter
DROP TABLE company_goals;
