-- revision: 017_reconcile_orm_schema_drift
-- down_revision: 016_add_products_product_id
-- Catches the chain up with RoboCo's ORM: indexed_documents, notifications.delivered_at, tz-aware timestamps,
-- no server defaults (the app fills values), stricter NOT NULLs and reworked indexes; existing rows are kept.
-- lint: allow-file alter-column-type naive timestamps become timestamptz as RoboCo's ORM declares them; each table is rewritten once, in this one transaction
-- lint: allow-file set-not-null the DO block below first fills every NULL from the column's default, so no scan can fail; each table is locked by this file anyway
-- lint: allow-file index-not-concurrent each index is on a table this transaction already holds ACCESS EXCLUSIVE (its ALTER TABLE above), so CONCURRENTLY gains nothing

-- ---------------------------------------------------------------------------
-- New objects
-- ---------------------------------------------------------------------------
CREATE TABLE indexed_documents (
    id           UUID           NOT NULL,
    index_type   VARCHAR(50)    NOT NULL,
    source       VARCHAR(1000)  NOT NULL,
    source_hash  VARCHAR(64)    NOT NULL,
    title        VARCHAR(500),
    preview      TEXT,
    chunk_count  INTEGER        NOT NULL,
    extra_data   JSON           NOT NULL,
    indexed_at   TIMESTAMPTZ    NOT NULL,
    updated_at   TIMESTAMPTZ,
    CONSTRAINT pk_indexed_documents PRIMARY KEY (id),
    CONSTRAINT uq_indexed_doc_source UNIQUE (index_type, source_hash)
);
CREATE INDEX ix_indexed_docs_type_time ON indexed_documents (index_type, indexed_at);
CREATE INDEX ix_indexed_documents_index_type ON indexed_documents (index_type);

ALTER TABLE notifications ADD COLUMN delivered_at TIMESTAMPTZ;

-- ---------------------------------------------------------------------------
-- Columns that become NOT NULL below used to be nullable with a default. Any NULL a raw insert may
-- have left is filled with that (still present) default first, so tightening cannot fail or lose rows.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    item      RECORD;
    colname   TEXT;
    set_list  TEXT[];
    null_test TEXT[];
