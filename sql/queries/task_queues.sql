-- name: list_board_tasks :many
-- A board column: tasks in the statuses given (NULL = any) of one team (NULL = all), in
-- sibling order.
SELECT
    {{tasks}}
FROM tasks
WHERE (:statuses::taskstatus[] IS NULL OR status = ANY(:statuses::taskstatus[]))
  AND (:team::team IS NULL OR team = :team::team)
{{> in_sibling_order}};

-- name: list_assigned_tasks :many
-- Tasks assigned to an agent, in the statuses given (NULL = any): priority, then newest
-- first (RoboCo's list_by_assignee). Served by ix_tasks_assigned_status.
SELECT
    {{tasks}}
FROM tasks
WHERE assigned_to = :agent_id::uuid
  AND (:statuses::taskstatus[] IS NULL OR status = ANY(:statuses::taskstatus[]))
ORDER BY priority, created_at DESC, id DESC
LIMIT :limit;

-- name: list_agent_queue :many
-- An agent's tasks in the statuses given, priority first, then the most recently touched; a
-- task never updated comes first within its priority, as PostgreSQL sorts NULL in a plain
-- DESC (RoboCo's order_by(updated_at.desc())).
{{> agent_tasks}}
ORDER BY priority, updated_at DESC NULLS FIRST, id DESC
LIMIT :limit;

-- name: list_agent_pending :many
-- The pending tasks pre-assigned to an agent that it may be offered now, in sequence, then
-- priority, then age. Left out: a task held for the CEO (a held source not yet
-- confirmed_by_human); one with an unmet dependency (the rule of
-- graph.unmet_task_dependencies: listed as completed, or completed/cancelled, or gone); and
-- one RoboCo's sequence gate holds: an open sibling with a lower sequence holds it when the
-- task is a batch root-subtask (batch_id set), or has no dependency edge (live or completed)
-- onto any sibling, or reaches that sibling along its siblings' dependency edges.
SELECT
    {{t.tasks}}
FROM tasks AS t
WHERE t.assigned_to = :agent_id::uuid
  AND t.status = 'pending'
  AND (t.source <> ALL(:held_sources::varchar[]) OR t.confirmed_by_human)
  AND {{> dependencies_met}}
  AND NOT EXISTS (
        SELECT 1
          FROM tasks AS c
         WHERE t.sequence <> 0
           AND c.parent_task_id = t.parent_task_id
           AND c.id <> t.id
           AND c.sequence < t.sequence
           AND c.status NOT IN ('completed', 'cancelled')
           AND (t.batch_id IS NOT NULL
                OR NOT EXISTS (
                       SELECT 1
                         FROM tasks AS s
                        WHERE s.parent_task_id = t.parent_task_id
                          AND s.id <> t.id
                          AND s.id = ANY(t.dependency_ids || t.completed_dependency_ids))
                OR c.id IN (
                       WITH RECURSIVE reach(id) AS (
                           SELECT unnest(t.dependency_ids || t.completed_dependency_ids)
                           UNION
                           SELECT d.id
                             FROM reach AS r
                             JOIN tasks AS s
                               ON s.id = r.id
                              AND s.parent_task_id = t.parent_task_id
                              AND s.id <> t.id
                            CROSS JOIN LATERAL unnest(
                                  s.dependency_ids || s.completed_dependency_ids) AS d(id)
                       )
                       SELECT reach.id FROM reach)))
ORDER BY t.sequence, t.priority, t.created_at, t.id
LIMIT :limit;

-- name: agent_current_task :one
-- The task of an agent, in the statuses given, touched most recently (a never-updated task
-- last); RoboCo's get_active_task_for_agent / get_journal_context_task_for_agent.
{{> agent_tasks}}
ORDER BY updated_at DESC NULLS LAST, id DESC
LIMIT 1;

-- name: list_root_awaiting_review :many
-- Root tasks (no parent) awaiting PM review, optionally of one nature (non_technical = the
-- board's strategic queue), in sibling order.
SELECT
    {{tasks}}
FROM tasks
WHERE parent_task_id IS NULL
  AND status = 'awaiting_pm_review'
  AND (:nature::tasknature IS NULL OR nature = :nature::tasknature)
{{> in_sibling_order}};

-- name: list_blocked_before :many
-- Blocked tasks last touched before the cutoff (a never-updated task is left out, as RoboCo
-- does), the stalest first.
SELECT
    {{tasks}}
FROM tasks
WHERE status = 'blocked'
  AND updated_at < :cutoff::timestamptz
ORDER BY updated_at, priority, created_at, id
LIMIT :limit;

-- name: list_ready_pending :many
-- Pending tasks (of one team, or all) whose dependencies are all met, in sibling order: RoboCo's
-- list_pending without its query per task.
SELECT
    {{t.tasks}}
FROM tasks AS t
WHERE t.status = 'pending'
  AND (:team::team IS NULL OR t.team = :team::team)
  AND {{> dependencies_met}}
{{> in_sibling_order}};

-- name: page_all_tasks :many
-- One offset page of every task by creation time, newest first (id breaks ties); walks
-- rsql_tasks_created_at backwards (our task_lookup_indexes addition).
SELECT
    {{tasks}}
FROM tasks
ORDER BY created_at DESC, id DESC
OFFSET :offset
LIMIT :limit;

-- name: page_all_tasks_oldest :many
-- The same page, oldest first (a separate statement, so each order can walk the index).
SELECT
    {{tasks}}
FROM tasks
ORDER BY created_at, id
OFFSET :offset
LIMIT :limit;

-- name: count_all_tasks :scalar
-- How many tasks there are: the total of page_all_tasks.
SELECT count(*) FROM tasks;

-- name: pr_review_exists :scalar
-- Whether a review task already covers this PR of this repo (every project sharing the
-- project's git_url) at this head commit: any review task when the head is unknown, else one
-- recorded at that head or at no head (RoboCo's external_review_task_exists).
WITH scope AS ({{> repo_scope}})
SELECT EXISTS (
    SELECT 1
      FROM tasks AS t
     WHERE t.project_id IN (SELECT id FROM scope)
       AND t.source = ANY(:review_sources::varchar[])
       AND t.pr_number = :pr_number::integer
       AND (coalesce(:head_sha::text, '') = ''
            OR coalesce(t.orchestration_markers ->> 'external_pr_head', '')
               IN ('', :head_sha::text)));

-- name: live_task_owns_branch :scalar
-- Whether a task that is neither completed nor cancelled, on this repo (every project sharing
-- the project's git_url), owns this branch.
WITH scope AS ({{> repo_scope}})
SELECT EXISTS (
    SELECT 1
      FROM tasks AS t
     WHERE t.branch_name = :branch_name::varchar
       AND t.project_id IN (SELECT id FROM scope)
       AND t.status NOT IN ('completed', 'cancelled'));

-- name: list_open_by_source :many
-- Tasks of the given sources that are neither completed nor cancelled, oldest first (RoboCo's
-- list_open_* dedupe and cap lists), narrowed by whichever of these is given: team; repo
-- (the project's git_url as repo_key normalises it: lower case, no trailing '/', no .git);
-- CI workflow (the project's, '' or NULL meaning :default_workflow); the project's dependency
-- update command; one orchestration marker's string value. A filter on the project leaves
-- out tasks without one. Served by ix_tasks_source_status_created.
SELECT
    {{t.tasks}}
FROM tasks AS t
LEFT JOIN projects AS p ON p.id = t.project_id
WHERE t.source = ANY(:sources::varchar[])
  AND t.status NOT IN ('completed', 'cancelled')
  AND (:team::team IS NULL OR t.team = :team::team)
  AND (:repo_key::text IS NULL
       OR regexp_replace(rtrim(lower(p.git_url), '/'), '\.git$', '') = :repo_key::text)
  AND (:workflow::text IS NULL
       OR (p.id IS NOT NULL
           AND coalesce(nullif(p.ci_watch_workflow, ''), :default_workflow::text)
               = :workflow::text))
  AND (:dep_update_command::text IS NULL
       OR p.dep_update_command = :dep_update_command::text)
  AND (:marker_key::text IS NULL
       OR t.orchestration_markers ->> :marker_key::text = :marker_value::text)
ORDER BY t.created_at, t.id
LIMIT :limit;

-- name: list_source_history :many
-- Finished tasks of the given sources (completed, and cancelled unless completed_only), the
-- latest update first as PostgreSQL sorts RoboCo's updated_at.desc() (a never-updated task
-- first): the panel histories of X and video posts, post-mortems, briefs and reports.
SELECT
    {{tasks}}
FROM tasks
WHERE source = ANY(:sources::varchar[])
  AND (status = 'completed' OR (status = 'cancelled' AND NOT :completed_only::boolean))
ORDER BY updated_at DESC NULLS FIRST, id DESC
LIMIT :limit;

-- name: list_pr_reviews :many
-- PR review tasks the panel shows, oldest first: not cancelled, not dismissed (a truthy
-- dismissed marker, by Python's truth rules), and either still under way or completed
-- without the CEO's decision (confirmed_by_human false); with awaiting_only, just the latter.
SELECT
    {{t.tasks}}
FROM tasks AS t
CROSS JOIN LATERAL (SELECT t.orchestration_markers -> 'dismissed' AS v) AS m
WHERE t.source = ANY(:review_sources::varchar[])
  AND t.status <> 'cancelled'
  AND (t.status <> 'completed' OR NOT t.confirmed_by_human)
  AND (NOT :awaiting_only::boolean OR t.status = 'completed')
  AND NOT coalesce(CASE json_typeof(m.v)
                       WHEN 'boolean' THEN m.v::text = 'true'
                       WHEN 'number' THEN (m.v::text)::numeric <> 0
                       WHEN 'string' THEN (m.v #>> '{}') <> ''
                       WHEN 'array' THEN json_array_length(m.v) > 0
                       WHEN 'object' THEN EXISTS (SELECT 1 FROM json_object_keys(m.v))
                   END, false)
ORDER BY t.created_at, t.id
LIMIT :limit;

-- name: find_supersede_umbrella :one
-- The first (oldest) supersede umbrella of this project that is not cancelled and whose
-- marker names this PR ("pr=N review=", so pr=5 never matches pr=50).
SELECT
    {{tasks}}
FROM tasks
WHERE project_id = :project_id::uuid
  AND source = :source::varchar
  AND status <> 'cancelled'
  AND strpos(coalesce(orchestration_markers ->> 'external_pr_supersede', ''),
             'pr=' || :pr_number::integer || ' review=') > 0
ORDER BY created_at, id
LIMIT 1;

-- name: supersede_umbrellas_to_close :many
-- Completed supersede umbrellas whose marker has no closed=1 token yet, with the PR that
-- replaced the contributor's: the umbrella's own pr_number, else the first completed
-- descendant carrying one, level by level (oldest first within a level), as RoboCo's BFS
-- finds it, in one walk; an umbrella with neither is left out.
WITH RECURSIVE umbrella AS (
    SELECT u.id, u.pr_number
      FROM tasks AS u
     WHERE u.source = :source::varchar
       AND u.status = 'completed'
       AND NOT ('closed=1' = ANY(regexp_split_to_array(
               coalesce(u.orchestration_markers ->> 'external_pr_supersede', ''), '\s+')))
), walk AS (
    SELECT u.id AS umbrella_id, c.id, c.status, c.pr_number, c.created_at, 1 AS depth,
           ARRAY[u.id, c.id] AS path
      FROM umbrella AS u
      JOIN tasks AS c ON c.parent_task_id = u.id
     WHERE u.pr_number IS NULL
    UNION ALL
    SELECT w.umbrella_id, c.id, c.status, c.pr_number, c.created_at, w.depth + 1,
           w.path || c.id
      FROM walk AS w
      JOIN tasks AS c ON c.parent_task_id = w.id
     WHERE c.id <> ALL(w.path)
)
SELECT
    {{t.tasks}},
    coalesce(t.pr_number, landed.pr_number) AS replacement_pr_number
FROM umbrella AS u
JOIN tasks AS t ON t.id = u.id
LEFT JOIN LATERAL (
    SELECT w.pr_number
      FROM walk AS w
     WHERE w.umbrella_id = u.id
       AND w.status = 'completed'
       AND w.pr_number IS NOT NULL
     ORDER BY w.depth, w.created_at, w.id
     LIMIT 1
) AS landed ON true
WHERE coalesce(t.pr_number, landed.pr_number) IS NOT NULL
ORDER BY t.completed_at, t.created_at, t.id;

-- name: task_by_branch :one
-- The task that owns a branch, optionally within one project; the newest if several do.
SELECT
    {{tasks}}
FROM tasks
WHERE branch_name = :branch_name::varchar
  AND (:project_id::uuid IS NULL OR project_id = :project_id::uuid)
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: task_by_pr :one
-- The task of a PR number within its project (PR numbers repeat across repos); the newest if
-- several carry it. Served by ix_tasks_project_id.
SELECT
    {{tasks}}
FROM tasks
WHERE pr_number = :pr_number::integer
  AND project_id = :project_id::uuid
ORDER BY created_at DESC, id DESC
LIMIT 1;

-- name: agent_task_branches :many
-- The branches of every task an agent is assigned to or has claimed, each once, sorted.
SELECT DISTINCT branch_name
FROM tasks
WHERE (assigned_to = :agent_id::uuid OR claimed_by = :agent_id::uuid)
  AND branch_name IS NOT NULL
ORDER BY branch_name;

-- name: list_child_tasks :many
-- A task's direct children, oldest first (RoboCo's get_subtasks); with live_only, the
-- cancelled ones are left out (get_live_subtasks).
SELECT
    {{tasks}}
FROM tasks
WHERE parent_task_id = :parent_id::uuid
  AND (NOT :live_only::boolean OR status <> 'cancelled')
ORDER BY created_at, id
LIMIT :limit;

-- name: children_all_terminal :scalar
-- Whether every direct child is completed or cancelled (true for a task with no children).
SELECT NOT EXISTS (
    SELECT 1
      FROM tasks
     WHERE parent_task_id = :parent_id::uuid
       AND status NOT IN ('completed', 'cancelled'));

-- name: earlier_open_code_sibling :scalar
-- Whether a code task has a sibling ahead of it in its assignee's lane: same parent, same
-- assignee, also code, not completed or cancelled, and earlier by (sequence, created_at).
SELECT EXISTS (
    SELECT 1
      FROM tasks AS t
      JOIN tasks AS s
        ON s.parent_task_id = t.parent_task_id
       AND s.assigned_to = t.assigned_to
       AND s.id <> t.id
     WHERE t.id = :id::uuid
       AND t.task_type = 'code'
       AND s.task_type = 'code'
       AND s.status NOT IN ('completed', 'cancelled')
       AND (s.sequence, s.created_at) < (t.sequence, t.created_at));

-- name: uncovered_required_cells :many
-- The cells a parent's required_cells marker names (normalised: trimmed, lower case, '/' and
-- '-' to '_', spaces dropped; each once, in marker order) that no direct child's team covers.
WITH named AS (
    SELECT cell.norm, min(c.n) AS n
      FROM tasks AS p
     CROSS JOIN LATERAL json_array_elements_text(
               CASE WHEN json_typeof(p.orchestration_markers -> 'required_cells') = 'array'
                    THEN p.orchestration_markers -> 'required_cells'
                    ELSE '[]'::json END) WITH ORDINALITY AS c(raw, n)
     CROSS JOIN LATERAL (
               SELECT replace(replace(replace(lower(btrim(c.raw, E' \t\n\r\f\v')),
                                              '/', '_'), '-', '_'), ' ', '') AS norm) AS cell
     WHERE p.id = :parent_id::uuid
       AND cell.norm <> ''
     GROUP BY cell.norm
)
SELECT named.norm AS cell
FROM named
WHERE NOT EXISTS (SELECT 1
                    FROM tasks AS ch
                   WHERE ch.parent_task_id = :parent_id::uuid
                     AND ch.team::text = named.norm)
ORDER BY named.n;

-- name: children_coverage :many
-- Each direct child's status and declared parent criteria, oldest first: what the parent's
-- acceptance-criteria coverage checks fold.
SELECT id, status, parent_ac_refs
FROM tasks
WHERE parent_task_id = :parent_id::uuid
ORDER BY created_at, id;

-- name: list_updated_since :many
-- Tasks updated at or after a moment (a never-updated task has no updated_at and is left
-- out, as RoboCo's dashboard feed does), the most recent first.
SELECT
    {{tasks}}
FROM tasks
WHERE updated_at >= :since::timestamptz
ORDER BY updated_at DESC, id DESC
LIMIT :limit;

-- name: list_team_activity :many
-- The tasks of an agent's team, the most recently touched first (updated_at, else
-- created_at).
{{> team_tasks}}
ORDER BY coalesce(t.updated_at, t.created_at) DESC, t.id DESC
LIMIT :limit;

-- name: list_lane_blockers :many
-- The blocked tasks of an agent's team, by updated_at DESC as PostgreSQL sorts it (a
-- never-updated task first), as RoboCo's blockers_in_lane.
{{> team_tasks}}
  AND t.status = 'blocked'
ORDER BY t.updated_at DESC NULLS FIRST, t.id DESC
LIMIT :limit;

-- name: kanban_tasks :many
-- Kanban cards in one query: the tasks matching every filter given (NULL = any; max_priority
-- keeps priority <= it), each with its assignee's name and its number of direct children, in
-- board order (priority, then newest first).
SELECT
    {{t.tasks}},
    a.name AS assignee_name,
    (SELECT count(*) FROM tasks AS c WHERE c.parent_task_id = t.id) AS subtask_count
FROM tasks AS t
LEFT JOIN agents AS a ON a.id = t.assigned_to
WHERE (:team::team IS NULL OR t.team = :team::team)
  AND (:statuses::taskstatus[] IS NULL OR t.status = ANY(:statuses::taskstatus[]))
  AND (:task_type::tasktype IS NULL OR t.task_type = :task_type::tasktype)
  AND (:max_priority::integer IS NULL OR t.priority <= :max_priority::integer)
ORDER BY t.priority, t.created_at DESC, t.id DESC
LIMIT :limit;

-- name: lock_task :one
-- Lock one task row FOR UPDATE until the transaction ends (RoboCo serialises merges into a
-- parent this way) and return it; no row = no such task.
SELECT
    {{tasks}}
FROM tasks
WHERE id = :id::uuid
FOR UPDATE;

-- name: list_recent_for_project :many
-- A project's tasks that are not cancelled, the most recently active first (completed_at,
-- else updated_at, else created_at): the history digest of RoboCo's prompter.
SELECT
    {{tasks}}
FROM tasks
WHERE project_id = :project_id::uuid
  AND status <> 'cancelled'
ORDER BY coalesce(completed_at, updated_at, created_at) DESC, id DESC
LIMIT :limit;

-- name: search_tasks :many
-- Tasks whose title or description contains the pattern, or whose id starts with it (both
-- case-insensitive; the caller escapes LIKE's wildcards), of one team and one status when
-- given, newest first: the panel's search bar.
SELECT
    {{tasks}}
FROM tasks
WHERE (title ILIKE '%' || :pattern::text || '%'
       OR description ILIKE '%' || :pattern::text || '%'
       OR id::text ILIKE :pattern::text || '%')
  AND (:team::team IS NULL OR team = :team::team)
  AND (:status::taskstatus IS NULL OR status = :status::taskstatus)
ORDER BY created_at DESC, id DESC
LIMIT :limit;

-- name: list_touched_since :many
-- Tasks touched (updated_at, else created_at) at or after :since, oldest touch first, by
-- offset: the vault janitor's resumable re-projection drain.
SELECT
    {{tasks}}
FROM tasks
WHERE coalesce(updated_at, created_at) >= :since::timestamptz
ORDER BY coalesce(updated_at, created_at), id
OFFSET :offset
LIMIT :limit;

-- name: list_terminal_between :many
-- Completed or cancelled tasks whose terminal moment (completed_at, else updated_at, else
-- created_at) falls in [:after, :before), oldest first, by offset: the janitor's archive pass.
SELECT
    {{tasks}}
FROM tasks
WHERE status IN ('completed', 'cancelled')
  AND coalesce(completed_at, updated_at, created_at) >= :after::timestamptz
  AND coalesce(completed_at, updated_at, created_at) < :before::timestamptz
ORDER BY coalesce(completed_at, updated_at, created_at), id
OFFSET :offset
LIMIT :limit;

-- name: list_completed_roots :many
-- The most recently completed root tasks (no parent), newest first (a root without
-- completed_at first, as PostgreSQL sorts RoboCo's completed_at.desc()): the window RoboCo's
-- root-completion curator looks through.
SELECT
    {{tasks}}
FROM tasks
WHERE status = 'completed'
  AND parent_task_id IS NULL
ORDER BY completed_at DESC NULLS FIRST, id DESC
LIMIT :limit;
