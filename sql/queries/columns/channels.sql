-- The channels row, written once: included as {{channels}}.
id, name, slug, type, description, topic, members, writers, silent_observers, is_archived,
is_private, allow_threads, allow_reactions, message_retention_days, max_message_length,
message_count, group_count, last_activity, created_at, updated_at
