-- revision: 027_system_settings
-- down_revision: 026_token_usage_tables
-- Key/value store for operator settings editable from the panel; seeded with the
-- transcript retention window (14 days) so the prune sweep has a value from day one.

CREATE TABLE system_settings (
    key        VARCHAR(100) NOT NULL,
    value      TEXT         NOT NULL,
    updated_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT pk_system_settings PRIMARY KEY (key)
);

INSERT INTO system_settings (key, value, updated_at)
VALUES ('transcript_retention_days', '14', now());

-- down
-- irreversible: drops system_settings with the operator's settings
DROP TABLE system_settings;
