-- The a2a_conversations row, written once: included as {{a2a_conversations}}.
id, agent_a, agent_b, topic, task_id, status, resolution, message_count, unread_by_a,
unread_by_b, created_at, updated_at, last_message_at
