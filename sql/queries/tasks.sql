-- name: create_task :one
-- Insert a task: the TaskCreate fields (origin data included: branch, PR, orchestration
-- markers) plus RoboCo's starting values for the columns a new task does not choose (flags
-- false, artifact lists empty, lifecycle stamps NULL). The parent chain
-- is walked in the same statement; no row back means the parent is already max_depth deep.
WITH RECURSIVE ancestors AS (
    SELECT t.parent_task_id, 1 AS depth
      FROM tasks AS t
     WHERE t.id = :parent_task_id::uuid
    UNION ALL
    SELECT t.parent_task_id, a.depth + 1
      FROM ancestors AS a
      JOIN tasks AS t ON t.id = a.parent_task_id
     WHERE a.depth < :max_depth::integer
)
INSERT INTO tasks (
    {{tasks}}
)
SELECT
    :id::uuid, :title::varchar, :description::text, :acceptance_criteria::varchar[],
    :acceptance_criteria_ids::varchar[], :parent_ac_refs::varchar[],
    :status::taskstatus, NULL, NULL, :priority::integer, :task_type::tasktype,
    :nature::tasknature, :project_id::uuid,
    :product_id::uuid, :branch_name::varchar, NULL, :pr_number::integer, :pr_url::varchar,
    false, false,
    false, :created_by::uuid, :assigned_to::uuid, :team::team, :parent_task_id::uuid,
    :dependency_ids::uuid[],
    '{}', '{}', :sequence::integer, :created_at::timestamptz, NULL, NULL,
    NULL, NULL, NULL, :target_date::timestamptz, NULL, :estimated_complexity::complexity, '[]',
    '[]', '[]', '[]', NULL, NULL, NULL, false,
    NULL, NULL, NULL, NULL, NULL,
    NULL, :orchestration_markers::json, NULL, NULL,
    NULL, NULL, NULL, '[]',
    false, :source::varchar, :confirmed_by_human::boolean, 0, :batch_id::uuid,
    :intends_to_touch::varchar[], :adds_migration::boolean, :touches_shared::boolean,
    :constraints::text, NULL, :budget_usd::double precision,
    NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM ancestors WHERE depth >= :max_depth::integer)
RETURNING
    {{tasks}};

-- name: get_task :one
-- One task by primary key.
SELECT
    {{tasks}}
FROM tasks
WHERE id = :id;

-- name: list_tasks :many
-- Tasks matching every filter given (NULL = any), in RoboCo's board order: priority (0 first),
-- then newest first. Keyset: pass the last row's (priority, created_at, id) as after_*.
-- Served by ix_tasks_status, ix_tasks_team_status, ix_tasks_project_status,
-- ix_tasks_product_status, ix_tasks_assigned_status, ix_tasks_created_by_status; the parent
-- filter has no index of its own (RoboCo has none).
SELECT
    {{tasks}}
FROM tasks
WHERE (:statuses::taskstatus[] IS NULL OR status = ANY(:statuses::taskstatus[]))
  AND (:team::team IS NULL OR team = :team::team)
  AND (:project_id::uuid IS NULL OR project_id = :project_id::uuid)
  AND (:product_id::uuid IS NULL OR product_id = :product_id::uuid)
  AND (:assigned_to::uuid IS NULL OR assigned_to = :assigned_to::uuid)
  AND (:created_by::uuid IS NULL OR created_by = :created_by::uuid)
  AND (:parent_task_id::uuid IS NULL OR parent_task_id = :parent_task_id::uuid)
  AND (:after_id::uuid IS NULL
       OR priority > :after_priority::integer
       OR (priority = :after_priority::integer
           AND (created_at, id) < (:after_created_at::timestamptz, :after_id::uuid)))
ORDER BY priority, created_at DESC, id DESC
LIMIT :limit;

