-- The a2a_messages row, written once: included as {{a2a_messages}}.
id, conversation_id, from_agent, content, message_kind, response_to_id, requires_response,
read_at, created_at, edited_at, edit_history, skill
