-- name: create_work_session :one
-- Open a work session (active, no commits or files yet) on a task's branch; no row back means
-- the agent already has an active session on this task (RoboCo allows one at a time).
INSERT INTO work_sessions (
    {{work_sessions}}
)
SELECT
    :id::uuid, :project_id::uuid, :task_id::uuid, :agent_id::uuid, :branch_name::varchar,
    :base_branch::varchar, :target_branch::varchar, :started_at::timestamptz,
    NULL, :status::worksessionstatus, '{}', '{}', NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, :created_at::timestamptz, NULL
WHERE NOT EXISTS (
    SELECT 1
      FROM work_sessions
     WHERE task_id = :task_id::uuid AND agent_id = :agent_id::uuid AND status = 'active'
)
RETURNING
    {{work_sessions}};

-- name: get_work_session :one
-- One work session by primary key.
SELECT
    {{work_sessions}}
FROM work_sessions
WHERE id = :id;

-- name: get_active_work_session :one
-- The newest active session on a task, optionally of one agent (ix_work_sessions_task_id).
SELECT
    {{work_sessions}}
FROM work_sessions
WHERE task_id = :task_id
  AND status = 'active'
  AND (:agent_id::uuid IS NULL OR agent_id = :agent_id::uuid)
ORDER BY started_at DESC, id DESC
LIMIT 1;

-- name: list_work_sessions :many
-- Sessions matching every filter given (NULL = any), newest first as RoboCo lists them;
-- keyset: pass the last row's (started_at, id) as before_*. Served by ix_work_sessions_task_id,
-- ix_work_sessions_agent_status, ix_work_sessions_project_status, ix_work_sessions_status.
SELECT
    {{work_sessions}}
FROM work_sessions
WHERE (:task_id::uuid IS NULL OR task_id = :task_id::uuid)
  AND (:agent_id::uuid IS NULL OR agent_id = :agent_id::uuid)
  AND (:project_id::uuid IS NULL OR project_id = :project_id::uuid)
  AND (:status::worksessionstatus IS NULL OR status = :status::worksessionstatus)
  AND (:before_id::uuid IS NULL
       OR (started_at, id) < (:before_started_at::timestamptz, :before_id::uuid))
ORDER BY started_at DESC, id DESC
LIMIT :limit;

-- name: update_work_session :one
-- Write the fields a WorkSessionUpdate set (set_x true) and leave the others; no row back = no
-- such session.
UPDATE work_sessions
SET status = CASE WHEN :set_status THEN :status::worksessionstatus ELSE status END,
    ended_at = CASE WHEN :set_ended_at THEN :ended_at::timestamptz ELSE ended_at END,
    commits = CASE WHEN :set_commits THEN :commits::varchar[] ELSE commits END,
    files_modified = CASE WHEN :set_files_modified THEN :files_modified::varchar[]
                          ELSE files_modified END,
    pr_number = CASE WHEN :set_pr_number THEN :pr_number::integer ELSE pr_number END,
    pr_url = CASE WHEN :set_pr_url THEN :pr_url::varchar ELSE pr_url END,
    pr_status = CASE WHEN :set_pr_status THEN :pr_status::varchar ELSE pr_status END,
    pr_created_at = CASE WHEN :set_pr_created_at THEN :pr_created_at::timestamptz
                         ELSE pr_created_at END,
    pr_merged_at = CASE WHEN :set_pr_merged_at THEN :pr_merged_at::timestamptz
                        ELSE pr_merged_at END,
    merged_by = CASE WHEN :set_merged_by THEN :merged_by::uuid ELSE merged_by END,
    toolchain_python = CASE WHEN :set_toolchain_python THEN :toolchain_python::varchar
                            ELSE toolchain_python END,
    toolchain_status = CASE WHEN :set_toolchain_status THEN :toolchain_status::varchar
                            ELSE toolchain_status END,
    updated_at = :updated_at::timestamptz
WHERE id = :id
RETURNING
    {{work_sessions}};

-- name: append_work_session_commits :one
-- Append commits and modified files not already recorded, in the order given, without
-- reading the lists first; no row back = no such session.
UPDATE work_sessions AS w
SET commits = w.commits || ARRAY(
        SELECT c.sha
          FROM unnest(:commits::varchar[]) WITH ORDINALITY AS c(sha, n)
         WHERE c.sha <> ALL(w.commits)
         GROUP BY c.sha
         ORDER BY min(c.n)),
    files_modified = w.files_modified || ARRAY(
        SELECT f.path
          FROM unnest(:files_modified::varchar[]) WITH ORDINALITY AS f(path, n)
         WHERE f.path <> ALL(w.files_modified)
         GROUP BY f.path
         ORDER BY min(f.n)),
    updated_at = :updated_at::timestamptz
WHERE w.id = :id
RETURNING
    {{work_sessions}};

-- name: close_work_session :one
-- End an active session with its outcome (completed or abandoned); no row back means no such
-- session or one that already ended.
UPDATE work_sessions
SET status = :outcome::worksessionstatus,
    ended_at = :ended_at::timestamptz,
    updated_at = :ended_at::timestamptz
WHERE id = :id AND status = 'active'
RETURNING
    {{work_sessions}};

-- name: abandon_project_work_sessions :many
-- End every active work session of a project as abandoned (before the project is deleted, as
-- RoboCo does); the sessions it ended.
UPDATE work_sessions
SET status = 'abandoned',
    ended_at = :ended_at::timestamptz,
    updated_at = :ended_at::timestamptz
WHERE project_id = :project_id AND status = 'active'
RETURNING
    {{work_sessions}};
