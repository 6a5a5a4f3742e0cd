-- The recursive walk `down` (id, depth, path) of task :id's subtree: the task at depth 0, then
-- the children c of each row d not already on its path, so a parent cycle in old data ends the
-- walk instead of looping.
SELECT r.id, 0 AS depth, ARRAY[r.id] AS path
  FROM tasks AS r
 WHERE r.id = :id::uuid
UNION ALL
SELECT c.id, d.depth + 1, d.path || c.id
  FROM down AS d
  JOIN tasks AS c ON c.parent_task_id = d.id
 WHERE c.id <> ALL(d.path)
