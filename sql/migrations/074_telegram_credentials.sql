-- revision: 074_telegram_credentials
-- down_revision: 073_project_environments
-- One row of encrypted Telegram bot credentials (bot token and chat id).

CREATE TABLE telegram_credentials (
    id                  UUID        NOT NULL,
    bot_token_encrypted TEXT,
    chat_id_encrypted   TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ,
    CONSTRAINT pk_telegram_credentials PRIMARY KEY (id)
);

-- down
-- irreversible: drops telegram_credentials with the stored secrets
DROP TABLE telegram_credentials;
