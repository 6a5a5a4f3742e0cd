-- revision: 077_github_app
-- down_revision: 076_project_git_provider
-- GitHub App support: one row with the app id and its encrypted private key, and the
-- per-project installation id the app acts through.

CREATE TABLE github_app_credentials (
    id                    UUID        NOT NULL,
    app_id                VARCHAR(32),
    private_key_encrypted TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ,
    CONSTRAINT pk_github_app_credentials PRIMARY KEY (id)
);

ALTER TABLE projects
    ADD COLUMN github_installation_id BIGINT;

-- down
-- irreversible: drops github_app_credentials (with the stored private key) and projects.github_installation_id
ALTER TABLE projects
    DROP COLUMN github_installation_id;

DROP TABLE github_app_credentials;
