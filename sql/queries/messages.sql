-- name: post_message :one
-- Insert one message and bump the counters RoboCo keeps on its session (message_count,
-- total_content_length, last_activity_at), group (total_messages, last_activity) and channel
-- (message_count, last_activity): one statement, one round trip, all or nothing.
WITH bump_session AS (
    UPDATE sessions SET
        message_count = message_count + 1,
        total_content_length = total_content_length + :content_length::integer,
        last_activity_at = GREATEST(last_activity_at, :timestamp::timestamptz)
    WHERE id = :session_id
), bump_group AS (
    UPDATE groups SET
        total_messages = total_messages + 1,
        last_activity = GREATEST(last_activity, :timestamp::timestamptz)
    WHERE id = :group_id
), bump_channel AS (
    UPDATE channels SET
        message_count = message_count + 1,
        last_activity = GREATEST(last_activity, :timestamp::timestamptz)
    WHERE id = :channel_id
)
INSERT INTO messages (
    {{messages}}
) VALUES (
    :id, :agent_id, :channel_id, :group_id, :session_id, :type, :content, :content_length,
    :is_reply, :reply_to, :mentions::uuid[], :task_id, :commit_ref, :timestamp, :confidence,
    :raw_excerpt, NULL, '[]'::json, :created_at
)
RETURNING
    {{messages}};

-- name: bump_message_counters :exec
-- After a bulk load: add the loaded messages (by id) to their sessions', groups' and channels'
-- counters, one UPDATE per table, in one statement. batch holds the loaded messages' count,
-- length and latest time per session, per group and per channel (a grouping set's row has
-- NULL in the other two keys, so it matches only its own table).
WITH batch AS (
    SELECT session_id, group_id, channel_id, count(*)::integer AS n,
        sum(content_length)::integer AS chars, max(timestamp) AS last_at
    FROM messages
    WHERE id = ANY(:ids::uuid[])
    GROUP BY GROUPING SETS ((session_id), (group_id), (channel_id))
), by_session AS (
    UPDATE sessions s SET
        message_count = s.message_count + b.n,
        total_content_length = s.total_content_length + b.chars,
        last_activity_at = GREATEST(s.last_activity_at, b.last_at)
    FROM batch b
    WHERE s.id = b.session_id
), by_group AS (
    UPDATE groups g SET
        total_messages = g.total_messages + b.n,
        last_activity = GREATEST(g.last_activity, b.last_at)
    FROM batch b
    WHERE g.id = b.group_id
)
UPDATE channels c SET
    message_count = c.message_count + b.n,
    last_activity = GREATEST(c.last_activity, b.last_at)
FROM batch b
WHERE c.id = b.channel_id;

-- name: get_message :one
-- One message by primary key.
SELECT
    {{messages}}
FROM messages
WHERE id = :id;

-- name: list_session_messages :many
-- A session's messages newest first, keyset before a (timestamp, id) cursor, RoboCo's order,
-- optionally only those after a time or of one type; walks ix_messages_session_timestamp
-- backwards (a NULL cursor means from the newest).
SELECT
    {{messages}}
FROM messages
WHERE session_id = :session_id
  AND (:after::timestamptz IS NULL OR timestamp > :after::timestamptz)
  AND (:type::messagetype IS NULL OR type = :type::messagetype)
  AND (timestamp, id) < ({{> before_cursor}})
ORDER BY timestamp DESC, id DESC
LIMIT :limit;

-- name: list_channel_messages :many
-- A channel's recent messages across its groups, newest first, keyset before a
-- (timestamp, id) cursor; walks ix_messages_channel_timestamp backwards.
SELECT
    {{messages}}
FROM messages
WHERE channel_id = :channel_id
  AND (timestamp, id) < ({{> before_cursor}})
ORDER BY timestamp DESC, id DESC
LIMIT :limit;

