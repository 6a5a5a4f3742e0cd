-- name: count_tasks_by_status :many
-- How many tasks each status holds (of one team, or all); statuses with none are absent.
SELECT status, count(*) AS count
FROM tasks
WHERE (:team::team IS NULL OR team = :team::team)
GROUP BY status
ORDER BY status;

-- name: count_tasks_by_team :many
-- How many tasks each team holds (in one status, or any); teams with none are absent.
SELECT team, count(*) AS count
FROM tasks
WHERE (:status::taskstatus IS NULL OR status = :status::taskstatus)
GROUP BY team
ORDER BY team;

-- name: task_velocity :one
-- Over the window since :since (of one team, or all): tasks completed in it, tasks created in
-- it, and the mean started-to-completed hours of those completed having a start.
SELECT
    count(*) FILTER (WHERE status = 'completed' AND completed_at >= :since::timestamptz)
        AS tasks_completed,
    count(*) FILTER (WHERE created_at >= :since::timestamptz) AS tasks_created,
    (avg(extract(epoch FROM completed_at - started_at) / 3600)
        FILTER (WHERE status = 'completed' AND completed_at >= :since::timestamptz
                  AND started_at IS NOT NULL))::float8 AS avg_completion_hours
FROM tasks
WHERE (:team::team IS NULL OR team = :team::team)
  AND (completed_at >= :since::timestamptz OR created_at >= :since::timestamptz);

-- name: team_task_metrics :one
-- One team's figures in one scan (RoboCo's get_team_metrics ran six queries): active tasks
-- (claimed, in progress, verifying, awaiting QA), completed since :since and their mean cycle
-- hours, blocked tasks, and completed tasks in all and with developer notes.
SELECT
    count(*) FILTER (WHERE status IN ('claimed', 'in_progress', 'verifying', 'awaiting_qa'))
        AS active_tasks,
    count(*) FILTER (WHERE status = 'completed' AND completed_at >= :since::timestamptz)
        AS completed_tasks_week,
    count(*) FILTER (WHERE status = 'blocked') AS blocked_tasks,
    (avg(extract(epoch FROM completed_at - started_at) / 3600)
        FILTER (WHERE status = 'completed' AND completed_at >= :since::timestamptz
                  AND started_at IS NOT NULL))::float8 AS avg_completion_hours,
    count(*) FILTER (WHERE status = 'completed') AS completed_total,
    count(*) FILTER (WHERE status = 'completed' AND dev_notes IS NOT NULL)
        AS completed_with_notes
FROM tasks
WHERE team = :team::team;

-- name: agent_task_metrics :one
-- An agent's name and current task with the tasks assigned to it completed since :since and
-- their mean cycle hours; no row = no such agent.
SELECT
    a.id AS agent_id,
    a.name AS agent_name,
    a.current_task_id,
    count(t.id) AS tasks_completed_week,
    (avg(extract(epoch FROM t.completed_at - t.started_at) / 3600)
        FILTER (WHERE t.started_at IS NOT NULL))::float8 AS avg_completion_hours
FROM agents AS a
LEFT JOIN tasks AS t
       ON t.assigned_to = a.id
      AND t.status = 'completed'
      AND t.completed_at >= :since::timestamptz
WHERE a.id = :agent_id::uuid
GROUP BY a.id;

-- name: task_health_counts :one
-- The counts RoboCo's get_health_status reads (of one team, or all): active tasks (blocked
-- included), blocked tasks, and tasks completed since :since.
SELECT
    count(*) FILTER (WHERE status IN ('claimed', 'in_progress', 'verifying', 'awaiting_qa',
                                      'blocked')) AS active_tasks,
    count(*) FILTER (WHERE status = 'blocked') AS blocked_tasks,
    count(*) FILTER (WHERE status = 'completed' AND completed_at >= :since::timestamptz)
        AS completed_this_week
FROM tasks
WHERE (:team::team IS NULL OR team = :team::team);

-- name: blocker_stats :one
-- Blocked tasks at :now: how many, their mean blocked hours, and the longest blocked one. A
-- task is blocked since its latest task.blocked audit row (served by RoboCo's
-- ix_audit_log_target_event_ts), else since it was last touched.
WITH blocked AS (
    SELECT t.id,
           extract(epoch FROM :now::timestamptz - coalesce(
               (SELECT max(a.timestamp)
                  FROM audit_log AS a
                 WHERE a.target_id = t.id
                   AND a.target_type = 'task'
                   AND a.event_type = 'task.blocked'),
               t.updated_at, t.created_at)) / 3600 AS hours
      FROM tasks AS t
     WHERE t.status = 'blocked'
)
SELECT
    (SELECT count(*) FROM blocked) AS active_blockers,
    (SELECT avg(hours) FROM blocked)::float8 AS avg_blocked_hours,
    longest.id AS longest_blocked_task_id,
    longest.hours::float8 AS longest_blocked_hours
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT id, hours FROM blocked WHERE hours > 0 ORDER BY hours DESC, id LIMIT 1
) AS longest ON true;

-- name: delivery_stats :one
-- Root delivery tasks completed since :since (no parent, not administrative, not a source
-- that completes on approval) and the median of their created-to-completed hours, from the
-- same rows.
SELECT
    count(*) AS completed_30d,
    (percentile_cont(0.5) WITHIN GROUP (
        ORDER BY extract(epoch FROM completed_at - created_at) / 3600))::float8
        AS median_lead_time_hours
FROM tasks
WHERE status = 'completed'
  AND completed_at >= :since::timestamptz
  AND parent_task_id IS NULL
  AND task_type <> 'administrative'
  AND source <> ALL(:excluded_sources::varchar[]);

-- name: roadmap_progress :one
-- High-priority (P0 and P1) tasks: all of them, and those completed.
SELECT
    count(*) AS high_priority_total,
    count(*) FILTER (WHERE status = 'completed') AS high_priority_completed
FROM tasks
WHERE priority <= 1;

-- name: audit_queue :many
-- What the auditor's queue lists: blocked tasks, then tasks awaiting QA, oldest first in each.
SELECT
    {{tasks}}
FROM tasks
WHERE status IN ('blocked', 'awaiting_qa')
ORDER BY status = 'awaiting_qa', created_at, id
LIMIT :limit;
