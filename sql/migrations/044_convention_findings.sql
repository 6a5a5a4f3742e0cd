-- revision: 044_convention_findings
-- down_revision: 043_conventions_cache
-- Violations reported by the conventions validator, per project and task, for the panel's
-- findings feed. task_id deliberately has no foreign key.

CREATE TABLE project_convention_findings (
    id          UUID         NOT NULL,
    project_id  UUID         NOT NULL,
    task_id     UUID,
    file        VARCHAR(500) NOT NULL,
    line        INTEGER      NOT NULL,
    rule        VARCHAR(100) NOT NULL,
    level       VARCHAR(20)  NOT NULL,
    kind        VARCHAR(40),
    message     TEXT         NOT NULL,
    detected_at TIMESTAMPTZ  NOT NULL,
    CONSTRAINT pk_project_convention_findings PRIMARY KEY (id),
    CONSTRAINT fk_project_convention_findings_project_id_projects
        FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
);
CREATE INDEX ix_project_convention_findings_project_id  ON project_convention_findings (project_id);
CREATE INDEX ix_project_convention_findings_detected_at ON project_convention_findings (detected_at);

-- down
-- irreversible: drops project_convention_findings with every finding
DROP TABLE project_convention_findings;