-- name: edit_message :one
-- The author rewrites a message: the previous content goes onto edit_history (appended in
-- the statement, so concurrent edits both leave their entry), content, content_length and
-- edited_at change, and the session's total_content_length moves by the difference. No row
-- when the message is missing or the agent is not its author.
WITH old AS (
    SELECT id, session_id, content, content_length
    FROM messages
    WHERE id = :id AND agent_id = :agent_id
    FOR UPDATE
), edited AS (
    UPDATE messages AS m SET
        edit_history = (
            m.edit_history::jsonb || jsonb_build_array(jsonb_build_object(
                'edited_at', :edited_at_text::text,
                'previous_content', m.content,
                'edit_reason', :reason::text
            ))
        )::json,
        content = :content,
        content_length = :content_length,
        edited_at = :edited_at
    FROM old
    WHERE m.id = old.id
    RETURNING
        {{m.messages}}
), resized AS (
    UPDATE sessions AS s SET
        total_content_length = s.total_content_length + :content_length::integer
            - old.content_length
    FROM old
    WHERE s.id = old.session_id
)
SELECT
    {{messages}}
FROM edited;

-- name: delete_message :one
-- The author deletes a message for good; its session's message_count and
-- total_content_length drop by it in the same statement (RoboCo adjusts the session only).
-- No row when the message is missing or the agent is not its author.
WITH gone AS (
    DELETE FROM messages
    WHERE id = :id AND agent_id = :agent_id
    RETURNING
        {{messages}}
), shrunk AS (
    UPDATE sessions AS s SET
        message_count = s.message_count - 1,
        total_content_length = s.total_content_length - gone.content_length
    FROM gone
    WHERE s.id = gone.session_id
)
SELECT
    {{messages}}
FROM gone;

-- name: tombstone_message :one
-- The author's soft delete: content becomes '[deleted]' and edited_at is stamped; counters
-- stay. No row when the message is missing or the agent is not its author.
UPDATE messages SET content = '[deleted]', edited_at = :edited_at
WHERE id = :id AND agent_id = :agent_id
RETURNING
    {{messages}};

-- name: list_recent_messages :many
-- Messages in every channel since a time, newest first (the dashboard's activity feed).
SELECT
    {{messages}}
FROM messages
WHERE timestamp >= :since::timestamptz
ORDER BY timestamp DESC, id DESC
LIMIT :limit;

-- name: message_volume :one
-- Messages since a time, optionally by one agent: how many, in how many distinct channels,
-- and how many of each type (RoboCo's communication volume and per-agent message count).
SELECT
    count(*)::integer AS total,
    count(DISTINCT channel_id)::integer AS channels,
    coalesce(
        (
            SELECT jsonb_object_agg(t.type, t.n)
            FROM (
                SELECT type::text AS type, count(*) AS n
                FROM messages
                WHERE timestamp >= :since::timestamptz
                  AND (:agent_id::uuid IS NULL OR agent_id = :agent_id::uuid)
                GROUP BY type
            ) AS t
        ),
        '{}'::jsonb
    ) AS by_type
FROM messages
WHERE timestamp >= :since::timestamptz
  AND (:agent_id::uuid IS NULL OR agent_id = :agent_id::uuid);

-- name: notify_message_mentions :execrows
-- One mention notification per agent a message mentions (each once, never its author), in one
-- statement, as RoboCo's send_message does. It names only the notification columns RoboCo's
-- chain had while messages existed (the re-escalation ones came with 079), so it runs on
-- every database that has messages.
INSERT INTO notifications (
    id, type, priority, from_agent, to_agents, subject, body, requires_ack, acked_by, acked_at,
    related_task_id, related_message_ids, read_by, timestamp, created_at
)
SELECT
    gen_random_uuid(), 'mention', 'normal', m.agent_id, ARRAY[r.agent_id], :subject::varchar,
    left(m.content, 500), true, '{}'::uuid[], '{}'::json, m.task_id, '{}'::uuid[], '{}'::uuid[],
    :at::timestamptz, :at::timestamptz
FROM messages AS m
CROSS JOIN LATERAL (SELECT DISTINCT unnest(m.mentions) AS agent_id) AS r
WHERE m.id = :message_id
  AND r.agent_id <> m.agent_id;
