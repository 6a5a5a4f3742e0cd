-- revision: 056_member_perf_daily
-- down_revision: 055_spawn_session_turns
-- Daily per-member scorecard rollup, one row per (date, member_kind, agent_slug), written by
-- the sweeper from spawn sessions and the audit log. The CEO is member_kind 'ceo' with
-- agent_slug ''. Every counter defaults to zero; bigint and double precision defaults are
-- typed literals so they print as RoboCo's do. Index names are RoboCo's (not ix_<table>_*).

CREATE TABLE member_performance_daily (
    id                         UUID             NOT NULL,
    date                       DATE             NOT NULL,
    member_kind                VARCHAR(16)      NOT NULL,
    agent_slug                 VARCHAR(100)     NOT NULL DEFAULT '',
    team                       VARCHAR(50),
    role                       VARCHAR(50),
    tasks_completed            INTEGER          NOT NULL DEFAULT 0,
    tasks_first_pass           INTEGER          NOT NULL DEFAULT 0,
    revisions_caused           INTEGER          NOT NULL DEFAULT 0,
    revisions_received         INTEGER          NOT NULL DEFAULT 0,
    active_runtime_seconds     BIGINT           NOT NULL DEFAULT '0'::bigint,
    turns                      INTEGER          NOT NULL DEFAULT 0,
    tool_calls                 INTEGER          NOT NULL DEFAULT 0,
    tokens                     BIGINT           NOT NULL DEFAULT '0'::bigint,
    cost_usd                   DOUBLE PRECISION NOT NULL DEFAULT '0'::double precision,
    ceo_approval_dwell_seconds BIGINT           NOT NULL DEFAULT '0'::bigint,
    ceo_unblock_dwell_seconds  BIGINT           NOT NULL DEFAULT '0'::bigint,
    godmode_actions            INTEGER          NOT NULL DEFAULT 0,
    qa_reviews_total           INTEGER          NOT NULL DEFAULT 0,
    qa_reviews_passed          INTEGER          NOT NULL DEFAULT 0,
    escalations                INTEGER          NOT NULL DEFAULT 0,
    blocked_others             INTEGER          NOT NULL DEFAULT 0,
    idle_seconds               BIGINT           NOT NULL DEFAULT '0'::bigint,
    blocked_seconds            BIGINT           NOT NULL DEFAULT '0'::bigint,
    CONSTRAINT pk_member_performance_daily PRIMARY KEY (id),
    CONSTRAINT uq_member_perf_day UNIQUE (date, member_kind, agent_slug)
);
CREATE INDEX ix_member_perf_date       ON member_performance_daily (date);
CREATE INDEX ix_member_perf_agent_slug ON member_performance_daily (agent_slug);
CREATE INDEX ix_member_perf_team       ON member_performance_daily (team);
CREATE INDEX ix_member_perf_kind       ON member_performance_daily (member_kind);

-- down
-- irreversible: drops member_performance_daily with its rows
DROP TABLE member_performance_daily;
