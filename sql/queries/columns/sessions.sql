-- The sessions row, written once: included as {{sessions}}.
id, group_id, max_time_window, max_message_count, max_content_length, timeout_seconds, status,
scope, started_at, last_activity_at, closed_at, message_count, total_content_length, created_at