BEGIN
    FOR item IN
        SELECT * FROM (VALUES
            ('a2a_messages', ARRAY['edit_history']),
            ('agents', ARRAY['capabilities', 'permissions', 'metrics']),
            ('channels', ARRAY['members', 'writers', 'silent_observers', 'is_archived', 'is_private', 'allow_threads', 'allow_reactions', 'max_message_length', 'message_count', 'group_count']),
            ('groups', ARRAY['allowed_roles', 'hierarchy_level', 'members', 'is_active', 'default_session_config', 'total_sessions', 'total_messages']),
            ('handoffs', ARRAY['new_functionality', 'modified_behavior', 'breaking_changes', 'required_docs', 'optional_docs', 'commits', 'new_files', 'modified_files', 'key_conversations', 'code_samples', 'gotchas', 'related_docs', 'key_learnings', 'key_decisions', 'questions']),
            ('journal_entries', ARRAY['tags', 'is_private']),
            ('journals', ARRAY['total_entries', 'entries_by_type']),
            ('messages', ARRAY['is_reply', 'mentions', 'confidence', 'edit_history']),
            ('notifications', ARRAY['requires_ack', 'acked_by', 'acked_at', 'related_message_ids', 'read_by']),
            ('projects', ARRAY['protected_branches']),
            ('sessions', ARRAY['timeout_seconds', 'message_count', 'total_content_length']),
            ('tasks', ARRAY['dependency_ids', 'blocker_ids', 'checkpoints', 'progress_updates', 'commits', 'documents', 'self_verified']),
            ('work_sessions', ARRAY['commits', 'files_modified'])
        ) AS v(tbl, cols)
    LOOP
        set_list := ARRAY[]::TEXT[];
        null_test := ARRAY[]::TEXT[];
        FOREACH colname IN ARRAY item.cols LOOP
            set_list := set_list || format('%I = COALESCE(%I, %s)', colname, colname,
                (SELECT pg_get_expr(d.adbin, d.adrelid)
                 FROM pg_attrdef d
                 JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                 WHERE d.adrelid = item.tbl::regclass AND a.attname = colname));
            null_test := null_test || format('%I IS NULL', colname);
        END LOOP;
        EXECUTE format('UPDATE %I SET %s WHERE %s', item.tbl,
                       array_to_string(set_list, ', '), array_to_string(null_test, ' OR '));
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- Per-table column changes. Naive timestamps were written by the application as UTC wall-clock
-- values, so they are read back as UTC (what RoboCo's conversion did under its UTC server setting).
-- ---------------------------------------------------------------------------
ALTER TABLE a2a_conversations
    ALTER COLUMN status DROP DEFAULT,
    ALTER COLUMN message_count DROP DEFAULT,
    ALTER COLUMN unread_by_a DROP DEFAULT,
    ALTER COLUMN unread_by_b DROP DEFAULT,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN updated_at DROP DEFAULT;

ALTER TABLE a2a_messages
    ALTER COLUMN message_kind DROP DEFAULT,
    ALTER COLUMN requires_response DROP DEFAULT,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN edit_history DROP DEFAULT,
    ALTER COLUMN edit_history SET NOT NULL;

ALTER TABLE agents
    ALTER COLUMN status DROP DEFAULT,
    ALTER COLUMN capabilities DROP DEFAULT,
    ALTER COLUMN capabilities SET NOT NULL,
    ALTER COLUMN permissions DROP DEFAULT,
    ALTER COLUMN permissions SET NOT NULL,
    ALTER COLUMN metrics DROP DEFAULT,
    ALTER COLUMN metrics SET NOT NULL,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE audit_log
    ALTER COLUMN severity DROP DEFAULT,
    ALTER COLUMN details DROP DEFAULT,
    ALTER COLUMN "timestamp" DROP DEFAULT;

ALTER TABLE channels
    ALTER COLUMN members DROP DEFAULT,
    ALTER COLUMN members SET NOT NULL,
    ALTER COLUMN writers DROP DEFAULT,
    ALTER COLUMN writers SET NOT NULL,
    ALTER COLUMN silent_observers DROP DEFAULT,
    ALTER COLUMN silent_observers SET NOT NULL,
    ALTER COLUMN is_archived DROP DEFAULT,
    ALTER COLUMN is_archived SET NOT NULL,
    ALTER COLUMN is_private DROP DEFAULT,
    ALTER COLUMN is_private SET NOT NULL,
    ALTER COLUMN allow_threads DROP DEFAULT,
    ALTER COLUMN allow_threads SET NOT NULL,
    ALTER COLUMN allow_reactions DROP DEFAULT,
    ALTER COLUMN allow_reactions SET NOT NULL,
    ALTER COLUMN message_retention_days DROP DEFAULT,
    ALTER COLUMN max_message_length DROP DEFAULT,
    ALTER COLUMN max_message_length SET NOT NULL,
    ALTER COLUMN message_count DROP DEFAULT,
    ALTER COLUMN message_count SET NOT NULL,
    ALTER COLUMN group_count DROP DEFAULT,
    ALTER COLUMN group_count SET NOT NULL,
    ALTER COLUMN last_activity TYPE TIMESTAMPTZ USING last_activity AT TIME ZONE 'UTC',
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE gateway_triggers
    ALTER COLUMN created_at DROP DEFAULT;

ALTER TABLE groups
    ALTER COLUMN allowed_roles DROP DEFAULT,
    ALTER COLUMN allowed_roles SET NOT NULL,
    ALTER COLUMN hierarchy_level DROP DEFAULT,
    ALTER COLUMN hierarchy_level SET NOT NULL,
    ALTER COLUMN members DROP DEFAULT,
    ALTER COLUMN members SET NOT NULL,
    ALTER COLUMN is_active DROP DEFAULT,
    ALTER COLUMN is_active SET NOT NULL,
    ALTER COLUMN default_session_config DROP DEFAULT,
    ALTER COLUMN default_session_config SET NOT NULL,
    ALTER COLUMN total_sessions DROP DEFAULT,
    ALTER COLUMN total_sessions SET NOT NULL,
    ALTER COLUMN total_messages DROP DEFAULT,
    ALTER COLUMN total_messages SET NOT NULL,
    ALTER COLUMN last_activity TYPE TIMESTAMPTZ USING last_activity AT TIME ZONE 'UTC',
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE handoffs
    ALTER COLUMN new_functionality DROP DEFAULT,
    ALTER COLUMN new_functionality SET NOT NULL,
    ALTER COLUMN modified_behavior DROP DEFAULT,
    ALTER COLUMN modified_behavior SET NOT NULL,
    ALTER COLUMN breaking_changes DROP DEFAULT,
    ALTER COLUMN breaking_changes SET NOT NULL,
    ALTER COLUMN required_docs DROP DEFAULT,
    ALTER COLUMN required_docs SET NOT NULL,
    ALTER COLUMN optional_docs DROP DEFAULT,
    ALTER COLUMN optional_docs SET NOT NULL,
    ALTER COLUMN commits DROP DEFAULT,
    ALTER COLUMN commits SET NOT NULL,
    ALTER COLUMN new_files DROP DEFAULT,
    ALTER COLUMN new_files SET NOT NULL,
    ALTER COLUMN modified_files DROP DEFAULT,
    ALTER COLUMN modified_files SET NOT NULL,
    ALTER COLUMN key_conversations DROP DEFAULT,
    ALTER COLUMN key_conversations SET NOT NULL,
    ALTER COLUMN code_samples DROP DEFAULT,
    ALTER COLUMN code_samples SET NOT NULL,
    ALTER COLUMN gotchas DROP DEFAULT,
    ALTER COLUMN gotchas SET NOT NULL,
    ALTER COLUMN related_docs DROP DEFAULT,
    ALTER COLUMN related_docs SET NOT NULL,
    ALTER COLUMN key_learnings DROP DEFAULT,
    ALTER COLUMN key_learnings SET NOT NULL,
    ALTER COLUMN key_decisions DROP DEFAULT,
    ALTER COLUMN key_decisions SET NOT NULL,
    ALTER COLUMN questions DROP DEFAULT,
    ALTER COLUMN questions SET NOT NULL,
    ALTER COLUMN status DROP DEFAULT,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC',
    ALTER COLUMN claimed_at TYPE TIMESTAMPTZ USING claimed_at AT TIME ZONE 'UTC',
    ALTER COLUMN completed_at TYPE TIMESTAMPTZ USING completed_at AT TIME ZONE 'UTC';

ALTER TABLE journal_entries
    ALTER COLUMN "timestamp" DROP DEFAULT,
    ALTER COLUMN "timestamp" TYPE TIMESTAMPTZ USING "timestamp" AT TIME ZONE 'UTC',
    ALTER COLUMN tags DROP DEFAULT,
    ALTER COLUMN tags SET NOT NULL,
    ALTER COLUMN is_private DROP DEFAULT,
    ALTER COLUMN is_private SET NOT NULL,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE journals
    ALTER COLUMN total_entries DROP DEFAULT,
    ALTER COLUMN total_entries SET NOT NULL,
    ALTER COLUMN last_entry_at TYPE TIMESTAMPTZ USING last_entry_at AT TIME ZONE 'UTC',
    ALTER COLUMN summary_updated_at TYPE TIMESTAMPTZ USING summary_updated_at AT TIME ZONE 'UTC',
    ALTER COLUMN entries_by_type DROP DEFAULT,
    ALTER COLUMN entries_by_type SET NOT NULL,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC';

-- The channel/time index loses its DESC ordering; dropped before the rewrite so it is built only once.
DROP INDEX ix_messages_channel_timestamp;
ALTER TABLE messages
    ALTER COLUMN is_reply DROP DEFAULT,
    ALTER COLUMN is_reply SET NOT NULL,
    ALTER COLUMN mentions DROP DEFAULT,
    ALTER COLUMN mentions SET NOT NULL,
    ALTER COLUMN "timestamp" DROP DEFAULT,
    ALTER COLUMN "timestamp" TYPE TIMESTAMPTZ USING "timestamp" AT TIME ZONE 'UTC',
    ALTER COLUMN confidence DROP DEFAULT,
    ALTER COLUMN confidence SET NOT NULL,
    ALTER COLUMN edited_at TYPE TIMESTAMPTZ USING edited_at AT TIME ZONE 'UTC',
    ALTER COLUMN edit_history DROP DEFAULT,
    ALTER COLUMN edit_history SET NOT NULL,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC';

ALTER TABLE model_assignments
    ALTER COLUMN created_at DROP DEFAULT;

-- The DESC-only timestamp index gives way to the composite indexes created at the end.
DROP INDEX ix_notifications_to_timestamp;
ALTER TABLE notifications
    ALTER COLUMN priority DROP DEFAULT,
    ALTER COLUMN requires_ack DROP DEFAULT,
    ALTER COLUMN requires_ack SET NOT NULL,
    ALTER COLUMN acked_by DROP DEFAULT,
    ALTER COLUMN acked_by SET NOT NULL,
    ALTER COLUMN acked_at DROP DEFAULT,
    ALTER COLUMN acked_at SET NOT NULL,
    ALTER COLUMN related_message_ids DROP DEFAULT,
    ALTER COLUMN related_message_ids SET NOT NULL,
    ALTER COLUMN "timestamp" DROP DEFAULT,
    ALTER COLUMN "timestamp" TYPE TIMESTAMPTZ USING "timestamp" AT TIME ZONE 'UTC',
    ALTER COLUMN expires_at TYPE TIMESTAMPTZ USING expires_at AT TIME ZONE 'UTC',
    ALTER COLUMN read_by DROP DEFAULT,
    ALTER COLUMN read_by SET NOT NULL,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC';

ALTER TABLE products
    ALTER COLUMN created_at DROP DEFAULT;

ALTER TABLE projects
    ALTER COLUMN default_branch DROP DEFAULT,
    ALTER COLUMN protected_branches DROP DEFAULT,
    ALTER COLUMN protected_branches SET NOT NULL,
    ALTER COLUMN last_synced_at TYPE TIMESTAMPTZ USING last_synced_at AT TIME ZONE 'UTC',
    ALTER COLUMN is_active DROP DEFAULT,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE provider_configs
    ALTER COLUMN enabled DROP DEFAULT,
    ALTER COLUMN created_at DROP DEFAULT;

ALTER TABLE session_tasks
    ALTER COLUMN is_primary DROP DEFAULT,
    ALTER COLUMN relationship_type DROP DEFAULT,
    ALTER COLUMN added_at DROP DEFAULT,
    ALTER COLUMN added_at TYPE TIMESTAMPTZ USING added_at AT TIME ZONE 'UTC';

ALTER TABLE sessions
    ALTER COLUMN max_message_count DROP DEFAULT,
    ALTER COLUMN max_content_length DROP DEFAULT,
    ALTER COLUMN timeout_seconds DROP DEFAULT,
    ALTER COLUMN timeout_seconds SET NOT NULL,
    ALTER COLUMN status DROP DEFAULT,
    ALTER COLUMN scope DROP DEFAULT,
    ALTER COLUMN started_at DROP DEFAULT,
    ALTER COLUMN started_at TYPE TIMESTAMPTZ USING started_at AT TIME ZONE 'UTC',
    ALTER COLUMN last_activity_at DROP DEFAULT,
    ALTER COLUMN last_activity_at TYPE TIMESTAMPTZ USING last_activity_at AT TIME ZONE 'UTC',
    ALTER COLUMN closed_at TYPE TIMESTAMPTZ USING closed_at AT TIME ZONE 'UTC',
    ALTER COLUMN message_count DROP DEFAULT,
    ALTER COLUMN message_count SET NOT NULL,
    ALTER COLUMN total_content_length DROP DEFAULT,
    ALTER COLUMN total_content_length SET NOT NULL,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC';

-- The heartbeat index is no longer wanted.
DROP INDEX ix_tasks_active_claimant_heartbeat;
ALTER TABLE tasks
    ALTER COLUMN status DROP DEFAULT,
    ALTER COLUMN priority DROP DEFAULT,
    ALTER COLUMN task_type DROP DEFAULT,
    ALTER COLUMN nature DROP DEFAULT,
    ALTER COLUMN docs_complete DROP DEFAULT,
    ALTER COLUMN pr_created DROP DEFAULT,
    ALTER COLUMN dependency_ids DROP DEFAULT,
    ALTER COLUMN dependency_ids SET NOT NULL,
    ALTER COLUMN blocker_ids DROP DEFAULT,
    ALTER COLUMN blocker_ids SET NOT NULL,
    ALTER COLUMN sequence DROP DEFAULT,
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC',
    ALTER COLUMN claimed_at TYPE TIMESTAMPTZ USING claimed_at AT TIME ZONE 'UTC',
    ALTER COLUMN started_at TYPE TIMESTAMPTZ USING started_at AT TIME ZONE 'UTC',
    ALTER COLUMN completed_at TYPE TIMESTAMPTZ USING completed_at AT TIME ZONE 'UTC',
    ALTER COLUMN target_date TYPE TIMESTAMPTZ USING target_date AT TIME ZONE 'UTC',
    ALTER COLUMN estimated_complexity DROP DEFAULT,
    ALTER COLUMN checkpoints DROP DEFAULT,
    ALTER COLUMN checkpoints SET NOT NULL,
    ALTER COLUMN progress_updates DROP DEFAULT,
    ALTER COLUMN progress_updates SET NOT NULL,
    ALTER COLUMN commits DROP DEFAULT,
    ALTER COLUMN commits SET NOT NULL,
    ALTER COLUMN documents DROP DEFAULT,
    ALTER COLUMN documents SET NOT NULL,
    ALTER COLUMN self_verified DROP DEFAULT,
    ALTER COLUMN self_verified SET NOT NULL,
    ALTER COLUMN acceptance_criteria_status DROP DEFAULT,
    ALTER COLUMN qa_evidence_inspected DROP DEFAULT;

-- context goes back from JSONB to plain JSON (values are re-serialised, not lost).
ALTER TABLE waiting_records
    ALTER COLUMN context DROP DEFAULT,
    ALTER COLUMN context TYPE JSON USING context::json,
    ALTER COLUMN created_at DROP DEFAULT;

ALTER TABLE work_sessions
    ALTER COLUMN started_at DROP DEFAULT,
    ALTER COLUMN started_at TYPE TIMESTAMPTZ USING started_at AT TIME ZONE 'UTC',
    ALTER COLUMN ended_at TYPE TIMESTAMPTZ USING ended_at AT TIME ZONE 'UTC',
    ALTER COLUMN status DROP DEFAULT,
    ALTER COLUMN commits DROP DEFAULT,
    ALTER COLUMN commits SET NOT NULL,
    ALTER COLUMN files_modified DROP DEFAULT,
    ALTER COLUMN files_modified SET NOT NULL,
    ALTER COLUMN pr_created_at TYPE TIMESTAMPTZ USING pr_created_at AT TIME ZONE 'UTC',
    ALTER COLUMN pr_merged_at TYPE TIMESTAMPTZ USING pr_merged_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at DROP DEFAULT,
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING updated_at AT TIME ZONE 'UTC';

-- Provider names: the unique constraint plus plain index become a single unique index.
ALTER TABLE provider_configs DROP CONSTRAINT uq_provider_configs_name;
DROP INDEX ix_provider_configs_name;
CREATE UNIQUE INDEX ix_provider_configs_name ON provider_configs (name);

-- RoboCo's 002 attached column comments that its 017 removes; clear them in case this database got them.
COMMENT ON COLUMN audit_log.event_type IS NULL;
COMMENT ON COLUMN audit_log.target_type IS NULL;
COMMENT ON COLUMN audit_log.severity IS NULL;
COMMENT ON COLUMN waiting_records.agent_id IS NULL;
COMMENT ON COLUMN waiting_records.waiting_for IS NULL;

-- ---------------------------------------------------------------------------
-- Indexes the ORM declares that the chain never created
-- ---------------------------------------------------------------------------
CREATE INDEX ix_handoffs_assigned_status ON handoffs (assigned_to, status);
CREATE INDEX ix_handoffs_status_created ON handoffs (status, created_at);
CREATE INDEX ix_journal_entries_journal_timestamp ON journal_entries (journal_id, "timestamp");
CREATE INDEX ix_journal_entries_journal_type ON journal_entries (journal_id, type);
CREATE INDEX ix_journal_entries_task_id ON journal_entries (task_id);
CREATE INDEX ix_messages_channel_timestamp ON messages (channel_id, "timestamp");
CREATE INDEX ix_messages_agent_timestamp ON messages (agent_id, "timestamp");
CREATE INDEX ix_messages_session_timestamp ON messages (session_id, "timestamp");
CREATE INDEX ix_notifications_from_agent_timestamp ON notifications (from_agent, "timestamp");
CREATE INDEX ix_notifications_timestamp_priority ON notifications ("timestamp", priority);
CREATE INDEX ix_notifications_type_priority ON notifications (type, priority);
CREATE INDEX ix_session_tasks_type ON session_tasks (relationship_type);
CREATE INDEX ix_sessions_group_status ON sessions (group_id, status);
CREATE INDEX ix_sessions_status_started ON sessions (status, started_at);
CREATE INDEX ix_tasks_created_by_status ON tasks (created_by, status);
CREATE INDEX ix_tasks_product_id ON tasks (product_id);
CREATE INDEX ix_tasks_sequence ON tasks (sequence);
CREATE INDEX ix_work_sessions_task ON work_sessions (task_id);

-- down
-- irreversible: drops indexed_documents and notifications.delivered_at with their values
-- Back to 016's shape: naive timestamps (read as UTC, as 017 wrote them), the server defaults,
-- the nullable columns and the indexes as they were. Values in every kept column are kept.

DROP TABLE indexed_documents;
ALTER TABLE notifications DROP COLUMN delivered_at;

DROP INDEX ix_handoffs_assigned_status, ix_handoffs_status_created,
    ix_journal_entries_journal_timestamp, ix_journal_entries_journal_type,
    ix_journal_entries_task_id, ix_messages_channel_timestamp, ix_messages_agent_timestamp,
    ix_messages_session_timestamp, ix_notifications_from_agent_timestamp,
    ix_notifications_timestamp_priority, ix_notifications_type_priority, ix_session_tasks_type,
    ix_sessions_group_status, ix_sessions_status_started, ix_tasks_created_by_status,
    ix_tasks_product_id, ix_tasks_sequence, ix_work_sessions_task;

ALTER TABLE a2a_conversations
    ALTER COLUMN status SET DEFAULT 'active',
    ALTER COLUMN message_count SET DEFAULT 0,
    ALTER COLUMN unread_by_a SET DEFAULT 0,
    ALTER COLUMN unread_by_b SET DEFAULT 0,
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at SET DEFAULT now();

ALTER TABLE a2a_messages
    ALTER COLUMN message_kind SET DEFAULT 'message',
    ALTER COLUMN requires_response SET DEFAULT false,
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN edit_history SET DEFAULT '[]',
    ALTER COLUMN edit_history DROP NOT NULL;

ALTER TABLE agents
    ALTER COLUMN status SET DEFAULT 'offline',
    ALTER COLUMN capabilities SET DEFAULT '{}',
    ALTER COLUMN capabilities DROP NOT NULL,
    ALTER COLUMN permissions SET DEFAULT '{}',
    ALTER COLUMN permissions DROP NOT NULL,
    ALTER COLUMN metrics SET DEFAULT '{}',
    ALTER COLUMN metrics DROP NOT NULL,
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE audit_log
    ALTER COLUMN severity SET DEFAULT 'info',
    ALTER COLUMN details SET DEFAULT '{}'::jsonb,
    ALTER COLUMN "timestamp" SET DEFAULT now();

ALTER TABLE channels
    ALTER COLUMN members SET DEFAULT '{}',
    ALTER COLUMN members DROP NOT NULL,
    ALTER COLUMN writers SET DEFAULT '{}',
    ALTER COLUMN writers DROP NOT NULL,
    ALTER COLUMN silent_observers SET DEFAULT '{}',
    ALTER COLUMN silent_observers DROP NOT NULL,
    ALTER COLUMN is_archived SET DEFAULT false,
    ALTER COLUMN is_archived DROP NOT NULL,
    ALTER COLUMN is_private SET DEFAULT false,
    ALTER COLUMN is_private DROP NOT NULL,
    ALTER COLUMN allow_threads SET DEFAULT true,
    ALTER COLUMN allow_threads DROP NOT NULL,
    ALTER COLUMN allow_reactions SET DEFAULT true,
    ALTER COLUMN allow_reactions DROP NOT NULL,
    ALTER COLUMN message_retention_days SET DEFAULT 90,
    ALTER COLUMN max_message_length SET DEFAULT 10000,
    ALTER COLUMN max_message_length DROP NOT NULL,
    ALTER COLUMN message_count SET DEFAULT 0,
    ALTER COLUMN message_count DROP NOT NULL,
    ALTER COLUMN group_count SET DEFAULT 0,
    ALTER COLUMN group_count DROP NOT NULL,
    ALTER COLUMN last_activity TYPE TIMESTAMP USING last_activity AT TIME ZONE 'UTC',
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE gateway_triggers
    ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE groups
    ALTER COLUMN allowed_roles SET DEFAULT '{}',
    ALTER COLUMN allowed_roles DROP NOT NULL,
    ALTER COLUMN hierarchy_level SET DEFAULT 4,
    ALTER COLUMN hierarchy_level DROP NOT NULL,
    ALTER COLUMN members SET DEFAULT '{}',
    ALTER COLUMN members DROP NOT NULL,
    ALTER COLUMN is_active SET DEFAULT true,
    ALTER COLUMN is_active DROP NOT NULL,
    ALTER COLUMN default_session_config SET DEFAULT '{}',
    ALTER COLUMN default_session_config DROP NOT NULL,
    ALTER COLUMN total_sessions SET DEFAULT 0,
    ALTER COLUMN total_sessions DROP NOT NULL,
    ALTER COLUMN total_messages SET DEFAULT 0,
    ALTER COLUMN total_messages DROP NOT NULL,
    ALTER COLUMN last_activity TYPE TIMESTAMP USING last_activity AT TIME ZONE 'UTC',
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE handoffs
    ALTER COLUMN new_functionality SET DEFAULT '{}',
    ALTER COLUMN new_functionality DROP NOT NULL,
    ALTER COLUMN modified_behavior SET DEFAULT '{}',
    ALTER COLUMN modified_behavior DROP NOT NULL,
    ALTER COLUMN breaking_changes SET DEFAULT '{}',
    ALTER COLUMN breaking_changes DROP NOT NULL,
    ALTER COLUMN required_docs SET DEFAULT '[]',
    ALTER COLUMN required_docs DROP NOT NULL,
    ALTER COLUMN optional_docs SET DEFAULT '[]',
    ALTER COLUMN optional_docs DROP NOT NULL,
    ALTER COLUMN commits SET DEFAULT '[]',
    ALTER COLUMN commits DROP NOT NULL,
    ALTER COLUMN new_files SET DEFAULT '[]',
    ALTER COLUMN new_files DROP NOT NULL,
    ALTER COLUMN modified_files SET DEFAULT '[]',
    ALTER COLUMN modified_files DROP NOT NULL,
    ALTER COLUMN key_conversations SET DEFAULT '[]',
    ALTER COLUMN key_conversations DROP NOT NULL,
    ALTER COLUMN code_samples SET DEFAULT '[]',
    ALTER COLUMN code_samples DROP NOT NULL,
    ALTER COLUMN gotchas SET DEFAULT '[]',
    ALTER COLUMN gotchas DROP NOT NULL,
    ALTER COLUMN related_docs SET DEFAULT '{}',
    ALTER COLUMN related_docs DROP NOT NULL,
    ALTER COLUMN key_learnings SET DEFAULT '{}',
    ALTER COLUMN key_learnings DROP NOT NULL,
    ALTER COLUMN key_decisions SET DEFAULT '[]',
    ALTER COLUMN key_decisions DROP NOT NULL,
    ALTER COLUMN questions SET DEFAULT '{}',
    ALTER COLUMN questions DROP NOT NULL,
    ALTER COLUMN status SET DEFAULT 'pending',
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC',
    ALTER COLUMN claimed_at TYPE TIMESTAMP USING claimed_at AT TIME ZONE 'UTC',
    ALTER COLUMN completed_at TYPE TIMESTAMP USING completed_at AT TIME ZONE 'UTC';

ALTER TABLE journal_entries
    ALTER COLUMN "timestamp" TYPE TIMESTAMP USING "timestamp" AT TIME ZONE 'UTC',
    ALTER COLUMN "timestamp" SET DEFAULT now(),
    ALTER COLUMN tags SET DEFAULT '{}',
    ALTER COLUMN tags DROP NOT NULL,
    ALTER COLUMN is_private SET DEFAULT false,
    ALTER COLUMN is_private DROP NOT NULL,
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE journals
    ALTER COLUMN total_entries SET DEFAULT 0,
    ALTER COLUMN total_entries DROP NOT NULL,
    ALTER COLUMN last_entry_at TYPE TIMESTAMP USING last_entry_at AT TIME ZONE 'UTC',
    ALTER COLUMN summary_updated_at TYPE TIMESTAMP USING summary_updated_at AT TIME ZONE 'UTC',
    ALTER COLUMN entries_by_type SET DEFAULT '{}',
    ALTER COLUMN entries_by_type DROP NOT NULL,
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE messages
    ALTER COLUMN is_reply SET DEFAULT false,
    ALTER COLUMN is_reply DROP NOT NULL,
    ALTER COLUMN mentions SET DEFAULT '{}',
    ALTER COLUMN mentions DROP NOT NULL,
    ALTER COLUMN "timestamp" TYPE TIMESTAMP USING "timestamp" AT TIME ZONE 'UTC',
    ALTER COLUMN "timestamp" SET DEFAULT now(),
    ALTER COLUMN confidence SET DEFAULT '1.0',
    ALTER COLUMN confidence DROP NOT NULL,
    ALTER COLUMN edited_at TYPE TIMESTAMP USING edited_at AT TIME ZONE 'UTC',
    ALTER COLUMN edit_history SET DEFAULT '[]',
    ALTER COLUMN edit_history DROP NOT NULL,
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now();
CREATE INDEX ix_messages_channel_timestamp ON messages (channel_id, "timestamp" DESC);

ALTER TABLE model_assignments
    ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE notifications
    ALTER COLUMN priority SET DEFAULT 'normal',
    ALTER COLUMN requires_ack SET DEFAULT true,
    ALTER COLUMN requires_ack DROP NOT NULL,
    ALTER COLUMN acked_by SET DEFAULT '{}',
    ALTER COLUMN acked_by DROP NOT NULL,
    ALTER COLUMN acked_at SET DEFAULT '{}',
    ALTER COLUMN acked_at DROP NOT NULL,
    ALTER COLUMN related_message_ids SET DEFAULT '{}',
    ALTER COLUMN related_message_ids DROP NOT NULL,
    ALTER COLUMN "timestamp" TYPE TIMESTAMP USING "timestamp" AT TIME ZONE 'UTC',
    ALTER COLUMN "timestamp" SET DEFAULT now(),
    ALTER COLUMN expires_at TYPE TIMESTAMP USING expires_at AT TIME ZONE 'UTC',
    ALTER COLUMN read_by SET DEFAULT '{}',
    ALTER COLUMN read_by DROP NOT NULL,
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now();
CREATE INDEX ix_notifications_to_timestamp ON notifications ("timestamp" DESC);

ALTER TABLE products
    ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE projects
    ALTER COLUMN default_branch SET DEFAULT 'main',
    ALTER COLUMN protected_branches SET DEFAULT '{}',
    ALTER COLUMN protected_branches DROP NOT NULL,
    ALTER COLUMN last_synced_at TYPE TIMESTAMP USING last_synced_at AT TIME ZONE 'UTC',
    ALTER COLUMN is_active SET DEFAULT true,
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC';

ALTER TABLE provider_configs
    ALTER COLUMN enabled SET DEFAULT true,
    ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE session_tasks
    ALTER COLUMN is_primary SET DEFAULT false,
    ALTER COLUMN relationship_type SET DEFAULT 'discussion',
    ALTER COLUMN added_at TYPE TIMESTAMP USING added_at AT TIME ZONE 'UTC',
    ALTER COLUMN added_at SET DEFAULT now();

ALTER TABLE sessions
    ALTER COLUMN max_message_count SET DEFAULT 100,
    ALTER COLUMN max_content_length SET DEFAULT 50000,
    ALTER COLUMN timeout_seconds SET DEFAULT 300,
    ALTER COLUMN timeout_seconds DROP NOT NULL,
    ALTER COLUMN status SET DEFAULT 'active',
    ALTER COLUMN scope SET DEFAULT 'task',
    ALTER COLUMN started_at TYPE TIMESTAMP USING started_at AT TIME ZONE 'UTC',
    ALTER COLUMN started_at SET DEFAULT now(),
    ALTER COLUMN last_activity_at TYPE TIMESTAMP USING last_activity_at AT TIME ZONE 'UTC',
    ALTER COLUMN last_activity_at SET DEFAULT now(),
    ALTER COLUMN closed_at TYPE TIMESTAMP USING closed_at AT TIME ZONE 'UTC',
    ALTER COLUMN message_count SET DEFAULT 0,
    ALTER COLUMN message_count DROP NOT NULL,
    ALTER COLUMN total_content_length SET DEFAULT 0,
    ALTER COLUMN total_content_length DROP NOT NULL,
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE tasks
    ALTER COLUMN status SET DEFAULT 'pending',
    ALTER COLUMN priority SET DEFAULT 2,
    ALTER COLUMN task_type SET DEFAULT 'code',
    ALTER COLUMN nature SET DEFAULT 'technical',
    ALTER COLUMN docs_complete SET DEFAULT false,
    ALTER COLUMN pr_created SET DEFAULT false,
    ALTER COLUMN dependency_ids SET DEFAULT '{}',
    ALTER COLUMN dependency_ids DROP NOT NULL,
    ALTER COLUMN blocker_ids SET DEFAULT '{}',
    ALTER COLUMN blocker_ids DROP NOT NULL,
    ALTER COLUMN sequence SET DEFAULT 0,
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC',
    ALTER COLUMN claimed_at TYPE TIMESTAMP USING claimed_at AT TIME ZONE 'UTC',
    ALTER COLUMN started_at TYPE TIMESTAMP USING started_at AT TIME ZONE 'UTC',
    ALTER COLUMN completed_at TYPE TIMESTAMP USING completed_at AT TIME ZONE 'UTC',
    ALTER COLUMN target_date TYPE TIMESTAMP USING target_date AT TIME ZONE 'UTC',
    ALTER COLUMN estimated_complexity SET DEFAULT 'medium',
    ALTER COLUMN checkpoints SET DEFAULT '[]',
    ALTER COLUMN checkpoints DROP NOT NULL,
    ALTER COLUMN progress_updates SET DEFAULT '[]',
    ALTER COLUMN progress_updates DROP NOT NULL,
    ALTER COLUMN commits SET DEFAULT '[]',
    ALTER COLUMN commits DROP NOT NULL,
    ALTER COLUMN documents SET DEFAULT '[]',
    ALTER COLUMN documents DROP NOT NULL,
    ALTER COLUMN self_verified SET DEFAULT false,
    ALTER COLUMN self_verified DROP NOT NULL,
    ALTER COLUMN acceptance_criteria_status SET DEFAULT '[]',
    ALTER COLUMN qa_evidence_inspected SET DEFAULT false;
CREATE INDEX ix_tasks_active_claimant_heartbeat ON tasks (active_claimant_id, last_heartbeat_at);

-- context goes back to JSONB (002's type).
ALTER TABLE waiting_records
    ALTER COLUMN context TYPE JSONB USING context::jsonb,
    ALTER COLUMN context SET DEFAULT '{}',
    ALTER COLUMN created_at SET DEFAULT now();

ALTER TABLE work_sessions
    ALTER COLUMN started_at TYPE TIMESTAMP USING started_at AT TIME ZONE 'UTC',
    ALTER COLUMN started_at SET DEFAULT now(),
    ALTER COLUMN ended_at TYPE TIMESTAMP USING ended_at AT TIME ZONE 'UTC',
    ALTER COLUMN status SET DEFAULT 'active',
    ALTER COLUMN commits SET DEFAULT '{}',
    ALTER COLUMN commits DROP NOT NULL,
    ALTER COLUMN files_modified SET DEFAULT '{}',
    ALTER COLUMN files_modified DROP NOT NULL,
    ALTER COLUMN pr_created_at TYPE TIMESTAMP USING pr_created_at AT TIME ZONE 'UTC',
    ALTER COLUMN pr_merged_at TYPE TIMESTAMP USING pr_merged_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at TYPE TIMESTAMP USING created_at AT TIME ZONE 'UTC',
    ALTER COLUMN created_at SET DEFAULT now(),
    ALTER COLUMN updated_at TYPE TIMESTAMP USING updated_at AT TIME ZONE 'UTC';

-- Provider names: back to a plain index plus the unique constraint of 004.
DROP INDEX ix_provider_configs_name;
CREATE INDEX ix_provider_configs_name ON provider_configs (name);
ALTER TABLE provider_configs ADD CONSTRAINT uq_provider_configs_name UNIQUE (name);
