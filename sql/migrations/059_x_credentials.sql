-- revision: 059_x_credentials
-- down_revision: 058_cloud_auth_users
-- X (Twitter) engine: one row of encrypted OAuth 1.0a secrets, and a ledger of mention ids
-- already handled so none is answered twice. Unused while the engine is switched off.

CREATE TABLE x_credentials (
    id                            UUID        NOT NULL,
    api_key_encrypted             TEXT,
    api_secret_encrypted          TEXT,
    access_token_encrypted        TEXT,
    access_token_secret_encrypted TEXT,
    created_at                    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                    TIMESTAMPTZ,
    CONSTRAINT pk_x_credentials PRIMARY KEY (id)
);

CREATE TABLE x_seen_mentions (
    mention_id VARCHAR(64) NOT NULL,
    seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT pk_x_seen_mentions PRIMARY KEY (mention_id)
);

-- down
-- irreversible: drops x_credentials (the stored X secrets) and x_seen_mentions with their rows
DROP TABLE x_seen_mentions;
DROP TABLE x_credentials;
