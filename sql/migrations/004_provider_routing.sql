-- revision: 004_provider_routing
-- down_revision: 003_blocker_resolver_type
-- Model-provider routing: provider_configs (one row per provider) and model_assignments
-- (global / role / agent scope -> provider + model), seeded with the two stock providers.

-- The enum types may survive from an earlier partial attempt; keep them if so.
DO $$
BEGIN
    CREATE TYPE modelprovider AS ENUM ('anthropic', 'ollama_cloud', 'openai', 'local');
EXCEPTION
    WHEN duplicate_object THEN NULL;
END
$$;

DO $$
BEGIN
    CREATE TYPE assignmentscope AS ENUM ('global', 'role', 'agent_slug');
EXCEPTION
    WHEN duplicate_object THEN NULL;
END
$$;

-- Leftover copies of the two tables (e.g. from a bootstrap that created them early) are dropped
-- so they can be rebuilt with the exact shape below, but only while they hold no rows.
-- lint: allow drop-table only an empty leftover copy is dropped (the block refuses one that holds rows), to be rebuilt below; no code uses it
DO $$
DECLARE
    leftover TEXT;
    has_rows BOOLEAN;
BEGIN
    FOREACH leftover IN ARRAY ARRAY['model_assignments', 'provider_configs'] LOOP
        IF to_regclass(leftover) IS NOT NULL THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', leftover) INTO has_rows;
            IF has_rows THEN
                RAISE EXCEPTION '004_provider_routing: table % already exists and holds rows; refusing to drop it', leftover;
            END IF;
            EXECUTE format('DROP TABLE %I CASCADE', leftover);
        END IF;
    END LOOP;
END
$$;

CREATE TABLE provider_configs (
    id                    UUID           NOT NULL,
    name                  VARCHAR(100)   NOT NULL,
    type                  modelprovider  NOT NULL,
    base_url              TEXT,
    auth_token_encrypted  TEXT,
    enabled               BOOLEAN        NOT NULL DEFAULT true,
    created_at            TIMESTAMPTZ    NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ,
    CONSTRAINT pk_provider_configs PRIMARY KEY (id),
    CONSTRAINT uq_provider_configs_name UNIQUE (name)
);
CREATE INDEX ix_provider_configs_name ON provider_configs (name);
CREATE INDEX ix_provider_configs_enabled ON provider_configs (enabled);

CREATE TABLE model_assignments (
    id                  UUID             NOT NULL,
    scope               assignmentscope  NOT NULL,
    scope_value         VARCHAR(100),
    provider_config_id  UUID             NOT NULL,
    model_name          VARCHAR(100)     NOT NULL,
    created_at          TIMESTAMPTZ      NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ,
    CONSTRAINT pk_model_assignments PRIMARY KEY (id),
    CONSTRAINT fk_model_assignments_provider_config_id_provider_configs
        FOREIGN KEY (provider_config_id) REFERENCES provider_configs (id) ON DELETE RESTRICT
);
-- NULLS NOT DISTINCT (PostgreSQL 15+) keeps the single global row (scope_value NULL) unique.
CREATE UNIQUE INDEX ux_model_assignments_scope_key ON model_assignments (scope, scope_value) NULLS NOT DISTINCT;
CREATE INDEX ix_model_assignments_provider ON model_assignments (provider_config_id);

-- Stock providers: Anthropic is a pointer-only row (no URL, no token) and is on; Ollama Cloud
-- starts disabled until someone stores an API key for it.
INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES
    (gen_random_uuid(), 'Anthropic (default)', 'anthropic',    NULL,                 NULL, true,  now()),
    (gen_random_uuid(), 'Ollama Cloud',        'ollama_cloud', 'https://ollama.com', NULL, false, now());

-- down
-- irreversible: drops provider_configs (with stored tokens) and model_assignments
DROP TABLE model_assignments;
DROP TABLE provider_configs;
DROP TYPE assignmentscope;
DROP TYPE modelprovider;
