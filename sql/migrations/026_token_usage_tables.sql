-- revision: 026_token_usage_tables
-- down_revision: 026_completed_dependency_ids
-- Token accounting: one row per agent container spawn, periodic per-spawn snapshots,
-- and per-day totals keyed by (date, agent, team, model) for the sweeper's upsert.

CREATE TABLE agent_spawn_sessions (
    id                 UUID             NOT NULL,
    agent_slug         VARCHAR(100)     NOT NULL,
    team               VARCHAR(50)      NOT NULL,
    role               VARCHAR(50)      NOT NULL,
    model              VARCHAR(100)     NOT NULL,
    task_id            VARCHAR(36),
    started_at         TIMESTAMPTZ      NOT NULL DEFAULT now(),
    ended_at           TIMESTAMPTZ,
    tokens_input       BIGINT           NOT NULL DEFAULT '0',
    tokens_output      BIGINT           NOT NULL DEFAULT '0',
    tokens_cache_read  BIGINT           NOT NULL DEFAULT '0',
    tokens_cache_write BIGINT           NOT NULL DEFAULT '0',
    exit_reason        VARCHAR(100),
    estimated_cost_usd DOUBLE PRECISION,
    CONSTRAINT pk_agent_spawn_sessions PRIMARY KEY (id)
);
CREATE INDEX ix_agent_spawn_sessions_agent_slug ON agent_spawn_sessions (agent_slug);
CREATE INDEX ix_agent_spawn_sessions_started_at ON agent_spawn_sessions (started_at);
CREATE INDEX ix_agent_spawn_sessions_ended_at   ON agent_spawn_sessions (ended_at);
CREATE INDEX ix_agent_spawn_sessions_team       ON agent_spawn_sessions (team);

CREATE TABLE token_usage_snapshots (
    id                     UUID        NOT NULL,
    agent_spawn_session_id UUID        NOT NULL,
    snapshotted_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    tokens_input           BIGINT      NOT NULL DEFAULT '0',
    tokens_output          BIGINT      NOT NULL DEFAULT '0',
    tokens_cache_read      BIGINT      NOT NULL DEFAULT '0',
    tokens_cache_write     BIGINT      NOT NULL DEFAULT '0',
    CONSTRAINT pk_token_usage_snapshots PRIMARY KEY (id),
    CONSTRAINT fk_snapshot_session
        FOREIGN KEY (agent_spawn_session_id) REFERENCES agent_spawn_sessions (id) ON DELETE CASCADE
);
CREATE INDEX ix_token_usage_snapshots_session_id     ON token_usage_snapshots (agent_spawn_session_id);
CREATE INDEX ix_token_usage_snapshots_snapshotted_at ON token_usage_snapshots (snapshotted_at);

CREATE TABLE daily_usage_rollups (
    id                 UUID             NOT NULL,
    date               DATE             NOT NULL,
    agent_slug         VARCHAR(100)     NOT NULL,
    team               VARCHAR(50)      NOT NULL,
    model              VARCHAR(100)     NOT NULL,
    tokens_input       BIGINT           NOT NULL DEFAULT '0',
    tokens_output      BIGINT           NOT NULL DEFAULT '0',
    tokens_cache_read  BIGINT           NOT NULL DEFAULT '0',
    tokens_cache_write BIGINT           NOT NULL DEFAULT '0',
    total_cost_usd     DOUBLE PRECISION NOT NULL DEFAULT '0',
    session_count      INTEGER          NOT NULL DEFAULT 0,
    CONSTRAINT pk_daily_usage_rollups PRIMARY KEY (id),
    CONSTRAINT uq_daily_rollup_date_agent_team_model UNIQUE (date, agent_slug, team, model)
);
CREATE INDEX ix_daily_rollups_date       ON daily_usage_rollups (date);
CREATE INDEX ix_daily_rollups_agent_slug ON daily_usage_rollups (agent_slug);

-- down
-- irreversible: drops the token accounting (spawn sessions, snapshots, daily rollups)
DROP TABLE daily_usage_rollups;
DROP TABLE token_usage_snapshots;
DROP TABLE agent_spawn_sessions;
