-- The waiting_records row, written once: included as {{waiting_records}}.
id, agent_id, task_id, waiting_for, waiting_since, context, created_at
