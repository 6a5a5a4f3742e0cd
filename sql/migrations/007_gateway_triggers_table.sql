-- revision: 007_gateway_triggers_table
-- down_revision: 006_gateway_columns
-- One row per dispatcher decision (spawn, queue, drop, cooldown ...) so the gateway can be observed and tuned.

CREATE TABLE gateway_triggers (
    id               UUID          NOT NULL,
    trigger_kind     VARCHAR(40)   NOT NULL,
    trigger_id       VARCHAR(80),
    task_id          UUID,
    target_role      VARCHAR(40)   NOT NULL,
    decision         VARCHAR(20)   NOT NULL,
    decision_reason  VARCHAR(200)  NOT NULL,
    created_at       TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT pk_gateway_triggers PRIMARY KEY (id)
);
CREATE INDEX ix_gateway_triggers_task_id ON gateway_triggers (task_id);
CREATE INDEX ix_gateway_triggers_created_at ON gateway_triggers (created_at);
CREATE INDEX ix_gateway_triggers_kind_decision ON gateway_triggers (trigger_kind, decision);

ALTER TABLE gateway_triggers
    ADD CONSTRAINT fk_gateway_triggers_task_id_tasks
        FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE SET NULL;

-- down
-- irreversible: drops gateway_triggers with its rows
DROP TABLE gateway_triggers;
