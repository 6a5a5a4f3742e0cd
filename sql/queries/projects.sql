-- name: create_project :one
-- Insert one project; the git token arrives already encrypted (or NULL), never in plaintext.
INSERT INTO projects (
    {{projects_head}}, git_token_encrypted, {{projects_tail}}
) VALUES (
    :id, :name, :slug, :git_url, :default_branch, :protected_branches, :git_token_encrypted,
    :test_command, :lint_command, :format_command, :typecheck_command, :build_command,
    :quality_command, :assigned_cell, :allowed_agents, :workspace_path, NULL,
    NULL, :created_by, :is_active, :created_at, NULL,
    false, NULL, NULL, NULL, NULL,
    false, NULL, :environments::jsonb, :git_provider::varchar, :github_installation_id::bigint,
    :codegen_command::varchar, :monthly_budget_usd::float8, NULL
)
RETURNING
    {{projects_head}}, git_token_encrypted IS NOT NULL AS has_git_token,
    {{projects_tail}};

-- name: get_project :one
-- One project by primary key; the token is reported only as has_git_token.
SELECT
    {{projects_head}}, git_token_encrypted IS NOT NULL AS has_git_token,
    {{projects_tail}}
FROM projects
WHERE id = :id;

-- name: get_project_by_slug :one
-- One project by slug (served by the unique index ix_projects_slug).
SELECT
    {{projects_head}}, git_token_encrypted IS NOT NULL AS has_git_token,
    {{projects_tail}}
FROM projects
WHERE slug = :slug;

-- name: list_projects :many
-- Projects by cell and active flag (each NULL = any; ix_projects_cell, ix_projects_active), in
-- slug order (keyset after a slug), or by name (RoboCo's lists, by offset) or oldest first
-- (RoboCo's default project for git context).
SELECT
    {{projects_head}}, git_token_encrypted IS NOT NULL AS has_git_token,
    {{projects_tail}}
FROM projects
WHERE (:assigned_cell::team IS NULL OR assigned_cell = :assigned_cell::team)
  AND (:is_active::boolean IS NULL OR is_active = :is_active::boolean)
  AND (:after_slug::text IS NULL OR slug > :after_slug::text)
ORDER BY
    CASE WHEN :order_by::text = 'name' THEN name END,
    CASE WHEN :order_by::text = 'created_at' THEN created_at END,
    slug
LIMIT :limit
OFFSET :offset;

-- name: count_projects :scalar
-- How many projects list_projects' cell and active filters hold.
SELECT count(*)
FROM projects
WHERE (:assigned_cell::team IS NULL OR assigned_cell = :assigned_cell::team)
  AND (:is_active::boolean IS NULL OR is_active = :is_active::boolean);

-- name: add_project_allowed_agent :scalar
-- Add an agent to a project's allowed list (NULL, "every agent of the cell", becomes a list of
-- one) unless already there: one statement, so concurrent additions all survive. The id of
-- the project, NULL when there is none.
UPDATE projects SET
    allowed_agents = CASE
        WHEN allowed_agents IS NULL THEN ARRAY[:agent_id::uuid]
        WHEN :agent_id::uuid = ANY(allowed_agents) THEN allowed_agents
        ELSE array_append(allowed_agents, :agent_id::uuid)
    END,
    updated_at = :updated_at
WHERE id = :id
RETURNING id;

-- name: remove_project_allowed_agent :scalar
-- Take an agent off a project's allowed list in one statement; a NULL list (every agent of the
-- cell) stays NULL. The id of the project, NULL when there is none.
UPDATE projects SET
    allowed_agents = array_remove(allowed_agents, :agent_id::uuid),
    updated_at = :updated_at
WHERE id = :id
RETURNING id;

-- name: delete_project :execrows
-- Delete one project; its work sessions and conventions go with it (ON DELETE CASCADE), and
-- tasks, product cell maps and task cell maps that point at it refuse (RESTRICT).
DELETE FROM projects
WHERE id = :id;

