-- revision: 082_routing_presets
-- down_revision: 081_doctrine_version
-- Named, saved model-routing configurations (jsonb payload), unique by name.

CREATE TABLE routing_presets (
    id         UUID         NOT NULL,
    name       VARCHAR(100) NOT NULL,
    payload    JSONB        NOT NULL,
    created_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT pk_routing_presets PRIMARY KEY (id),
    CONSTRAINT uq_routing_presets_name UNIQUE (name)
);

-- down
-- irreversible: drops routing_presets with its rows
DROP TABLE routing_presets;
