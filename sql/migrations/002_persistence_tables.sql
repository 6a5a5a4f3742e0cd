-- revision: 002_persistence_tables
-- down_revision: 001_initial_schema
-- Adds the (uppercase, as RoboCo shipped it) APPROVAL notification type, plus durable tables for
-- waiting agents and the audit trail. Tables and indexes are skipped when an older bootstrap already made them.

ALTER TYPE notificationtype ADD VALUE IF NOT EXISTS 'APPROVAL';

CREATE TABLE IF NOT EXISTS waiting_records (
    id             UUID         NOT NULL,
    agent_id       VARCHAR(64)  NOT NULL,
    task_id        UUID,
    waiting_for    VARCHAR(64)  NOT NULL,
    waiting_since  TIMESTAMPTZ  NOT NULL,
    context        JSONB        NOT NULL DEFAULT '{}',
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT pk_waiting_records PRIMARY KEY (id),
    CONSTRAINT fk_waiting_records_task_id_tasks FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ix_waiting_records_agent_id ON waiting_records (agent_id);
CREATE INDEX IF NOT EXISTS ix_waiting_records_waiting_for ON waiting_records (waiting_for);

CREATE TABLE IF NOT EXISTS audit_log (
    id           UUID         NOT NULL,
    event_type   VARCHAR(80)  NOT NULL,
    agent_id     UUID,
    target_type  VARCHAR(40),
    target_id    UUID,
    severity     VARCHAR(16)  NOT NULL DEFAULT 'info',
    details      JSONB        NOT NULL DEFAULT '{}',
    "timestamp"  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT pk_audit_log PRIMARY KEY (id),
    CONSTRAINT fk_audit_log_agent_id_agents FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS ix_audit_log_event_type ON audit_log (event_type);
CREATE INDEX IF NOT EXISTS ix_audit_log_timestamp ON audit_log ("timestamp");
CREATE INDEX IF NOT EXISTS ix_audit_log_agent_timestamp ON audit_log (agent_id, "timestamp");
CREATE INDEX IF NOT EXISTS ix_audit_log_target ON audit_log (target_type, target_id);

-- down
-- irreversible: drops waiting_records and the audit trail in audit_log
DROP TABLE audit_log;
DROP TABLE waiting_records;

-- notificationtype loses the 'APPROVAL' label (PostgreSQL cannot drop one, so the type is
-- rebuilt); a notification still of that type makes the cast fail: delete it first.
ALTER TYPE notificationtype RENAME TO notificationtype_old;
CREATE TYPE notificationtype AS ENUM (
    'task_assignment', 'priority_change', 'blocker_escalation', 'review_request',
    'documentation_request', 'alert', 'broadcast'
);
ALTER TABLE notifications ALTER COLUMN type TYPE notificationtype USING type::text::notificationtype;
DROP TYPE notificationtype_old;
