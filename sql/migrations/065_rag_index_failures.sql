-- revision: 065_rag_index_failures
-- down_revision: 064_playbook_indexed_flag
-- Retry queue for documents that failed to reach the RAG index: what to index (payload,
-- jsonb), how often it failed, the last error, and when to try again.

CREATE TABLE rag_index_failures (
    id            UUID        NOT NULL,
    doc_source    VARCHAR(32) NOT NULL,
    payload       JSONB       NOT NULL DEFAULT '{}'::jsonb,
    attempts      INTEGER     NOT NULL DEFAULT 1,
    last_error    TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_retry_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_rag_index_failures PRIMARY KEY (id)
);
CREATE INDEX ix_rag_index_failures_doc_source    ON rag_index_failures (doc_source);
CREATE INDEX ix_rag_index_failures_next_retry_at ON rag_index_failures (next_retry_at);

-- down
-- irreversible: drops rag_index_failures (the RAG retry queue) with its rows
DROP TABLE rag_index_failures;
