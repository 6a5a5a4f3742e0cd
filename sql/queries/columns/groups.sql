-- The groups row, written once: included as {{groups}}.
id, name, channel_id, allowed_roles, hierarchy_level, members, is_active, active_session_id,
default_session_config, total_sessions, total_messages, last_activity, created_at, updated_at
