-- The recursive step of a subtree walk `down` (id, path, ...): the children c of each row d
-- not already on its path, so a parent cycle in old data ends the walk instead of looping.
  FROM down AS d
  JOIN tasks AS c ON c.parent_task_id = d.id
 WHERE c.id <> ALL(d.path)