-- name: update_task :one
-- Write the fields a TaskUpdate set (set_x true) and leave the others; status is not here (it
-- moves only through the lifecycle). Rewritten criteria get their ids as RoboCo reconciles
-- them: a criterion whose text is unchanged keeps its id (the n-th occurrence of a text takes
-- the n-th id that text had), a new or reworded one gets a fresh id, a dropped one loses its
-- id; so acceptance_criteria_ids stays 1:1 and references to a criterion survive an edit
-- that moves it. No row back = no such task.
UPDATE tasks
SET title = CASE WHEN :set_title THEN :title::varchar ELSE title END,
    description = CASE WHEN :set_description THEN :description::text ELSE description END,
    acceptance_criteria = CASE WHEN :set_acceptance_criteria
                               THEN :acceptance_criteria::varchar[]
                               ELSE acceptance_criteria END,
    acceptance_criteria_ids = CASE
        WHEN :set_acceptance_criteria THEN ARRAY(
            SELECT coalesce(o.cid, replace(gen_random_uuid()::text, '-', ''))::varchar
              FROM (SELECT n.txt, n.i,
                           row_number() OVER (PARTITION BY n.txt ORDER BY n.i) AS k
                      FROM unnest(:acceptance_criteria::varchar[]) WITH ORDINALITY
                               AS n(txt, i)) AS nn
              LEFT JOIN (SELECT c.txt, c.cid,
                                row_number() OVER (PARTITION BY c.txt ORDER BY c.j) AS k
                           FROM unnest(acceptance_criteria, acceptance_criteria_ids)
                                    WITH ORDINALITY AS c(txt, cid, j)
                          WHERE c.txt IS NOT NULL AND c.cid IS NOT NULL) AS o
                ON o.txt = nn.txt AND o.k = nn.k
             ORDER BY nn.i)
        ELSE acceptance_criteria_ids END,
    priority = CASE WHEN :set_priority THEN :priority::integer ELSE priority END,
    assigned_to = CASE WHEN :set_assigned_to THEN :assigned_to::uuid ELSE assigned_to END,
    target_date = CASE WHEN :set_target_date THEN :target_date::timestamptz
                       ELSE target_date END,
    estimated_complexity = CASE WHEN :set_estimated_complexity
                                THEN :estimated_complexity::complexity
                                ELSE estimated_complexity END,
    dev_notes = CASE WHEN :set_dev_notes THEN :dev_notes::text ELSE dev_notes END,
    qa_notes = CASE WHEN :set_qa_notes THEN :qa_notes::text ELSE qa_notes END,
    auditor_notes = CASE WHEN :set_auditor_notes THEN :auditor_notes::text
                         ELSE auditor_notes END,
    quick_context = CASE WHEN :set_quick_context THEN :quick_context::text
                         ELSE quick_context END,
    pr_reviewer_notes = CASE WHEN :set_pr_reviewer_notes THEN :pr_reviewer_notes::text
                             ELSE pr_reviewer_notes END,
    doc_notes = CASE WHEN :set_doc_notes THEN :doc_notes::text ELSE doc_notes END,
    task_type = CASE WHEN :set_task_type THEN :task_type::tasktype ELSE task_type END,
    nature = CASE WHEN :set_nature THEN :nature::tasknature ELSE nature END,
    project_id = CASE WHEN :set_project_id THEN :project_id::uuid ELSE project_id END,
    product_id = CASE WHEN :set_product_id THEN :product_id::uuid ELSE product_id END,
    branch_name = CASE WHEN :set_branch_name THEN :branch_name::varchar ELSE branch_name END,
    pr_number = CASE WHEN :set_pr_number THEN :pr_number::integer ELSE pr_number END,
    pr_url = CASE WHEN :set_pr_url THEN :pr_url::varchar ELSE pr_url END,
    docs_complete = CASE WHEN :set_docs_complete THEN :docs_complete::boolean
                         ELSE docs_complete END,
    pr_created = CASE WHEN :set_pr_created THEN :pr_created::boolean ELSE pr_created END,
    sequence = CASE WHEN :set_sequence THEN :sequence::integer ELSE sequence END,
    team = CASE WHEN :set_team THEN :team::team ELSE team END,
    claimed_by = CASE WHEN :set_claimed_by THEN :claimed_by::uuid ELSE claimed_by END,
    confirmed_by_human = CASE WHEN :set_confirmed_by_human THEN :confirmed_by_human::boolean
                              ELSE confirmed_by_human END,
    source = CASE WHEN :set_source THEN :source::varchar ELSE source END,
    budget_usd = CASE WHEN :set_budget_usd THEN :budget_usd::double precision
                      ELSE budget_usd END,
    pm_notes = CASE WHEN :set_pm_notes THEN :pm_notes::text ELSE pm_notes END,
    plan = CASE WHEN :set_plan THEN :plan::json ELSE plan END,
    notes_structured = CASE WHEN :set_notes_structured THEN :notes_structured::json
                            ELSE notes_structured END,
    progress_updates = CASE WHEN :set_progress_updates THEN :progress_updates::json
                            ELSE progress_updates END,
    checkpoints = CASE WHEN :set_checkpoints THEN :checkpoints::json ELSE checkpoints END,
    commits = CASE WHEN :set_commits THEN :commits::json ELSE commits END,
    updated_at = :updated_at::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: set_task_sequence :one
-- Set the task's place among its siblings (lower first). Setting the value it already has
-- writes nothing, updated_at included, as RoboCo's set_sequence. No row back = no such task.
UPDATE tasks
SET sequence = :sequence::integer,
    updated_at = CASE WHEN sequence = :sequence::integer THEN updated_at
                      ELSE :now::timestamptz END