-- name: update_project :one
-- Write the fields a ProjectUpdate set (set_x true) and the token when it changes (already
-- encrypted, or NULL to clear); the rest keep their values. No row back = no such project.
UPDATE projects
SET name = CASE WHEN :set_name THEN :name ELSE name END,
    git_url = CASE WHEN :set_git_url THEN :git_url ELSE git_url END,
    default_branch = CASE WHEN :set_default_branch THEN :default_branch
                          ELSE default_branch END,
    protected_branches = CASE WHEN :set_protected_branches THEN :protected_branches::varchar[]
                              ELSE protected_branches END,
    git_token_encrypted = CASE WHEN :set_git_token_encrypted THEN :git_token_encrypted::text
                               ELSE git_token_encrypted END,
    test_command = CASE WHEN :set_test_command THEN :test_command ELSE test_command END,
    lint_command = CASE WHEN :set_lint_command THEN :lint_command ELSE lint_command END,
    format_command = CASE WHEN :set_format_command THEN :format_command
                          ELSE format_command END,
    typecheck_command = CASE WHEN :set_typecheck_command THEN :typecheck_command
                             ELSE typecheck_command END,
    build_command = CASE WHEN :set_build_command THEN :build_command ELSE build_command END,
    quality_command = CASE WHEN :set_quality_command THEN :quality_command
                           ELSE quality_command END,
    assigned_cell = CASE WHEN :set_assigned_cell THEN :assigned_cell::team
                         ELSE assigned_cell END,
    allowed_agents = CASE WHEN :set_allowed_agents THEN :allowed_agents::uuid[]
                          ELSE allowed_agents END,
    workspace_path = CASE WHEN :set_workspace_path THEN :workspace_path
                          ELSE workspace_path END,
    last_synced_at = CASE WHEN :set_last_synced_at THEN :last_synced_at::timestamptz
                          ELSE last_synced_at END,
    head_commit = CASE WHEN :set_head_commit THEN :head_commit ELSE head_commit END,
    is_active = CASE WHEN :set_is_active THEN :is_active::boolean ELSE is_active END,
    ci_watch_enabled = CASE WHEN :set_ci_watch_enabled THEN :ci_watch_enabled::boolean ELSE ci_watch_enabled END,
    ci_watch_workflow = CASE WHEN :set_ci_watch_workflow THEN :ci_watch_workflow::varchar ELSE ci_watch_workflow END,
    dep_update_command = CASE WHEN :set_dep_update_command THEN :dep_update_command::varchar ELSE dep_update_command END,
    dep_update_paths = CASE WHEN :set_dep_update_paths THEN :dep_update_paths::varchar[] ELSE dep_update_paths END,
    sandbox_services = CASE WHEN :set_sandbox_services THEN :sandbox_services::varchar[] ELSE sandbox_services END,
    video_engine_enabled = CASE WHEN :set_video_engine_enabled THEN :video_engine_enabled::boolean ELSE video_engine_enabled END,
    sandbox_extensions = CASE WHEN :set_sandbox_extensions THEN :sandbox_extensions::jsonb ELSE sandbox_extensions END,
    environments = CASE WHEN :set_environments THEN :environments::jsonb ELSE environments END,
    git_provider = CASE WHEN :set_git_provider THEN :git_provider::varchar ELSE git_provider END,
    github_installation_id = CASE WHEN :set_github_installation_id THEN :github_installation_id::bigint ELSE github_installation_id END,
    codegen_command = CASE WHEN :set_codegen_command THEN :codegen_command::varchar ELSE codegen_command END,
    monthly_budget_usd = CASE WHEN :set_monthly_budget_usd THEN :monthly_budget_usd::float8 ELSE monthly_budget_usd END,
    board_programs = CASE WHEN :set_board_programs THEN :board_programs::jsonb ELSE board_programs END,
    updated_at = now()
WHERE id = :id
RETURNING
    {{projects_head}}, git_token_encrypted IS NOT NULL AS has_git_token,
    {{projects_tail}};

-- name: get_project_git_token :scalar
-- The one query that reads the ciphertext, for read_git_token to decrypt on demand: '' when
-- the project has no token, no row when there is no such project. Never mapped to a model.
SELECT coalesce(git_token_encrypted, '') AS ciphertext
FROM projects
WHERE id = :id;

-- name: task_progress_of_projects :many
-- Each project's tasks by progress in one grouped pass (RoboCo's project list bars): done
-- (completed), blocked, and active (neither completed, cancelled nor blocked). A project
-- with no tasks has no row.
SELECT
    project_id AS id,
    count(*) FILTER (WHERE status = 'completed')::integer AS done,
    count(*) FILTER (WHERE status NOT IN ('completed', 'cancelled', 'blocked'))::integer
        AS active,
    count(*) FILTER (WHERE status = 'blocked')::integer AS blocked
FROM tasks
WHERE project_id = ANY(:ids::uuid[])
GROUP BY project_id;
