-- revision: 001_initial_schema
-- down_revision:
-- Base schema: the 18 enum types and the 15 original tables (agents, tasks, projects,
-- messaging, journals, handoffs, agent-to-agent chat). Timestamps start out naive; 017 converts them.

-- ---------------------------------------------------------------------------
-- Enum types
-- ---------------------------------------------------------------------------
CREATE TYPE agentrole AS ENUM (
    'ceo', 'product_owner', 'head_marketing', 'auditor', 'main_pm', 'cell_pm',
    'developer', 'qa', 'documenter'
);
CREATE TYPE team AS ENUM ('backend', 'frontend', 'ux_ui', 'main_pm', 'board', 'marketing');
CREATE TYPE agentstatus AS ENUM ('active', 'idle', 'offline');
CREATE TYPE worksessionstatus AS ENUM ('active', 'completed', 'abandoned');
CREATE TYPE taskstatus AS ENUM (
    'backlog', 'pending', 'claimed', 'in_progress', 'blocked', 'paused', 'verifying',
    'needs_revision', 'awaiting_qa', 'awaiting_documentation', 'awaiting_pm_review',
    'awaiting_ceo_approval', 'completed', 'cancelled'
);
CREATE TYPE tasktype AS ENUM ('code', 'documentation', 'research', 'planning', 'design', 'administrative');
CREATE TYPE tasknature AS ENUM ('technical', 'non_technical');
CREATE TYPE complexity AS ENUM ('low', 'medium', 'high');
CREATE TYPE channeltype AS ENUM ('cell', 'cross_cell', 'management', 'special');
CREATE TYPE sessionstatus AS ENUM ('active', 'closed', 'timed_out');
CREATE TYPE sessionscope AS ENUM ('initiative', 'cell', 'task');
CREATE TYPE messagetype AS ENUM ('reasoning', 'dialogue', 'decision', 'action', 'blocker', 'technical');
CREATE TYPE notificationtype AS ENUM (
    'task_assignment', 'priority_change', 'blocker_escalation', 'review_request',
    'documentation_request', 'alert', 'broadcast'
);
CREATE TYPE notificationpriority AS ENUM ('normal', 'high', 'urgent');
CREATE TYPE journalentrytype AS ENUM ('task_reflection', 'decision_log', 'learning', 'struggle', 'general');
CREATE TYPE handoffstatus AS ENUM ('pending', 'claimed', 'in_progress', 'completed');
CREATE TYPE a2aconversationstatus AS ENUM ('active', 'paused', 'closed');
CREATE TYPE a2amessagekind AS ENUM ('message', 'request', 'response', 'system');

