-- revision: 006_gateway_columns
-- down_revision: 005_blocker_raised_by
-- Task columns for the gateway: single-claimant lock + heartbeat, a snapshot of the state before
-- a block, per-criterion acceptance status and the QA evidence flag.

ALTER TABLE tasks
    ADD COLUMN active_claimant_id          UUID,
    ADD COLUMN last_heartbeat_at           TIMESTAMPTZ,
    ADD COLUMN pre_block_state             VARCHAR(40),
    ADD COLUMN pre_block_assignee          UUID,
    ADD COLUMN pre_block_metadata          JSON,
    ADD COLUMN acceptance_criteria_status  JSON     NOT NULL DEFAULT '[]'::json,
    ADD COLUMN qa_evidence_inspected       BOOLEAN  NOT NULL DEFAULT false;

-- lint: allow constraint-not-valid both keys are on columns the statement above added: NULL in every row, so the check scan rejects nothing
ALTER TABLE tasks
    ADD CONSTRAINT fk_tasks_active_claimant_id_agents
        FOREIGN KEY (active_claimant_id) REFERENCES agents (id) ON DELETE SET NULL,
    ADD CONSTRAINT fk_tasks_pre_block_assignee_agents
        FOREIGN KEY (pre_block_assignee) REFERENCES agents (id) ON DELETE SET NULL;

-- lint: allow index-not-concurrent the index is on columns added above (NULL in every row) and lands in the same transaction; 017 drops it again
CREATE INDEX ix_tasks_active_claimant_heartbeat ON tasks (active_claimant_id, last_heartbeat_at);

-- down
-- irreversible: drops the seven gateway columns of tasks with their values
DROP INDEX ix_tasks_active_claimant_heartbeat;
ALTER TABLE tasks
    DROP CONSTRAINT fk_tasks_pre_block_assignee_agents,
    DROP CONSTRAINT fk_tasks_active_claimant_id_agents,
    DROP COLUMN qa_evidence_inspected,
    DROP COLUMN acceptance_criteria_status,
    DROP COLUMN pre_block_metadata,
    DROP COLUMN pre_block_assignee,
    DROP COLUMN pre_block_state,
    DROP COLUMN last_heartbeat_at,
    DROP COLUMN active_claimant_id;
