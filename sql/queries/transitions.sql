-- name: transition_task :one
-- Move one task from :from_status to :to_status with the edge's side effects, in one statement:
-- the conditional UPDATE (no row back = the task is no longer in :from_status, its git facts no
-- longer meet the edge's preconditions, or :holder no longer holds it), the audit row, the
-- closing of its active work sessions (:session_outcome), and, when it completes (:complete) or
-- is cancelled (with the descendants the cancel takes), RoboCo's dependency rule on every task
-- whose dependency_ids holds one of them: the id moves from dependency_ids to
-- completed_dependency_ids, and a blocked dependent left with no unmet dependency (none that is
-- neither completed nor cancelled) is revived -- in_progress when it has a branch and an owner,
-- else pending -- with its own audit row. Dependents are locked in id order; their lookup is
-- served by rsql_tasks_dependency_ids (an addition of ours). Every SET reads the row as it was
-- before the statement. As RoboCo's single transition chokepoint, a bounce into
-- needs_revision counts one more revision_count, and any move clears the stalled marker. A
-- cancel (:cascade_cancel) takes the task's unfinished descendants with it, as RoboCo's
-- cancel: each is cancelled, audited, loses its live claim and has its work sessions
-- abandoned. :owner: keep | actor | clear | unassign (assigned_to only) |
-- restore (pre-block owner) | holder (whoever holds it) | developer (the original_developer
-- marker, else none) | review_pm (the PM who assembles the work: its cell's PM, else the Main
-- PM) | developer_or_pm (the marker, else that PM) | revision_dev (the marker, else the
-- developer of the task's latest work session other than the actor, who is then recorded as
-- the marker) | ancestor (the first assignee up the parent chain, who also takes the live
-- claim); the last four are looked up once, before the write.
WITH RECURSIVE clock AS MATERIALIZED (
    SELECT clock_timestamp() AS now
),
up AS (
    SELECT p.id, p.assigned_to, p.parent_task_id, 1 AS depth, ARRAY[s.id, p.id] AS path
      FROM tasks AS s
      JOIN tasks AS p ON p.id = s.parent_task_id
     WHERE s.id = :id::uuid
       AND :owner::text = 'ancestor'
    UNION ALL
    SELECT p.id, p.assigned_to, p.parent_task_id, u.depth + 1, u.path || p.id
      FROM up AS u
      JOIN tasks AS p ON p.id = u.parent_task_id
     WHERE u.assigned_to IS NULL
       AND p.id <> ALL(u.path)
),
looked_up AS MATERIALIZED (
    SELECT CASE :owner::text
               WHEN 'review_pm' THEN pm.id
               WHEN 'developer_or_pm' THEN coalesce(dev.id, pm.id)
               WHEN 'revision_dev' THEN coalesce(dev.id, ws.agent_id)
               WHEN 'ancestor' THEN (SELECT u.assigned_to
                                       FROM up AS u
                                      WHERE u.assigned_to IS NOT NULL
                                      ORDER BY u.depth
                                      LIMIT 1)
           END AS owner,
           :owner::text = 'revision_dev' AND dev.id IS NULL AND ws.agent_id IS NOT NULL AS heal
      FROM tasks AS t
      LEFT JOIN LATERAL (
          SELECT (t.orchestration_markers ->> 'original_developer')::uuid AS id
           WHERE (t.orchestration_markers ->> 'original_developer')
                 ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      ) AS dev ON true
      LEFT JOIN LATERAL (
          SELECT a.id
            FROM agents AS a
           WHERE :owner::text IN ('review_pm', 'developer_or_pm')
             AND CASE WHEN t.team IN ('backend', 'frontend', 'ux_ui')
                      THEN a.role = 'cell_pm' AND a.team = t.team
                      ELSE a.role = 'main_pm' END
           ORDER BY a.created_at, a.id
           LIMIT 1
      ) AS pm ON true
      LEFT JOIN LATERAL (
          SELECT w.agent_id
            FROM work_sessions AS w
            JOIN agents AS a ON a.id = w.agent_id AND a.role = 'developer'
           WHERE :owner::text = 'revision_dev'
             AND w.task_id = t.id
             AND w.agent_id IS DISTINCT FROM :actor_id::uuid
           ORDER BY w.started_at DESC
           LIMIT 1
      ) AS ws ON true
     WHERE t.id = :id::uuid
),
moved AS (
    UPDATE tasks AS t
    SET status = :to_status::taskstatus,
        assigned_to = CASE
            WHEN :owner::text = 'keep' THEN t.assigned_to
            WHEN :owner::text IN ('clear', 'unassign') THEN NULL
            {{> new_owner}}
        END,
        claimed_by = CASE
            WHEN :owner::text IN ('keep', 'unassign') THEN t.claimed_by
            WHEN :owner::text = 'clear' THEN NULL
            {{> new_owner}}
        END,
        claimed_at = CASE WHEN :claim::boolean THEN c.now ELSE t.claimed_at END,
        active_claimant_id = CASE
            WHEN :claim::boolean THEN :actor_id::uuid
            WHEN :owner::text = 'ancestor' THEN (SELECT l.owner FROM looked_up AS l)
            WHEN :release::boolean THEN NULL
            ELSE t.active_claimant_id
        END,
        last_heartbeat_at = CASE
            WHEN :claim::boolean THEN c.now
            WHEN :release::boolean THEN NULL
            ELSE t.last_heartbeat_at
        END,
        started_at = CASE WHEN :start::boolean THEN coalesce(t.started_at, c.now)
                          ELSE t.started_at END,
        completed_at = CASE WHEN :complete::boolean THEN c.now ELSE t.completed_at END,
        work_session_id = CASE WHEN :detach_session::boolean THEN NULL
                               ELSE t.work_session_id END,
        -- the first block of a chain snapshots where the task rested and who held it
        pre_block_state = CASE
            WHEN :snapshot_block::boolean THEN coalesce(t.pre_block_state, t.status::text)
            WHEN :clear_block::boolean THEN NULL
            ELSE t.pre_block_state
        END,
        pre_block_assignee = CASE
            WHEN :snapshot_block::boolean AND t.pre_block_state IS NULL
                THEN coalesce(t.assigned_to, t.claimed_by)
            WHEN :clear_block::boolean THEN NULL
            ELSE t.pre_block_assignee
        END,
        pre_block_metadata = CASE WHEN :clear_block::boolean THEN NULL
                                  ELSE t.pre_block_metadata END,
        blocker_raised_by = CASE
            WHEN :snapshot_block::boolean
                THEN coalesce(t.blocker_raised_by, :raised_by::uuid, t.assigned_to)
            WHEN :clear_block::boolean THEN NULL
            ELSE t.blocker_raised_by
        END,
        blocker_resolver_type = CASE
            WHEN :snapshot_block::boolean
                THEN coalesce(:resolver_type::blockerresolvertype, t.blocker_resolver_type,
                              'agent')
            WHEN :clear_block::boolean THEN NULL
            ELSE t.blocker_resolver_type
        END,
        orchestration_markers = CASE
            WHEN :mark_developer::boolean AND t.assigned_to IS NOT NULL
                THEN (coalesce(t.orchestration_markers::jsonb, '{}'::jsonb)
                      || jsonb_build_object('original_developer', t.assigned_to::text))::json
            WHEN (SELECT l.heal FROM looked_up AS l)
                THEN (coalesce(t.orchestration_markers::jsonb, '{}'::jsonb)
                      || jsonb_build_object('original_developer',
                                            (SELECT l.owner FROM looked_up AS l)::text))::json
            ELSE t.orchestration_markers
        END,
        self_verified = t.self_verified OR :self_verified::boolean,
        qa_verified = coalesce(:qa_verified::boolean, t.qa_verified),
        docs_complete = t.docs_complete AND NOT :reset_docs::boolean,
        revision_count = t.revision_count
            + CASE WHEN :to_status::taskstatus = 'needs_revision'
                        AND t.status <> 'needs_revision' THEN 1 ELSE 0 END,
        stalled_reason = NULL,
        stalled_since = NULL,
        updated_at = c.now
    FROM clock AS c
    WHERE t.id = :id::uuid
      AND t.status = :from_status::taskstatus
      AND (NOT :need_docs::boolean OR t.docs_complete)
      AND (NOT :need_pr_created::boolean OR t.pr_created)
      AND (NOT :need_pr_number::boolean OR t.pr_number IS NOT NULL)
      AND (NOT :need_branch::boolean
           OR coalesce(t.branch_name, '') <> ''
           OR (t.project_id IS NULL AND t.product_id IS NOT NULL)
           OR t.source = ANY(:pr_review_sources::varchar[]))
      AND (:holder::uuid IS NULL
           OR t.assigned_to = :holder::uuid
           OR t.active_claimant_id = :holder::uuid)
    RETURNING t.*
),
logged AS (
    INSERT INTO audit_log ({{audit_log}})
    SELECT gen_random_uuid(), 'task.' || m.status::text, :actor_id::uuid, 'task', m.id, 'info',
           jsonb_build_object('from_status', :from_status::taskstatus, 'to_status', m.status,
                              'agent_role', :actor_role::text, 'team', m.team,
                              'action', :action::text),
           c.now
      FROM moved AS m, clock AS c
),
subtree AS (
    SELECT k.id, ARRAY[:id::uuid, k.id] AS path
      FROM tasks AS k
     WHERE :cascade_cancel::boolean
       AND k.parent_task_id = :id::uuid
       AND k.id <> :id::uuid
       AND EXISTS (SELECT 1 FROM moved)
    UNION ALL
    SELECT k.id, s.path || k.id
      FROM subtree AS s
      JOIN tasks AS k ON k.parent_task_id = s.id
     WHERE k.id <> ALL(s.path)
),
doomed AS (
    SELECT d.id, d.status, d.team
      FROM tasks AS d
     WHERE d.id IN (SELECT s.id FROM subtree AS s)
       AND d.status NOT IN ('completed', 'cancelled')
     ORDER BY d.id
       FOR UPDATE
),
swept AS (
    UPDATE tasks AS d
    SET status = 'cancelled',
        active_claimant_id = NULL,
        last_heartbeat_at = NULL,
        stalled_reason = NULL,
        stalled_since = NULL,
        updated_at = c.now
    FROM doomed AS x, clock AS c
    WHERE d.id = x.id
      AND d.status = x.status
    RETURNING d.id, d.team, x.status AS from_status
),
swept_logged AS (
    INSERT INTO audit_log ({{audit_log}})
    SELECT gen_random_uuid(), 'task.cancelled', :actor_id::uuid, 'task', x.id, 'info',
           jsonb_build_object('from_status', x.from_status, 'to_status', 'cancelled',
                              'agent_role', :actor_role::text, 'team', x.team,
                              'action', 'cancel', 'ancestor_cancelled', :id::uuid),
           c.now
      FROM swept AS x, clock AS c
),
closed AS (
    UPDATE work_sessions AS w
    SET status = :session_outcome::worksessionstatus,
        ended_at = c.now,
        updated_at = c.now
    FROM clock AS c
    WHERE :session_outcome::worksessionstatus IS NOT NULL
      AND (w.task_id IN (SELECT m.id FROM moved AS m)
           OR w.task_id IN (SELECT x.id FROM swept AS x))
      AND w.status = 'active'
),
gone AS MATERIALIZED (
    SELECT coalesce(array_agg(g.id), '{}') AS ids
      FROM (SELECT m.id
              FROM moved AS m
             WHERE :complete::boolean OR :to_status::taskstatus = 'cancelled'
            UNION ALL
            SELECT x.id FROM swept AS x) AS g
),
dependents AS (
    SELECT d.id,
           d.status = 'blocked'
               AND NOT EXISTS (SELECT 1
                                 FROM tasks AS u
                                WHERE u.id = ANY(d.dependency_ids)
                                  AND u.id <> ALL(g.ids)
                                  AND u.id <> ALL(d.completed_dependency_ids)
                                  AND u.status NOT IN ('completed', 'cancelled'))
               AS revive,
           coalesce(d.blocker_raised_by, d.pre_block_assignee, d.assigned_to, d.claimed_by)
               AS owner,
           CASE WHEN coalesce(d.branch_name, '') <> ''
                     AND coalesce(d.blocker_raised_by, d.pre_block_assignee, d.assigned_to,
                                  d.claimed_by) IS NOT NULL
                THEN 'in_progress'::taskstatus
                ELSE 'pending'::taskstatus
           END AS target
      FROM tasks AS d, gone AS g
     WHERE d.dependency_ids && g.ids
       AND d.id <> ALL(g.ids)
     ORDER BY d.id
       FOR UPDATE OF d
),
released AS (
    UPDATE tasks AS d
    SET dependency_ids = ARRAY(SELECT k.id
                                 FROM unnest(d.dependency_ids) WITH ORDINALITY AS k(id, n)
                                WHERE k.id <> ALL(g.ids)
                                ORDER BY k.n),
        completed_dependency_ids = d.completed_dependency_ids
            || ARRAY(SELECT k.id
                       FROM unnest(d.dependency_ids) WITH ORDINALITY AS k(id, n)
                      WHERE k.id = ANY(g.ids)
                        AND k.id <> ALL(d.completed_dependency_ids)
                      ORDER BY k.n),
        status = CASE WHEN x.revive THEN x.target ELSE d.status END,
        assigned_to = CASE WHEN x.revive THEN x.owner ELSE d.assigned_to END,
        claimed_by = CASE WHEN x.revive THEN x.owner ELSE d.claimed_by END,
        started_at = CASE WHEN x.revive AND x.target = 'in_progress'
                          THEN coalesce(d.started_at, c.now) ELSE d.started_at END,
        active_claimant_id = CASE WHEN x.revive AND x.target = 'pending' THEN NULL
                                  ELSE d.active_claimant_id END,
        last_heartbeat_at = CASE WHEN x.revive AND x.target = 'pending' THEN NULL
                                 ELSE d.last_heartbeat_at END,
        pre_block_state = CASE WHEN x.revive THEN NULL ELSE d.pre_block_state END,
        pre_block_assignee = CASE WHEN x.revive THEN NULL ELSE d.pre_block_assignee END,
        pre_block_metadata = CASE WHEN x.revive THEN NULL ELSE d.pre_block_metadata END,
        blocker_raised_by = CASE WHEN x.revive THEN NULL ELSE d.blocker_raised_by END,
        blocker_resolver_type = CASE WHEN x.revive THEN NULL ELSE d.blocker_resolver_type END,
        updated_at = c.now
    FROM dependents AS x, clock AS c, gone AS g
    WHERE d.id = x.id
    RETURNING d.id, d.team, d.status, x.revive
),
revived AS (
    INSERT INTO audit_log ({{audit_log}})
    SELECT gen_random_uuid(), 'task.' || r.status::text, NULL, 'task', r.id, 'info',
           jsonb_build_object('from_status', 'blocked', 'to_status', r.status,
                              'agent_role', 'system', 'team', r.team, 'action', 'unblock',
                              'dependency_completed', :id::uuid),
           c.now
      FROM released AS r, clock AS c
     WHERE r.revive
)
SELECT
    {{tasks}}
FROM moved;

-- name: admin_set_task_status :one
-- RoboCo's privileged override: set task :id from :from_status to :to_status past the edge
-- table, in one statement, with the effects RoboCo's admin_set_status applies and nothing
-- else (no work session, completion stamp or dependents' rule). Leaving blocked for pending or
-- in_progress with a pre-block owner restores that owner (assignee, claimant and live claim;
-- a branchless in_progress lands in pending) and consumes the snapshot; leaving blocked for a
-- review queue drops the stale claim and the snapshot; any move into a review queue ends the
-- live claim; leaving blocked clears the oscillation-strikes marker. A bounce into
-- needs_revision counts a revision unless it resurrects a finished task (admin recovery,
-- not rework); the stalled marker is cleared. Audit: the task.<status> row naming :actor_id, :actor_role and :reason,
-- plus a task.admin_override warning when :force or a restore. No row back = the task is no
-- longer in :from_status.
WITH clock AS MATERIALIZED (
    SELECT clock_timestamp() AS now
),
plan AS (
    SELECT t.id,
           t.status = 'blocked' AND :to_status::taskstatus <> 'blocked' AS out_of_block,
           t.status = 'blocked'
               AND :to_status::taskstatus IN ('pending', 'in_progress')
               AND t.pre_block_assignee IS NOT NULL AS restore,
           :to_status::taskstatus IN ('needs_revision', 'awaiting_qa', 'awaiting_documentation',
                                      'awaiting_pr_review', 'awaiting_pm_review',
                                      'awaiting_ceo_approval') AS to_queue,
           CASE WHEN t.status = 'blocked'
                     AND :to_status::taskstatus = 'in_progress'
                     AND t.pre_block_assignee IS NOT NULL
                     AND coalesce(t.branch_name, '') = ''
                THEN 'pending'::taskstatus
                ELSE :to_status::taskstatus
           END AS target
      FROM tasks AS t
     WHERE t.id = :id::uuid
       AND t.status = :from_status::taskstatus
       FOR UPDATE
),
moved AS (
    UPDATE tasks AS t
    SET status = p.target,
        assigned_to = CASE WHEN p.restore THEN t.pre_block_assignee ELSE t.assigned_to END,
        claimed_by = CASE
            WHEN p.restore THEN t.pre_block_assignee
            WHEN p.out_of_block AND p.to_queue THEN NULL
            ELSE t.claimed_by
        END,
        claimed_at = CASE WHEN p.out_of_block AND p.to_queue AND NOT p.restore THEN NULL
                          ELSE t.claimed_at END,
        active_claimant_id = CASE
            WHEN p.restore THEN t.pre_block_assignee
            WHEN p.to_queue THEN NULL
            ELSE t.active_claimant_id
        END,
        pre_block_state = CASE WHEN p.restore OR (p.out_of_block AND p.to_queue) THEN NULL
                               ELSE t.pre_block_state END,
        pre_block_assignee = CASE WHEN p.restore OR (p.out_of_block AND p.to_queue) THEN NULL
                                  ELSE t.pre_block_assignee END,
        pre_block_metadata = CASE WHEN p.restore OR (p.out_of_block AND p.to_queue) THEN NULL
                                  ELSE t.pre_block_metadata END,
        blocker_resolver_type = CASE WHEN p.restore OR (p.out_of_block AND p.to_queue) THEN NULL
                                     ELSE t.blocker_resolver_type END,
        blocker_raised_by = CASE WHEN p.restore OR (p.out_of_block AND p.to_queue) THEN NULL
                                 ELSE t.blocker_raised_by END,
        orchestration_markers = CASE
            WHEN p.out_of_block AND t.orchestration_markers IS NOT NULL
                THEN (t.orchestration_markers::jsonb - 'oscillation_strikes')::json
            ELSE t.orchestration_markers
        END,
        revision_count = t.revision_count
            + CASE WHEN p.target = 'needs_revision'
                        AND t.status NOT IN ('needs_revision', 'completed', 'cancelled')
                   THEN 1 ELSE 0 END,
        stalled_reason = NULL,
        stalled_since = NULL,
        updated_at = c.now
    FROM plan AS p, clock AS c
    WHERE t.id = p.id
    RETURNING t.*, p.restore
),
logged AS (
    INSERT INTO audit_log ({{audit_log}})
    SELECT gen_random_uuid(), 'task.' || m.status::text, :actor_id::uuid, 'task', m.id, 'info',
           jsonb_build_object('from_status', :from_status::taskstatus, 'to_status', m.status,
                              'agent_role', :actor_role::text, 'team', m.team,
                              'action', 'admin_set_status', 'reason', :reason::text,
                              'forced', :force::boolean),
           c.now
      FROM moved AS m, clock AS c
    UNION ALL
    SELECT gen_random_uuid(), 'task.admin_override', :actor_id::uuid, 'task', m.id, 'warning',
           jsonb_build_object('from_status', :from_status::taskstatus, 'to_status', m.status,
                              'agent_role', :actor_role::text, 'forced', :force::boolean,
                              'restore', m.restore, 'reason', :reason::text),
           c.now
      FROM moved AS m, clock AS c
     WHERE :force::boolean OR m.restore
)
SELECT
    {{tasks}}
FROM moved;
