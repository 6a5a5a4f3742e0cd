-- name: claim_task :one
-- Claim one task for :agent_id in one statement: task :task_id when given, else the first of the
-- queue (priority 0 first, then oldest) among tasks in :statuses (the role's claim rule), of the
-- agent's team unless :any_team, not assigned to another agent, not its own work when
-- :self_review (QA/documenter), not a code task for a Main PM (:no_code; it coordinates,
-- except to recover a task sent back for revision), and whose dependencies are all met (completed -- listed in
-- completed_dependency_ids or so in the table -- or cancelled, as RoboCo's claim guard counts
-- them). The row is taken FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on each
-- other nor take the same task; no row back = nothing claimable (or, by id, changed or locked).
-- The claim sets status claimed, the claimant (assigned_to, claimed_by, claimed_at,
-- active_claimant_id, last_heartbeat_at), the branch name RoboCo derives when the task has
-- none (feature/<team>/<root8>--<sub8>--<subsub8>; <slug>/<team> on a fullstack project; none
-- for PR reviews and for coordination tasks whose product maps no cell), opens the work
-- session when :open_session (a developer's claim of a task with a project and a branch; base
-- and target branch: the parent's branch, else the project's default) unless the agent already
-- has one active on it, and writes the audit row. The queue is walked along rsql_tasks_claim_queue
-- (an addition of ours), whose predicate the literal status list (every status some role may claim) matches.
WITH RECURSIVE
clock AS MATERIALIZED (
    SELECT clock_timestamp() AS now
),
by_id AS (
    SELECT t.id, t.status, t.team, t.parent_task_id, t.project_id, t.product_id, t.branch_name,
           t.source
      FROM tasks AS t
     WHERE t.id = :task_id::uuid
       AND {{> claimable}}
       FOR UPDATE SKIP LOCKED
),
by_queue AS (
    SELECT t.id, t.status, t.team, t.parent_task_id, t.project_id, t.product_id, t.branch_name,
           t.source
      FROM tasks AS t
     WHERE :task_id::uuid IS NULL
       AND t.status IN ('pending', 'needs_revision', 'awaiting_qa', 'awaiting_documentation',
                        'awaiting_pr_review')
       AND {{> claimable}}
     ORDER BY t.priority, t.created_at, t.id
     LIMIT 1
       FOR UPDATE SKIP LOCKED
),
picked AS (
    SELECT * FROM by_id
    UNION ALL
    SELECT * FROM by_queue
),
chain AS (
    SELECT p.id, p.parent_task_id, 1 AS depth
      FROM picked AS p
    UNION ALL
    SELECT t.id, t.parent_task_id, c.depth + 1
      FROM chain AS c
      JOIN tasks AS t ON t.id = c.parent_task_id
     WHERE c.depth < :max_depth::integer
),
plan AS (
    SELECT p.id,
           p.status AS from_status,
           p.team,
           p.project_id,
           CASE
               WHEN coalesce(p.branch_name, '') <> '' THEN p.branch_name
               WHEN p.source = ANY(:pr_review_sources::varchar[]) THEN p.branch_name
               WHEN p.project_id IS NULL
                    AND NOT EXISTS (SELECT 1
                                      FROM product_projects AS pp
                                     WHERE pp.product_id = p.product_id) THEN p.branch_name
               ELSE 'feature/'
                    || CASE WHEN proj.assigned_cell = 'fullstack'
                            THEN proj.slug || '/' || p.team::text
                            ELSE p.team::text END
                    || '/'
                    || (SELECT string_agg(left(c.id::text, 8), '--' ORDER BY c.depth DESC)
                          FROM chain AS c)
           END AS branch_name,
           coalesce(nullif(parent.branch_name, ''), proj.default_branch, 'master') AS base_branch
      FROM picked AS p
      LEFT JOIN projects AS proj ON proj.id = p.project_id
      LEFT JOIN tasks AS parent ON parent.id = p.parent_task_id
),
opened AS (
    INSERT INTO work_sessions (
        id, project_id, task_id, agent_id, branch_name, base_branch, target_branch, started_at,
        ended_at, status, commits, files_modified, pr_number, pr_url, pr_status, pr_created_at,
        pr_merged_at, merged_by, toolchain_python, toolchain_status, created_at, updated_at
    )
    SELECT :session_id::uuid, p.project_id, p.id, :agent_id::uuid, p.branch_name,
           p.base_branch, p.base_branch, c.now,
           NULL, 'active', '{}', '{}', NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, c.now, NULL
      FROM plan AS p, clock AS c
     WHERE :open_session::boolean
       AND p.project_id IS NOT NULL
       AND coalesce(p.branch_name, '') <> ''
       AND NOT EXISTS (SELECT 1
                         FROM work_sessions AS w
                        WHERE w.task_id = p.id
                          AND w.agent_id = :agent_id::uuid
                          AND w.status = 'active')
    RETURNING id
),
claimed AS (
    UPDATE tasks AS t
    SET status = 'claimed',
        assigned_to = :agent_id::uuid,
        claimed_by = :agent_id::uuid,
        claimed_at = c.now,
        active_claimant_id = :agent_id::uuid,
        last_heartbeat_at = c.now,
        branch_name = p.branch_name,
        work_session_id = coalesce((SELECT o.id FROM opened AS o), t.work_session_id),
        updated_at = c.now
    FROM plan AS p, clock AS c
    WHERE t.id = p.id
    RETURNING t.*, p.from_status
),
logged AS (
    INSERT INTO audit_log ({{audit_log}})
    SELECT gen_random_uuid(), 'task.claimed', :agent_id::uuid, 'task', k.id, 'info',
           jsonb_build_object('from_status', k.from_status, 'to_status', 'claimed',
                              'agent_role', :agent_role::text, 'team', k.team,
                              'action', 'claim', 'work_session_id', k.work_session_id),
           c.now
      FROM claimed AS k, clock AS c
)
SELECT
    {{tasks}}
FROM claimed;

-- name: heartbeat_task :scalar
-- Touch the live claim's heartbeat; only the active claimant can (no row back = it is not).
UPDATE tasks
SET last_heartbeat_at = clock_timestamp()
WHERE id = :id
  AND active_claimant_id = :agent_id
RETURNING last_heartbeat_at;

-- name: reap_stale_claims :many
-- Return claimed/in_progress tasks whose heartbeat is missing or older than :older_than to
-- pending, in one statement: rows another transaction holds are skipped (SKIP LOCKED) and
-- left for the next sweep. As RoboCo's reaper: the owner stays on assigned_to/claimed_by
-- (:keep_owner; else the task goes back to the open pool), the live claim and the work session
-- link are cleared, the active work sessions are abandoned, and each reap is audited.
WITH clock AS MATERIALIZED (
    SELECT clock_timestamp() AS now
),
stale AS (
    SELECT t.id, t.status, coalesce(t.assigned_to, t.claimed_by, t.active_claimant_id) AS owner
      FROM tasks AS t
     WHERE t.status IN ('claimed', 'in_progress')
       AND (t.last_heartbeat_at IS NULL
            OR t.last_heartbeat_at < (SELECT c.now FROM clock AS c) - :older_than::interval)
     ORDER BY t.id
       FOR UPDATE SKIP LOCKED
),
reaped AS (
    UPDATE tasks AS t
    SET status = 'pending',
        assigned_to = CASE WHEN :keep_owner::boolean THEN s.owner END,
        claimed_by = CASE WHEN :keep_owner::boolean THEN s.owner ELSE t.claimed_by END,
        active_claimant_id = NULL,
        last_heartbeat_at = NULL,
        work_session_id = NULL,
        updated_at = c.now
    FROM stale AS s, clock AS c
    WHERE t.id = s.id
    RETURNING t.id, t.team, s.status AS from_status, s.owner
),
closed AS (
    UPDATE work_sessions AS w
    SET status = 'abandoned',
        ended_at = c.now,
        updated_at = c.now
    FROM clock AS c
    WHERE w.task_id IN (SELECT r.id FROM reaped AS r)
      AND w.status = 'active'
),
logged AS (
    INSERT INTO audit_log ({{audit_log}})
    SELECT gen_random_uuid(), 'task.pending', r.owner, 'task', r.id, 'info',
           jsonb_build_object('from_status', r.from_status, 'to_status', 'pending',
                              'agent_role', 'system', 'team', r.team, 'action', 'reap',
                              'reason', 'stale heartbeat'),
           c.now
      FROM reaped AS r, clock AS c
)
SELECT id
FROM reaped
ORDER BY id;

-- name: claim_review_task :one
-- Claim task :id in review queue :status for :agent_id WITHOUT moving it, as RoboCo's QA,
-- documenter, PR-gate and PM-review claims: assignee, claimed_by, claimed_at, the live claim
-- and a fresh heartbeat. A QA or documenter claim (:mark_developer) of a task whose assignee
-- is another agent and that has no original_developer marker records that assignee as its
-- developer first (the self-review record). The UPDATE takes the row lock, so of two
-- claimers the second re-reads the first's live claim and gets no row back (as it does when
-- the task left :status).
WITH clock AS MATERIALIZED (
    SELECT clock_timestamp() AS now
)
UPDATE tasks AS t
SET assigned_to = :agent_id::uuid,
    claimed_by = :agent_id::uuid,
    claimed_at = c.now,
    last_heartbeat_at = c.now,
    active_claimant_id = :agent_id::uuid,
    orchestration_markers = CASE
        WHEN :mark_developer::boolean
             AND t.assigned_to IS NOT NULL
             AND t.assigned_to <> :agent_id::uuid
             AND (t.orchestration_markers ->> 'original_developer') IS NULL
            THEN (coalesce(t.orchestration_markers::jsonb, '{}'::jsonb)
                  || jsonb_build_object('original_developer', t.assigned_to::text))::json
        ELSE t.orchestration_markers
    END,
    updated_at = c.now
FROM clock AS c
WHERE t.id = :id::uuid
  AND t.status = :status::taskstatus
  AND (t.active_claimant_id IS NULL OR t.active_claimant_id = :agent_id::uuid)
RETURNING
    {{t.tasks}};

-- name: release_pending_assignment :one
-- An agent gives back a pending task assigned to it that it never claimed (RoboCo's
-- _unclaim_pending_assignment): the assignment and any live claim are cleared, the status
-- stays. No row back = the task is no longer pending or no longer assigned to :agent_id.
UPDATE tasks
SET assigned_to = NULL,
    active_claimant_id = NULL,
    updated_at = clock_timestamp()
WHERE id = :id
  AND status = 'pending'
  AND assigned_to = :agent_id
RETURNING
    {{tasks}};
