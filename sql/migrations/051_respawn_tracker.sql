-- revision: 051_respawn_tracker
-- down_revision: 050_playbooks
-- Durable copy of the orchestrator's PM-respawn circuit breaker, keyed like its in-memory
-- map (agent_slug, task_id), so a restart no longer resets the strike count. task_id has
-- no foreign key on purpose: the loader checks it against live tasks instead.

CREATE TABLE respawn_tracker (
    agent_slug     VARCHAR(64) NOT NULL,
    task_id        UUID        NOT NULL,
    count          INTEGER     NOT NULL DEFAULT 1,
    last_status    VARCHAR(64),
    last_check     TIMESTAMPTZ NOT NULL,
    tracing_resets INTEGER     NOT NULL DEFAULT 0,
    notified       BOOLEAN     NOT NULL DEFAULT false,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_respawn_tracker PRIMARY KEY (agent_slug, task_id)
);
CREATE INDEX ix_respawn_tracker_last_check ON respawn_tracker (last_check);

-- down
-- irreversible: drops respawn_tracker (the persisted respawn strike counts) with its rows
DROP TABLE respawn_tracker;
