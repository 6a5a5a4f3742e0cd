-- revision: 043_conventions_cache
-- down_revision: 042_worksession_toolchain
-- Cache of each project's resolved architectural-conventions map per commit, so it is
-- only re-derived when HEAD moves; status is ok / degraded / missing.

CREATE TABLE project_conventions_cache (
    id            UUID        NOT NULL,
    project_id    UUID        NOT NULL,
    commit_sha    VARCHAR(40) NOT NULL,
    effective_map JSONB       NOT NULL,
    status        VARCHAR(20) NOT NULL,
    derived_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT pk_project_conventions_cache PRIMARY KEY (id),
    CONSTRAINT fk_project_conventions_cache_project_id_projects
        FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT uq_project_conventions_cache_sha UNIQUE (project_id, commit_sha)
);
CREATE INDEX ix_project_conventions_cache_project_id ON project_conventions_cache (project_id);

-- down
-- Not marked irreversible: the table is a cache of maps derived from each project's repository,
-- which are derived again after going up.
DROP TABLE project_conventions_cache;