WHERE id = :id
RETURNING
    {{tasks}};

-- name: reassign_task :one
-- Hand the task to another owner (or to nobody): assigned_to and claimed_by together, as
-- RoboCo's reassign. A live claim held by anyone but the new owner is dropped with it, so the
-- old claimant no longer counts as working it; a claim the new owner holds stays. :note (when
-- the owner was redirected) is appended to dev_notes. Status is untouched. No row back = no
-- such task.
UPDATE tasks
SET assigned_to = :assignee::uuid,
    dev_notes = CASE WHEN :note::text IS NULL THEN dev_notes
                     ELSE coalesce(dev_notes, '') || :note::text END,
    claimed_by = :assignee::uuid,
    active_claimant_id = CASE
        WHEN active_claimant_id IS DISTINCT FROM :assignee::uuid THEN NULL
        ELSE active_claimant_id END,
    updated_at = :now::timestamptz
WHERE id = :id
RETURNING
    {{tasks}};

-- name: hand_over_claim :one
-- Give a live claim (claimed / in_progress) to another agent in one statement, as RoboCo's
-- reassign_active_claim: the new agent becomes owner and live claimant with a fresh claim and
-- heartbeat (so the reaper does not find it stale at once), a stalled mark is cleared, :note
-- (when the owner was redirected) is appended to dev_notes, the old
-- claimant's agent row goes idle if it was on this task and the new one's goes active on it,
-- and the hand-over is audited. The work session and branch stay with the task. No row back =
-- no such task, or it holds no live claim (the row is locked, so the status read is current).
WITH cur AS (
    SELECT t.id, t.status, t.team, t.claimed_by AS previous
      FROM tasks AS t
     WHERE t.id = :id
       AND t.status IN ('claimed', 'in_progress')
       FOR UPDATE
),
moved AS (
    UPDATE tasks AS t
    SET assigned_to = :assignee::uuid,
        claimed_by = :assignee::uuid,
        claimed_at = :now::timestamptz,
        last_heartbeat_at = :now::timestamptz,
        active_claimant_id = :assignee::uuid,
        stalled_reason = NULL,
        stalled_since = NULL,
        dev_notes = CASE WHEN :note::text IS NULL THEN t.dev_notes
                         ELSE coalesce(t.dev_notes, '') || :note::text END,
        updated_at = :now::timestamptz
    FROM cur AS c
    WHERE t.id = c.id
    RETURNING t.*
),
old_idle AS (
    UPDATE agents AS a
    SET status = 'idle',
        current_task_id = NULL,
        updated_at = :now::timestamptz
    FROM cur AS c
    WHERE a.id = c.previous
      AND c.previous IS DISTINCT FROM :assignee::uuid
      AND a.current_task_id = c.id
),
new_active AS (
    UPDATE agents AS a
    SET status = 'active',
        current_task_id = c.id,
        updated_at = :now::timestamptz
    FROM cur AS c
    WHERE a.id = :assignee::uuid
),
logged AS (
    INSERT INTO audit_log ({{audit_log}})
    SELECT gen_random_uuid(), 'task.claim_handed_over', :actor_id::uuid, 'task', c.id, 'info',
           jsonb_build_object('status', c.status, 'team', c.team, 'from_agent', c.previous,
                              'to_agent', :assignee::uuid, 'action', 'reassign_active_claim'),
           :now::timestamptz
      FROM cur AS c
)
SELECT
    {{tasks}}
FROM moved;

-- name: delete_task :execrows
-- Delete a task and all its descendants at once, as RoboCo does (UNION stops on a parent
-- cycle). Work sessions, handoffs and session links go with them (ON DELETE CASCADE); other
-- references to them are set NULL. The row count includes the descendants; 0 = no such task.
WITH RECURSIVE subtree AS (
    SELECT id FROM tasks WHERE id = :id
    UNION
    SELECT t.id FROM tasks AS t JOIN subtree AS s ON t.parent_task_id = s.id
)
DELETE FROM tasks
WHERE id IN (SELECT id FROM subtree);

-- name: task_scope_violations :many
-- Ids of tasks that set both or neither of project_id/product_id: the rows that keep
-- rsql_tasks_scope (the task_scope_check addition) NOT VALID, oldest first.
SELECT id
FROM tasks
WHERE num_nonnulls(project_id, product_id) <> 1
ORDER BY created_at, id;

-- name: validate_task_scope :exec
-- Validate rsql_tasks_scope once the violating rows are fixed (a no-op when already valid);
-- scans tasks under SHARE UPDATE EXCLUSIVE, so reads and writes go on meanwhile.
ALTER TABLE tasks VALIDATE CONSTRAINT rsql_tasks_scope;
