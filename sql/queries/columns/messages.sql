-- The messages row, written once: included as {{messages}}.
id, agent_id, channel_id, group_id, session_id, type, content, content_length, is_reply,
reply_to, mentions, task_id, commit_ref, timestamp, confidence, raw_excerpt, edited_at,
edit_history, created_at
