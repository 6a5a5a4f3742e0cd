-- revision: 035_secretary_directives
-- down_revision: 034_agentrole_secretary
-- Audit trail and approval queue for actions the Secretary takes for the CEO: low-risk
-- ones are logged as done, high-impact ones wait as 'pending' for confirmation.

CREATE TABLE secretary_directives (
    id           UUID        NOT NULL,
    kind         VARCHAR(32) NOT NULL,
    payload      JSON        NOT NULL DEFAULT '{}'::JSON,
    status       VARCHAR(16) NOT NULL DEFAULT 'pending',
    requested_by UUID        NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_by   UUID,
    decided_at   TIMESTAMPTZ,
    result       TEXT,
    CONSTRAINT pk_secretary_directives PRIMARY KEY (id)
);
CREATE INDEX ix_secretary_directives_status ON secretary_directives (status);

-- down
-- irreversible: drops secretary_directives (the Secretary's audit trail and approval queue)
DROP TABLE secretary_directives;
