-- name: set_task_cell_projects :many
-- Make a task's cell map exactly the given (team, project) pairs in one statement: teams not
-- given lose their row, the given ones are inserted or repointed.
WITH dropped AS (
    DELETE FROM task_cell_projects
    WHERE task_id = :task_id
      AND NOT (team = ANY(:teams::team[]))
)
INSERT INTO task_cell_projects (id, task_id, team, project_id)
SELECT m.id, :task_id, m.team, m.project_id
FROM unnest(:ids::uuid[], :teams::team[], :project_ids::uuid[]) AS m(id, team, project_id)
ON CONFLICT ON CONSTRAINT uq_task_cell_projects_task_team
DO UPDATE SET project_id = EXCLUDED.project_id
RETURNING id, task_id, team, project_id;

-- name: list_task_cell_projects :many
-- A task's cell map, in team order (the enum's order).
SELECT id, task_id, team, project_id
FROM task_cell_projects
WHERE task_id = :task_id
ORDER BY team;

-- name: get_task_cell_project :one
-- The project one cell of a task works in (unique (task_id, team)).
SELECT id, task_id, team, project_id
FROM task_cell_projects
WHERE task_id = :task_id AND team = :team::team;

-- name: task_has_cell_projects :scalar
-- Whether a task carries a cell map at all (ix_task_cell_projects_task_id).
SELECT EXISTS (SELECT 1 FROM task_cell_projects WHERE task_id = :task_id) AS has_map;
