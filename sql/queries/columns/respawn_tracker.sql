-- The respawn_tracker row, written once: included as {{respawn_tracker}}.
agent_slug, task_id, count, last_status, last_check, tracing_resets, notified, updated_at,
revisit_resets
