-- revision: 024_add_prompter_tables
-- down_revision: 023_prompter_tracking_columns
-- Storage for the Prompter assistant: a conversation per agent, its messages, and
-- the task drafts extracted from it (linked to the real task once confirmed).

CREATE TYPE promptersessionstatus AS ENUM ('active', 'draft_ready', 'confirmed', 'abandoned');
CREATE TYPE promptermessagerole   AS ENUM ('user', 'assistant', 'system');

CREATE TABLE prompter_sessions (
    id         UUID                  NOT NULL,
    agent_id   UUID                  NOT NULL,
    status     promptersessionstatus NOT NULL DEFAULT 'active',
    created_at TIMESTAMPTZ           NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ,
    CONSTRAINT pk_prompter_sessions PRIMARY KEY (id),
    CONSTRAINT fk_prompter_sessions_agent_id_agents
        FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE
);
CREATE INDEX ix_prompter_sessions_agent_id ON prompter_sessions (agent_id);
CREATE INDEX ix_prompter_sessions_status   ON prompter_sessions (status);

CREATE TABLE prompter_messages (
    id         UUID                NOT NULL,
    session_id UUID                NOT NULL,
    role       promptermessagerole NOT NULL,
    content    TEXT                NOT NULL,
    created_at TIMESTAMPTZ         NOT NULL DEFAULT now(),
    CONSTRAINT pk_prompter_messages PRIMARY KEY (id),
    CONSTRAINT fk_prompter_messages_session_id_prompter_sessions
        FOREIGN KEY (session_id) REFERENCES prompter_sessions (id) ON DELETE CASCADE
);
CREATE INDEX ix_prompter_messages_session_id      ON prompter_messages (session_id);
CREATE INDEX ix_prompter_messages_session_created ON prompter_messages (session_id, created_at);

CREATE TABLE task_drafts (
    id           UUID        NOT NULL,
    session_id   UUID        NOT NULL,
    draft_data   JSONB       NOT NULL,
    confirmed_at TIMESTAMPTZ,
    task_id      UUID,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ,
    CONSTRAINT pk_task_drafts PRIMARY KEY (id),
    CONSTRAINT fk_task_drafts_session_id_prompter_sessions
        FOREIGN KEY (session_id) REFERENCES prompter_sessions (id) ON DELETE CASCADE,
    CONSTRAINT fk_task_drafts_task_id_tasks
        FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE SET NULL
);
CREATE INDEX ix_task_drafts_session_id ON task_drafts (session_id);
CREATE INDEX ix_task_drafts_task_id    ON task_drafts (task_id);

-- down
-- irreversible: drops the Prompter's sessions, messages and task drafts
DROP TABLE task_drafts;
DROP TABLE prompter_messages;
DROP TABLE prompter_sessions;
DROP TYPE promptersessionstatus;
DROP TYPE promptermessagerole;