-- ---------------------------------------------------------------------------
-- agents (current_task_id gets its FK once tasks exists)
-- ---------------------------------------------------------------------------
CREATE TABLE agents (
    id               UUID          NOT NULL,
    name             VARCHAR(100)  NOT NULL,
    slug             VARCHAR(50)   NOT NULL,
    role             agentrole     NOT NULL,
    team             team,
    status           agentstatus   NOT NULL DEFAULT 'offline',
    current_task_id  UUID,
    model_config     JSON          NOT NULL,
    system_prompt    TEXT          NOT NULL,
    capabilities     VARCHAR[]     DEFAULT '{}',
    permissions      JSON          DEFAULT '{}',
    metrics          JSON          DEFAULT '{}',
    journal_id       UUID,
    description      TEXT,
    created_at       TIMESTAMP     NOT NULL DEFAULT now(),
    updated_at       TIMESTAMP,
    CONSTRAINT pk_agents PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_agents_slug ON agents (slug);

-- ---------------------------------------------------------------------------
-- projects
-- ---------------------------------------------------------------------------
CREATE TABLE projects (
    id                   UUID          NOT NULL,
    name                 VARCHAR(100)  NOT NULL,
    slug                 VARCHAR(50)   NOT NULL,
    git_url              VARCHAR(500)  NOT NULL,
    default_branch       VARCHAR(100)  NOT NULL DEFAULT 'main',
    protected_branches   VARCHAR[]     DEFAULT '{}',
    git_token_encrypted  TEXT,
    test_command         VARCHAR(500),
    lint_command         VARCHAR(500),
    format_command       VARCHAR(500),
    typecheck_command    VARCHAR(500),
    build_command        VARCHAR(500),
    assigned_cell        team          NOT NULL,
    allowed_agents       UUID[],
    workspace_path       VARCHAR(500),
    last_synced_at       TIMESTAMP,
    head_commit          VARCHAR(40),
    created_by           UUID          NOT NULL,
    is_active            BOOLEAN       NOT NULL DEFAULT true,
    created_at           TIMESTAMP     NOT NULL DEFAULT now(),
    updated_at           TIMESTAMP,
    CONSTRAINT pk_projects PRIMARY KEY (id),
    CONSTRAINT fk_projects_created_by_agents FOREIGN KEY (created_by) REFERENCES agents (id)
);
CREATE UNIQUE INDEX ix_projects_slug ON projects (slug);

-- ---------------------------------------------------------------------------
-- work_sessions (task_id gets its FK once tasks exists)
-- ---------------------------------------------------------------------------
CREATE TABLE work_sessions (
    id              UUID               NOT NULL,
    project_id      UUID               NOT NULL,
    task_id         UUID               NOT NULL,
    agent_id        UUID,
    branch_name     VARCHAR(500)       NOT NULL,
    base_branch     VARCHAR(500)       NOT NULL,
    target_branch   VARCHAR(500)       NOT NULL,
    started_at      TIMESTAMP          NOT NULL DEFAULT now(),
    ended_at        TIMESTAMP,
    status          worksessionstatus  NOT NULL DEFAULT 'active',
    commits         VARCHAR[]          DEFAULT '{}',
    files_modified  VARCHAR[]          DEFAULT '{}',
    pr_number       INTEGER,
    pr_url          VARCHAR(500),
    pr_status       VARCHAR(50),
    pr_created_at   TIMESTAMP,
    pr_merged_at    TIMESTAMP,
    merged_by       UUID,
    created_at      TIMESTAMP          NOT NULL DEFAULT now(),
    updated_at      TIMESTAMP,
    CONSTRAINT pk_work_sessions PRIMARY KEY (id),
    CONSTRAINT fk_work_sessions_project_id_projects FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_work_sessions_agent_id_agents FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE SET NULL,
    CONSTRAINT fk_work_sessions_merged_by_agents FOREIGN KEY (merged_by) REFERENCES agents (id) ON DELETE SET NULL
);
CREATE INDEX ix_work_sessions_project_id ON work_sessions (project_id);
CREATE INDEX ix_work_sessions_task_id ON work_sessions (task_id);
CREATE INDEX ix_work_sessions_agent_id ON work_sessions (agent_id);
CREATE INDEX ix_work_sessions_status ON work_sessions (status);

-- ---------------------------------------------------------------------------
-- tasks
-- ---------------------------------------------------------------------------
CREATE TABLE tasks (
    id                    UUID          NOT NULL,
    title                 VARCHAR(200)  NOT NULL,
    description           TEXT          NOT NULL,
    acceptance_criteria   VARCHAR[]     NOT NULL,
    status                taskstatus    NOT NULL DEFAULT 'pending',
    priority              INTEGER       NOT NULL DEFAULT 2,
    task_type             tasktype      NOT NULL DEFAULT 'code',
    nature                tasknature    NOT NULL DEFAULT 'technical',
    project_id            UUID          NOT NULL,
    branch_name           VARCHAR(500),
    work_session_id       UUID,
    pr_number             INTEGER,
    pr_url                VARCHAR(500),
    docs_complete         BOOLEAN       NOT NULL DEFAULT false,
    pr_created            BOOLEAN       NOT NULL DEFAULT false,
    pm_approvals          JSON          DEFAULT '{}',
    created_by            UUID          NOT NULL,
    assigned_to           UUID,
    team                  team          NOT NULL,
    parent_task_id        UUID,
    dependency_ids        UUID[]        DEFAULT '{}',
    blocker_ids           UUID[]        DEFAULT '{}',
    sequence              INTEGER       NOT NULL DEFAULT 0,
    created_at            TIMESTAMP     NOT NULL DEFAULT now(),
    updated_at            TIMESTAMP,
    claimed_at            TIMESTAMP,
    claimed_by            UUID,
    started_at            TIMESTAMP,
    completed_at          TIMESTAMP,
    target_date           TIMESTAMP,
    plan                  JSON,
    estimated_complexity  complexity    NOT NULL DEFAULT 'medium',
    execution_log         JSON          DEFAULT '{}',
    checkpoints           JSON          DEFAULT '[]',
    progress_updates      JSON          DEFAULT '[]',
    commits               JSON          DEFAULT '[]',
    documents             JSON          DEFAULT '[]',
    outputs               JSON          DEFAULT '[]',
    dev_notes             TEXT,
    qa_notes              TEXT,
    auditor_notes         TEXT,
    self_verified         BOOLEAN       DEFAULT false,
    qa_verified           BOOLEAN,
    quick_context         TEXT,
    proactive_context     JSON,
    CONSTRAINT pk_tasks PRIMARY KEY (id),
    CONSTRAINT fk_tasks_project_id_projects FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE RESTRICT,
    CONSTRAINT fk_tasks_work_session_id_work_sessions FOREIGN KEY (work_session_id) REFERENCES work_sessions (id) ON DELETE SET NULL,
    CONSTRAINT fk_tasks_created_by_agents FOREIGN KEY (created_by) REFERENCES agents (id),
    CONSTRAINT fk_tasks_assigned_to_agents FOREIGN KEY (assigned_to) REFERENCES agents (id) ON DELETE SET NULL,
    CONSTRAINT fk_tasks_parent_task_id_tasks FOREIGN KEY (parent_task_id) REFERENCES tasks (id) ON DELETE SET NULL,
    CONSTRAINT fk_tasks_claimed_by_agents FOREIGN KEY (claimed_by) REFERENCES agents (id) ON DELETE SET NULL
);
CREATE INDEX ix_tasks_status ON tasks (status);
CREATE INDEX ix_tasks_project_id ON tasks (project_id);
CREATE INDEX ix_tasks_assigned_to ON tasks (assigned_to);
CREATE INDEX ix_tasks_team ON tasks (team);

-- The two circular references, now that tasks exists.
ALTER TABLE agents
    ADD CONSTRAINT fk_agents_current_task FOREIGN KEY (current_task_id) REFERENCES tasks (id) ON DELETE SET NULL;
ALTER TABLE work_sessions
    ADD CONSTRAINT fk_work_sessions_task FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE;

-- ---------------------------------------------------------------------------
-- channels
-- ---------------------------------------------------------------------------
CREATE TABLE channels (
    id                      UUID          NOT NULL,
    name                    VARCHAR(100)  NOT NULL,
    slug                    VARCHAR(50)   NOT NULL,
    type                    channeltype   NOT NULL,
    description             TEXT,
    topic                   VARCHAR(500),
    members                 UUID[]        DEFAULT '{}',
    writers                 UUID[]        DEFAULT '{}',
    silent_observers        UUID[]        DEFAULT '{}',
    is_archived             BOOLEAN       DEFAULT false,
    is_private              BOOLEAN       DEFAULT false,
    allow_threads           BOOLEAN       DEFAULT true,
    allow_reactions         BOOLEAN       DEFAULT true,
    message_retention_days  INTEGER       DEFAULT 90,
    max_message_length      INTEGER       DEFAULT 10000,
    message_count           INTEGER       DEFAULT 0,
    group_count             INTEGER       DEFAULT 0,
    last_activity           TIMESTAMP,
    created_at              TIMESTAMP     NOT NULL DEFAULT now(),
    updated_at              TIMESTAMP,
    CONSTRAINT pk_channels PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_channels_slug ON channels (slug);

-- ---------------------------------------------------------------------------
-- groups
-- ---------------------------------------------------------------------------
CREATE TABLE groups (
    id                      UUID          NOT NULL,
    name                    VARCHAR(100)  NOT NULL,
    channel_id              UUID          NOT NULL,
    allowed_roles           VARCHAR[]     DEFAULT '{}',
    hierarchy_level         INTEGER       DEFAULT 4,
    members                 UUID[]        DEFAULT '{}',
    is_active               BOOLEAN       DEFAULT true,
    active_session_id       UUID,
    default_session_config  JSON          DEFAULT '{}',
    total_sessions          INTEGER       DEFAULT 0,
    total_messages          INTEGER       DEFAULT 0,
    last_activity           TIMESTAMP,
    created_at              TIMESTAMP     NOT NULL DEFAULT now(),
    updated_at              TIMESTAMP,
    CONSTRAINT pk_groups PRIMARY KEY (id),
    CONSTRAINT fk_groups_channel_id_channels FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE
);
CREATE INDEX ix_groups_channel_id ON groups (channel_id);

-- ---------------------------------------------------------------------------
-- sessions
-- ---------------------------------------------------------------------------
CREATE TABLE sessions (
    id                    UUID           NOT NULL,
    group_id              UUID           NOT NULL,
    max_time_window       INTERVAL,
    max_message_count     INTEGER        DEFAULT 100,
    max_content_length    INTEGER        DEFAULT 50000,
    timeout_seconds       INTEGER        DEFAULT 300,
    status                sessionstatus  NOT NULL DEFAULT 'active',
    scope                 sessionscope   NOT NULL DEFAULT 'task',
    started_at            TIMESTAMP      NOT NULL DEFAULT now(),
    last_activity_at      TIMESTAMP      NOT NULL DEFAULT now(),
    closed_at             TIMESTAMP,
    message_count         INTEGER        DEFAULT 0,
    total_content_length  INTEGER        DEFAULT 0,
    created_at            TIMESTAMP      NOT NULL DEFAULT now(),
    CONSTRAINT pk_sessions PRIMARY KEY (id),
    CONSTRAINT fk_sessions_group_id_groups FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE CASCADE
);
CREATE INDEX ix_sessions_group_id ON sessions (group_id);
CREATE INDEX ix_sessions_status ON sessions (status);
CREATE INDEX ix_sessions_scope ON sessions (scope);

-- ---------------------------------------------------------------------------
-- session_tasks (session <-> task links; at most one primary session per task)
-- ---------------------------------------------------------------------------
CREATE TABLE session_tasks (
    id                 UUID         NOT NULL,
    session_id         UUID         NOT NULL,
    task_id            UUID         NOT NULL,
    is_primary         BOOLEAN      NOT NULL DEFAULT false,
    relationship_type  VARCHAR(50)  NOT NULL DEFAULT 'discussion',
    added_at           TIMESTAMP    NOT NULL DEFAULT now(),
    added_by           UUID,
    CONSTRAINT pk_session_tasks PRIMARY KEY (id),
    CONSTRAINT fk_session_tasks_session_id_sessions FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
    CONSTRAINT fk_session_tasks_task_id_tasks FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE,
    CONSTRAINT fk_session_tasks_added_by_agents FOREIGN KEY (added_by) REFERENCES agents (id) ON DELETE SET NULL,
    CONSTRAINT uq_session_task UNIQUE (session_id, task_id)
);
CREATE INDEX ix_session_tasks_session_id ON session_tasks (session_id);
CREATE INDEX ix_session_tasks_task_id ON session_tasks (task_id);
CREATE UNIQUE INDEX ix_session_tasks_primary_per_task ON session_tasks (task_id) WHERE is_primary = true;

-- ---------------------------------------------------------------------------
-- messages
-- ---------------------------------------------------------------------------
CREATE TABLE messages (
    id              UUID              NOT NULL,
    agent_id        UUID              NOT NULL,
    channel_id      UUID              NOT NULL,
    group_id        UUID              NOT NULL,
    session_id      UUID              NOT NULL,
    type            messagetype       NOT NULL,
    content         TEXT              NOT NULL,
    content_length  INTEGER           NOT NULL,
    is_reply        BOOLEAN           DEFAULT false,
    reply_to        UUID,
    mentions        UUID[]            DEFAULT '{}',
    task_id         UUID,
    commit_ref      VARCHAR(40),
    "timestamp"     TIMESTAMP         NOT NULL DEFAULT now(),
    confidence      DOUBLE PRECISION  DEFAULT '1.0',
    raw_excerpt     TEXT,
    edited_at       TIMESTAMP,
    edit_history    JSON              DEFAULT '[]',
    created_at      TIMESTAMP         NOT NULL DEFAULT now(),
    CONSTRAINT pk_messages PRIMARY KEY (id),
    CONSTRAINT fk_messages_agent_id_agents FOREIGN KEY (agent_id) REFERENCES agents (id),
    CONSTRAINT fk_messages_channel_id_channels FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE,
    CONSTRAINT fk_messages_group_id_groups FOREIGN KEY (group_id) REFERENCES groups (id) ON DELETE CASCADE,
    CONSTRAINT fk_messages_session_id_sessions FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
    CONSTRAINT fk_messages_reply_to_messages FOREIGN KEY (reply_to) REFERENCES messages (id) ON DELETE SET NULL,
    CONSTRAINT fk_messages_task_id_tasks FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE SET NULL
);
CREATE INDEX ix_messages_agent_id ON messages (agent_id);
CREATE INDEX ix_messages_channel_id ON messages (channel_id);
CREATE INDEX ix_messages_group_id ON messages (group_id);
CREATE INDEX ix_messages_session_id ON messages (session_id);
CREATE INDEX ix_messages_type ON messages (type);
CREATE INDEX ix_messages_task_id ON messages (task_id);
CREATE INDEX ix_messages_timestamp ON messages ("timestamp");

-- ---------------------------------------------------------------------------
-- notifications
-- ---------------------------------------------------------------------------
CREATE TABLE notifications (
    id                   UUID                  NOT NULL,
    type                 notificationtype      NOT NULL,
    priority             notificationpriority  NOT NULL DEFAULT 'normal',
    from_agent           UUID                  NOT NULL,
    to_agents            UUID[]                NOT NULL,
    subject              VARCHAR(200)          NOT NULL,
    body                 TEXT                  NOT NULL,
    requires_ack         BOOLEAN               DEFAULT true,
    acked_by             UUID[]                DEFAULT '{}',
    acked_at             JSON                  DEFAULT '{}',
    related_task_id      UUID,
    related_message_ids  UUID[]                DEFAULT '{}',
    "timestamp"          TIMESTAMP             NOT NULL DEFAULT now(),
    expires_at           TIMESTAMP,
    read_by              UUID[]                DEFAULT '{}',
    created_at           TIMESTAMP             NOT NULL DEFAULT now(),
    CONSTRAINT pk_notifications PRIMARY KEY (id),
    CONSTRAINT fk_notifications_from_agent_agents FOREIGN KEY (from_agent) REFERENCES agents (id),
    CONSTRAINT fk_notifications_related_task_id_tasks FOREIGN KEY (related_task_id) REFERENCES tasks (id) ON DELETE SET NULL
);
CREATE INDEX ix_notifications_type ON notifications (type);
CREATE INDEX ix_notifications_timestamp ON notifications ("timestamp");

-- ---------------------------------------------------------------------------
-- journals (one per agent) and journal_entries
-- ---------------------------------------------------------------------------
CREATE TABLE journals (
    id                  UUID       NOT NULL,
    agent_id            UUID       NOT NULL,
    total_entries       INTEGER    DEFAULT 0,
    last_entry_at       TIMESTAMP,
    latest_summary      TEXT,
    summary_updated_at  TIMESTAMP,
    entries_by_type     JSON       DEFAULT '{}',
    created_at          TIMESTAMP  NOT NULL DEFAULT now(),
    updated_at          TIMESTAMP,
    CONSTRAINT pk_journals PRIMARY KEY (id),
    CONSTRAINT fk_journals_agent_id_agents FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE,
    CONSTRAINT uq_journals_agent_id UNIQUE (agent_id)
);

CREATE TABLE journal_entries (
    id           UUID              NOT NULL,
    journal_id   UUID              NOT NULL,
    type         journalentrytype  NOT NULL,
    title        VARCHAR(200)      NOT NULL,
    content      TEXT              NOT NULL,
    task_id      UUID,
    session_id   UUID,
    "timestamp"  TIMESTAMP         NOT NULL DEFAULT now(),
    tags         VARCHAR[]         DEFAULT '{}',
    sentiment    VARCHAR(50),
    is_private   BOOLEAN           DEFAULT false,
    created_at   TIMESTAMP         NOT NULL DEFAULT now(),
    updated_at   TIMESTAMP,
    CONSTRAINT pk_journal_entries PRIMARY KEY (id),
    CONSTRAINT fk_journal_entries_journal_id_journals FOREIGN KEY (journal_id) REFERENCES journals (id) ON DELETE CASCADE,
    CONSTRAINT fk_journal_entries_task_id_tasks FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE SET NULL,
    CONSTRAINT fk_journal_entries_session_id_sessions FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE SET NULL
);
CREATE INDEX ix_journal_entries_journal_id ON journal_entries (journal_id);
CREATE INDEX ix_journal_entries_type ON journal_entries (type);
CREATE INDEX ix_journal_entries_timestamp ON journal_entries ("timestamp");

-- ---------------------------------------------------------------------------
-- handoffs (developer -> documenter hand-over, one per task)
-- ---------------------------------------------------------------------------
CREATE TABLE handoffs (
    id                  UUID           NOT NULL,
    task_id             UUID           NOT NULL,
    summary             TEXT           NOT NULL,
    new_functionality   VARCHAR[]      DEFAULT '{}',
    modified_behavior   VARCHAR[]      DEFAULT '{}',
    breaking_changes    VARCHAR[]      DEFAULT '{}',
    required_docs       JSON           DEFAULT '[]',
    optional_docs       JSON           DEFAULT '[]',
    commits             JSON           DEFAULT '[]',
    new_files           JSON           DEFAULT '[]',
    modified_files      JSON           DEFAULT '[]',
    key_conversations   JSON           DEFAULT '[]',
    code_samples        JSON           DEFAULT '[]',
    gotchas             JSON           DEFAULT '[]',
    related_docs        VARCHAR[]      DEFAULT '{}',
    changelog_entry     TEXT,
    key_learnings       VARCHAR[]      DEFAULT '{}',
    key_decisions       JSON           DEFAULT '[]',
    questions           VARCHAR[]      DEFAULT '{}',
    dev_notes_location  VARCHAR(500),
    status              handoffstatus  NOT NULL DEFAULT 'pending',
    assigned_to         UUID,
    created_at          TIMESTAMP      NOT NULL DEFAULT now(),
    updated_at          TIMESTAMP,
    claimed_at          TIMESTAMP,
    completed_at        TIMESTAMP,
    documenter_notes    TEXT,
    CONSTRAINT pk_handoffs PRIMARY KEY (id),
    CONSTRAINT fk_handoffs_task_id_tasks FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE,
    CONSTRAINT fk_handoffs_assigned_to_agents FOREIGN KEY (assigned_to) REFERENCES agents (id) ON DELETE SET NULL,
    CONSTRAINT uq_handoffs_task_id UNIQUE (task_id)
);
CREATE INDEX ix_handoffs_task_id ON handoffs (task_id);
CREATE INDEX ix_handoffs_status ON handoffs (status);

-- ---------------------------------------------------------------------------
-- a2a_conversations / a2a_messages (direct agent-to-agent threads; already tz-aware)
-- ---------------------------------------------------------------------------
CREATE TABLE a2a_conversations (
    id               UUID                   NOT NULL,
    agent_a          VARCHAR(50)            NOT NULL,
    agent_b          VARCHAR(50)            NOT NULL,
    topic            VARCHAR(255),
    task_id          UUID,
    status           a2aconversationstatus  NOT NULL DEFAULT 'active',
    resolution       TEXT,
    message_count    INTEGER                NOT NULL DEFAULT 0,
    unread_by_a      INTEGER                NOT NULL DEFAULT 0,
    unread_by_b      INTEGER                NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ            NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ            NOT NULL DEFAULT now(),
    last_message_at  TIMESTAMPTZ,
    CONSTRAINT pk_a2a_conversations PRIMARY KEY (id),
    CONSTRAINT fk_a2a_conversations_task_id_tasks FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE SET NULL,
    CONSTRAINT uq_a2a_pair_topic UNIQUE (agent_a, agent_b, topic)
);
CREATE INDEX ix_a2a_conversations_agent_a ON a2a_conversations (agent_a);
CREATE INDEX ix_a2a_conversations_agent_b ON a2a_conversations (agent_b);
CREATE INDEX ix_a2a_conversations_task_id ON a2a_conversations (task_id);
CREATE INDEX ix_a2a_conversations_status ON a2a_conversations (status);
CREATE INDEX ix_a2a_conv_pair ON a2a_conversations (agent_a, agent_b);
CREATE INDEX ix_a2a_conv_status_updated ON a2a_conversations (status, updated_at);

CREATE TABLE a2a_messages (
    id                 UUID            NOT NULL,
    conversation_id    UUID            NOT NULL,
    from_agent         VARCHAR(50)     NOT NULL,
    content            TEXT            NOT NULL,
    message_kind       a2amessagekind  NOT NULL DEFAULT 'message',
    response_to_id     UUID,
    requires_response  BOOLEAN         NOT NULL DEFAULT false,
    read_at            TIMESTAMPTZ,
    created_at         TIMESTAMPTZ     NOT NULL DEFAULT now(),
    edited_at          TIMESTAMPTZ,
    edit_history       JSON            DEFAULT '[]',
    CONSTRAINT pk_a2a_messages PRIMARY KEY (id),
    CONSTRAINT fk_a2a_messages_conversation_id_a2a_conversations FOREIGN KEY (conversation_id) REFERENCES a2a_conversations (id) ON DELETE CASCADE,
    CONSTRAINT fk_a2a_messages_response_to_id_a2a_messages FOREIGN KEY (response_to_id) REFERENCES a2a_messages (id) ON DELETE SET NULL
);
CREATE INDEX ix_a2a_messages_conversation_id ON a2a_messages (conversation_id);
CREATE INDEX ix_a2a_messages_from_agent ON a2a_messages (from_agent);
CREATE INDEX ix_a2a_messages_created_at ON a2a_messages (created_at);
CREATE INDEX ix_a2a_msg_conv_created ON a2a_messages (conversation_id, created_at);
CREATE INDEX ix_a2a_msg_from_created ON a2a_messages (from_agent, created_at);
CREATE INDEX ix_a2a_msg_pending ON a2a_messages (conversation_id) WHERE requires_response = true;

-- ---------------------------------------------------------------------------
-- Composite indexes for the common list/filter queries
-- ---------------------------------------------------------------------------
CREATE INDEX ix_tasks_team_status ON tasks (team, status);
CREATE INDEX ix_tasks_assigned_status ON tasks (assigned_to, status);
CREATE INDEX ix_tasks_project_status ON tasks (project_id, status);
CREATE INDEX ix_messages_channel_timestamp ON messages (channel_id, "timestamp" DESC);
CREATE INDEX ix_notifications_to_timestamp ON notifications ("timestamp" DESC);
CREATE INDEX ix_projects_cell ON projects (assigned_cell);
CREATE INDEX ix_projects_active ON projects (is_active);
CREATE INDEX ix_work_sessions_project_status ON work_sessions (project_id, status);
CREATE INDEX ix_work_sessions_agent_status ON work_sessions (agent_id, status);

-- down
-- irreversible: drops every table of the base schema with all its rows
DROP TABLE a2a_messages, a2a_conversations, handoffs, journal_entries, journals, notifications,
    messages, session_tasks, sessions, groups, channels, tasks, work_sessions, projects, agents;

DROP TYPE agentrole, team, agentstatus, worksessionstatus, taskstatus, tasktype, tasknature,
    complexity, channeltype, sessionstatus, sessionscope, messagetype, notificationtype,
    notificationpriority, journalentrytype, handoffstatus, a2aconversationstatus, a2amessagekind;
