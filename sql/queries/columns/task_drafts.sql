-- The task_drafts row, written once: included as {{task_drafts}}.
id, session_id, draft_data, confirmed_at, task_id, created_at, updated_at
