-- The notifications row, written once: included as {{notifications}}.
id, type, priority, from_agent, to_agents, subject, body, requires_ack, acked_by, acked_at,
related_task_id, related_message_ids, timestamp, expires_at, read_by, delivered_at, created_at,
reescalation_count, reescalation_delivered_count, last_reescalated_at
