-- revision: 061_x_feature_spotlight
-- down_revision: 060_drop_messaging
-- Feature spotlight for the X engine: a ledger of feature slugs already posted about (so a
-- feature is spotlighted once), and the CEO's brand-voice text beside the north star.

CREATE TABLE x_seen_features (
    feature_slug VARCHAR(128) NOT NULL,
    seen_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT pk_x_seen_features PRIMARY KEY (feature_slug)
);

ALTER TABLE company_goals
    ADD COLUMN brand_voice TEXT NOT NULL DEFAULT '';

-- down
-- irreversible: drops x_seen_features with its rows and company_goals.brand_voice with its text
ALTER TABLE company_goals
    DROP COLUMN brand_voice;

DROP TABLE x_seen_features;
