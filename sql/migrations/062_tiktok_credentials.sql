-- revision: 062_tiktok_credentials
-- down_revision: 061_x_feature_spotlight
-- One row of encrypted TikTok API credentials (client key/secret, access/refresh token).

CREATE TABLE tiktok_credentials (
    id                      UUID        NOT NULL,
    client_key_encrypted    TEXT,
    client_secret_encrypted TEXT,
    access_token_encrypted  TEXT,
    refresh_token_encrypted TEXT,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ,
    CONSTRAINT pk_tiktok_credentials PRIMARY KEY (id)
);

-- down
-- irreversible: drops tiktok_credentials with the stored secrets
DROP TABLE tiktok_credentials;
