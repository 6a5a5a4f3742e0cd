-- The session_tasks row, written once: included as {{session_tasks}}.
id, session_id, task_id, is_primary, relationship_type, added_at, added_by
