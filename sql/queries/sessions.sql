-- name: open_session :one
-- Insert one session and make it its group's live session (active_session_id, total_sessions,
-- last_activity), in one statement as RoboCo's create_session does.
WITH live AS (
    UPDATE groups SET
        active_session_id = CASE WHEN :status::sessionstatus = 'active' THEN :id::uuid
            ELSE active_session_id END,
        total_sessions = total_sessions + 1,
        last_activity = GREATEST(last_activity, :started_at::timestamptz)
    WHERE id = :group_id
)
INSERT INTO sessions (
    {{sessions}}
) VALUES (
    :id, :group_id, :max_time_window, :max_message_count, :max_content_length, :timeout_seconds,
    :status, :scope, :started_at, :last_activity_at, NULL, 0, 0, :created_at
)
RETURNING
    {{sessions}};

-- name: close_session :one
-- Move an active session to closed or timed_out and clear its group's active_session_id if
-- it points here; no row when the session is missing or not active.
WITH closed AS (
    UPDATE sessions SET status = :status::sessionstatus, closed_at = :closed_at
    WHERE id = :id AND status = 'active'
    RETURNING
        {{sessions}}
), unlive AS (
    UPDATE groups SET active_session_id = NULL
    WHERE id = (SELECT group_id FROM closed) AND active_session_id = :id
)
SELECT
    {{sessions}}
FROM closed;

-- name: get_session :one
-- One session by primary key.
SELECT
    {{sessions}}
FROM sessions
WHERE id = :id;

-- name: get_active_session :one
-- The group's live session: the one active_session_id points at, if it is still active.
SELECT
    {{s.sessions}}
FROM groups g
JOIN sessions s ON s.id = g.active_session_id
WHERE g.id = :group_id AND s.status = 'active';

-- name: list_sessions_by_group :many
-- A group's sessions, newest start first, optionally of one status (ix_sessions_group_status);
-- keyset before a (started_at, id) cursor.
SELECT
    {{sessions}}
FROM sessions
WHERE group_id = :group_id
  AND (:status::sessionstatus IS NULL OR status = :status::sessionstatus)
  AND (started_at, id) < ({{> before_cursor}})
ORDER BY started_at DESC, id DESC
LIMIT :limit;

-- name: link_session_task :one
-- Link a task to a session; the pair is unique (uq_session_task) and a task has at most one
-- primary link (ix_session_tasks_primary_per_task).
INSERT INTO session_tasks (
    {{session_tasks}}
) VALUES (
    :id, :session_id, :task_id, :is_primary, :relationship_type, :added_at, :added_by
)
RETURNING {{session_tasks}};

-- name: get_session_task :one
-- The link between one session and one task (served by uq_session_task).
SELECT {{session_tasks}}
FROM session_tasks
WHERE session_id = :session_id AND task_id = :task_id;

-- name: list_session_tasks_by_session :many
-- The task links of a session, newest first (ix_session_tasks_session_id).
SELECT {{session_tasks}}
FROM session_tasks
WHERE session_id = :session_id
ORDER BY added_at DESC, id DESC;

-- name: list_session_tasks_by_task :many
-- The session links of a task, newest first, optionally of one relationship type
-- (ix_session_tasks_task_id).
SELECT {{session_tasks}}
FROM session_tasks
WHERE task_id = :task_id
  AND (:relationship_type::varchar IS NULL OR relationship_type = :relationship_type::varchar)
ORDER BY added_at DESC, id DESC;

-- name: get_primary_session :one
-- The primary session of a task, through the partial unique index on is_primary.
SELECT
    {{s.sessions}}
FROM session_tasks st
JOIN sessions s ON s.id = st.session_id
WHERE st.task_id = :task_id AND st.is_primary;

-- name: clear_primary_session :execrows
-- Demote a task's primary link unless it is the given session's (step one of a primary move).
UPDATE session_tasks SET is_primary = false
WHERE task_id = :task_id AND is_primary AND session_id <> :session_id;

-- name: set_primary_session :one
-- Promote an existing session-task link to primary (step two of a primary move).
UPDATE session_tasks SET is_primary = true
WHERE task_id = :task_id AND session_id = :session_id
RETURNING {{session_tasks}};

-- name: unlink_session_task :execrows
-- Remove the link between a session and a task.
DELETE FROM session_tasks
WHERE session_id = :session_id AND task_id = :task_id;

-- name: sweep_timed_out_sessions :many
-- Close every active session idle for its timeout_seconds (since last activity, or its start)
-- or open longer than its max_time_window, and clear each one's group pointer, in one
-- statement (RoboCo's session sweeper). A session locked by a writer right now is left for
-- the next sweep. The sessions closed, oldest start first.
WITH due AS (
    SELECT id
    FROM sessions
    WHERE status = 'active'
      AND (
          COALESCE(last_activity_at, started_at) + make_interval(secs => timeout_seconds)
              <= :now::timestamptz
          OR (max_time_window IS NOT NULL AND started_at + max_time_window <= :now::timestamptz)
      )
    FOR UPDATE SKIP LOCKED
), closed AS (
    UPDATE sessions AS s SET status = :status::sessionstatus, closed_at = :now::timestamptz
    FROM due
    WHERE s.id = due.id
    RETURNING
        {{s.sessions}}
), unlive AS (
    UPDATE groups AS g SET active_session_id = NULL
    FROM closed
    WHERE g.active_session_id = closed.id
)
SELECT
    {{sessions}}
FROM closed
ORDER BY started_at, id;

-- name: list_sessions_by_ids :many
-- Sessions by a set of ids (one round trip for a page of links), in no particular order.
SELECT
    {{sessions}}
FROM sessions
WHERE id = ANY(:ids::uuid[]);

-- name: list_linked_tasks_of_sessions :many
-- The task links of a set of sessions with each task's headline, each session's newest first.
SELECT
    st.id, st.session_id, st.task_id, st.is_primary, st.relationship_type, st.added_at,
    st.added_by, t.title, t.status, t.priority, t.team, t.assigned_to, t.parent_task_id
FROM session_tasks AS st
JOIN tasks AS t ON t.id = st.task_id
WHERE st.session_id = ANY(:session_ids::uuid[])
ORDER BY st.session_id, st.added_at DESC, st.id DESC;

-- name: lock_group :scalar
-- Lock a group's row until the end of the caller's transaction (so one caller at a time
-- decides whether to open its live session); its id, NULL when there is no such group.
SELECT id
FROM groups
WHERE id = :group_id
FOR UPDATE;
