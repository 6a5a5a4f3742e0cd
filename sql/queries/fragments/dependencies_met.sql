-- Whether every dependency of task t is met: listed in completed_dependency_ids, or completed
-- or cancelled (a missing task holds nothing), as graph.unmet_task_dependencies lists them.
NOT EXISTS (
    SELECT 1
      FROM unnest(t.dependency_ids) AS dep(id)
      JOIN tasks AS d ON d.id = dep.id
     WHERE dep.id <> ALL(t.completed_dependency_ids)
       AND d.status NOT IN ('completed', 'cancelled'))
