-- name: lock_task_graph :exec
-- Serialise edits of the task graphs (dependencies, parents) until the transaction ends, so
-- two concurrent edits can never close a cycle between them; other writers are not held.
SELECT pg_advisory_xact_lock(:key::bigint);

-- name: task_depends_on :scalar
-- Whether task :from_id reaches :to_id along dependency_ids, transitively (a task reaches
-- itself); the walk stops on cycles.
WITH RECURSIVE reach(id) AS (
    SELECT :from_id::uuid
    UNION
    SELECT dep.id
      FROM reach AS r
      JOIN tasks AS t ON t.id = r.id
     CROSS JOIN LATERAL unnest(t.dependency_ids) AS dep(id)
)
SELECT EXISTS (SELECT 1 FROM reach WHERE id = :to_id::uuid);

-- name: unmet_task_dependencies :many
-- The dependencies that still hold a task back, in the order listed: not in
-- completed_dependency_ids and neither completed nor cancelled (a missing task holds nothing).
SELECT dep.id
FROM tasks AS t,
     unnest(t.dependency_ids) WITH ORDINALITY AS dep(id, n)
WHERE t.id = :id
  AND dep.id <> ALL(t.completed_dependency_ids)
  AND EXISTS (SELECT 1
                FROM tasks AS d
               WHERE d.id = dep.id
                 AND d.status NOT IN ('completed', 'cancelled'))
ORDER BY dep.n;

-- name: record_task_blocker :one
-- Record that :blocker_id blocks :task_id on both rows, as RoboCo's block: the blocker in the
-- task's dependency_ids (straight into completed_dependency_ids when it already completed) and
-- the task in the blocker's blocker_ids (the tasks it blocks). Lists stay free of duplicates.
-- No row back = the task left :expected_status (the caller's transaction undoes the rest).
WITH blocker AS (
    UPDATE tasks AS b
    SET blocker_ids = CASE WHEN :task_id::uuid = ANY(b.blocker_ids) THEN b.blocker_ids
                           ELSE array_append(b.blocker_ids, :task_id::uuid) END,
        updated_at = clock_timestamp()
    WHERE b.id = :blocker_id::uuid
    RETURNING b.id, b.status
)
UPDATE tasks AS t
SET dependency_ids = CASE
        WHEN k.status = 'completed' OR k.id = ANY(t.dependency_ids) THEN t.dependency_ids
        ELSE array_append(t.dependency_ids, k.id)
    END,
    completed_dependency_ids = CASE
        WHEN k.status = 'completed' AND k.id <> ALL(t.completed_dependency_ids)
            THEN array_append(t.completed_dependency_ids, k.id)
        ELSE t.completed_dependency_ids
    END,
    updated_at = clock_timestamp()
FROM blocker AS k
WHERE t.id = :task_id::uuid
  AND t.status = :expected_status::taskstatus
RETURNING
    {{t.tasks}};

-- name: drop_task_blocker :one
-- Undo record_task_blocker: :blocker_id leaves the task's dependency_ids and the task leaves
-- the blocker's blocker_ids. No row back = the task left :expected_status.
WITH blocker AS (
    UPDATE tasks AS b
    SET blocker_ids = array_remove(b.blocker_ids, :task_id::uuid),
        updated_at = clock_timestamp()
    WHERE b.id = :blocker_id::uuid
      AND :task_id::uuid = ANY(b.blocker_ids)
)
UPDATE tasks AS t
SET dependency_ids = array_remove(t.dependency_ids, :blocker_id::uuid),
    updated_at = clock_timestamp()
WHERE t.id = :task_id::uuid
  AND t.status = :expected_status::taskstatus
RETURNING
    {{t.tasks}};

-- name: set_task_parent :one
-- Move a task (with its subtree) under :parent_id, or make it a root (NULL), when the move
-- closes no cycle (the new parent is not the task or one of its descendants) and the deepest
-- task of the subtree stays within :max_depth levels (root = 1). No row back = refused or no
-- such task; a missing parent fails on the foreign key. Walks stop on cycles in old data.
WITH RECURSIVE up AS (
    SELECT p.id, p.parent_task_id, ARRAY[p.id] AS path
      FROM tasks AS p
     WHERE p.id = :parent_id::uuid
    UNION ALL
    SELECT p.id, p.parent_task_id, u.path || p.id
      FROM up AS u
      JOIN tasks AS p ON p.id = u.parent_task_id
     WHERE p.id <> ALL(u.path)
),
down AS ({{> subtree}})
UPDATE tasks AS t
SET parent_task_id = :parent_id::uuid,
    updated_at = clock_timestamp()
WHERE t.id = :id::uuid
  AND NOT EXISTS (SELECT 1 FROM up WHERE up.id = :id::uuid)
  AND (SELECT count(*) FROM up) + (SELECT max(d.depth) + 1 FROM down AS d) <= :max_depth::integer
RETURNING
    {{t.tasks}};

-- name: task_subtree :many
-- A task and all its descendants in one walk, parents before children (then sibling sequence,
-- then age); a parent cycle in old data ends the walk instead of looping. Served by
-- rsql_tasks_parent_task_id (an addition of ours) or, from 069 on, RoboCo's
-- ix_tasks_parent_task_id.
WITH RECURSIVE down AS ({{> subtree}})
SELECT
    {{t.tasks}}
FROM down
JOIN tasks AS t ON t.id = down.id
ORDER BY down.depth, t.sequence, t.created_at, t.id;

-- name: task_ancestors :many
-- The ancestors of a task in one walk: its parent first, the root last (empty for a root or
-- an unknown task); a parent cycle in old data ends the walk instead of looping.
WITH RECURSIVE up AS (
    SELECT s.parent_task_id AS id, 1 AS depth, ARRAY[s.id] AS path
      FROM tasks AS s
     WHERE s.id = :id::uuid
       AND s.parent_task_id IS NOT NULL
    UNION ALL
    SELECT p.parent_task_id, u.depth + 1, u.path || p.id
      FROM up AS u
      JOIN tasks AS p ON p.id = u.id
     WHERE p.parent_task_id IS NOT NULL
       AND p.parent_task_id <> ALL(u.path || p.id)
)
SELECT
    {{t.tasks}}
FROM up
JOIN tasks AS t ON t.id = up.id
ORDER BY up.depth;

-- name: append_task_dependency :scalar
-- Append :depends_on_id to the task's dependency_ids in one statement, nothing else (no status
-- change, no blocker_ids on the other row): RoboCo's add_dependency. True when the edge was
-- added; no row back = already there, or no such task.
UPDATE tasks
SET dependency_ids = array_append(dependency_ids, :depends_on_id::uuid),
    updated_at = clock_timestamp()
WHERE id = :id::uuid
  AND :depends_on_id::uuid <> ALL(dependency_ids)
RETURNING true;
