-- revision: 052_task_cell_projects
-- down_revision: 051_respawn_tracker
-- A task's own map of cell -> project (one project per team per task), for work spanning
-- several cells without a Product; shaped like product_projects. team reuses the existing
-- enum type (never created here). The project key is ON DELETE RESTRICT, spelled out.

CREATE TABLE task_cell_projects (
    id         UUID NOT NULL,
    task_id    UUID NOT NULL,
    team       team NOT NULL,
    project_id UUID NOT NULL,
    CONSTRAINT pk_task_cell_projects PRIMARY KEY (id),
    CONSTRAINT fk_task_cell_projects_task_id_tasks
        FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE,
    CONSTRAINT fk_task_cell_projects_project_id_projects
        FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE RESTRICT,
    CONSTRAINT uq_task_cell_projects_task_team UNIQUE (task_id, team)
);
CREATE INDEX ix_task_cell_projects_task_id    ON task_cell_projects (task_id);
CREATE INDEX ix_task_cell_projects_project_id ON task_cell_projects (project_id);

-- down
-- irreversible: drops task_cell_projects (each task's cell -> project map) with its rows
DROP TABLE task_cell_projects;
