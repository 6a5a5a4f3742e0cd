-- The SET list that counts one more message from :from_agent at :created_at on its
-- conversation: message_count, last_message_at and updated_at (never moved back), and the
-- other side's unread counter.
message_count = message_count + 1,
last_message_at = GREATEST(last_message_at, :created_at::timestamptz),
updated_at = GREATEST(updated_at, :created_at::timestamptz),
unread_by_a = unread_by_a + CASE WHEN agent_a = :from_agent::varchar THEN 0 ELSE 1 END,
unread_by_b = unread_by_b + CASE WHEN agent_b = :from_agent::varchar THEN 0 ELSE 1 END
