-- name: create_a2a_conversation :one
-- Insert one conversation between two agent slugs (agent_a < agent_b, ordered by the model);
-- (agent_a, agent_b, topic) is unique (uq_a2a_pair_topic).
INSERT INTO a2a_conversations (
    {{a2a_conversations}}
) VALUES (
    :id, :agent_a, :agent_b, :topic, :task_id, :status, NULL, 0, 0, 0, :created_at,
    :updated_at, NULL
)
RETURNING
    {{a2a_conversations}};

-- name: get_a2a_conversation :one
-- One conversation by primary key.
SELECT
    {{a2a_conversations}}
FROM a2a_conversations
WHERE id = :id;

-- name: find_a2a_conversation :one
-- The conversation of an ordered pair about a topic (NULL topic matches a topic-less one; the
-- oldest wins, since NULL topics are not unique); served by ix_a2a_conv_pair.
SELECT
    {{a2a_conversations}}
FROM a2a_conversations
WHERE agent_a = :agent_a AND agent_b = :agent_b
  AND topic IS NOT DISTINCT FROM :topic::varchar
ORDER BY created_at, id
LIMIT 1;

-- name: list_a2a_conversations :many
-- An agent's conversations (either side), most recently updated first, optionally of one
-- status, with one other agent, about one task, or only those with messages the agent has not
-- read (the briefing's unread list); keyset before an (updated_at, id) cursor. Bitmap-ORs
-- ix_a2a_conversations_agent_a and _agent_b.
SELECT
    {{a2a_conversations}}
FROM a2a_conversations
WHERE (agent_a = :agent::varchar OR agent_b = :agent::varchar)
  AND (:status::a2aconversationstatus IS NULL OR status = :status::a2aconversationstatus)
  AND (:with_agent::varchar IS NULL
       OR (agent_a, agent_b) IN ((:agent::varchar, :with_agent::varchar),
                                 (:with_agent::varchar, :agent::varchar)))
  AND (:task_id::uuid IS NULL OR task_id = :task_id::uuid)
  AND (NOT :unread_only::boolean
       OR CASE WHEN agent_a = :agent::varchar THEN unread_by_a ELSE unread_by_b END > 0)
  AND (updated_at, id) < ({{> before_cursor}})
ORDER BY updated_at DESC, id DESC
LIMIT :limit;

-- name: latest_a2a_messages :many
-- The newest message of each of the given conversations (one index probe each, through
-- ix_a2a_msg_conv_created), or the newest one written to :incoming_to when it is given (the
-- briefing's preview never shows the agent its own reply).
SELECT
    {{m.a2a_messages}}
FROM unnest(:conversation_ids::uuid[]) AS c(id)
CROSS JOIN LATERAL (
    SELECT *
    FROM a2a_messages
    WHERE conversation_id = c.id
      AND (:incoming_to::varchar IS NULL OR from_agent <> :incoming_to::varchar)
    ORDER BY created_at DESC, id DESC
    LIMIT 1
) AS m;

-- name: add_a2a_message :one
-- Insert one message from a participant and, in the same statement, bump the conversation's
-- message_count, last_message_at, updated_at and the other side's unread counter. No row when
-- the conversation is missing or the sender is not one of its two agents.
WITH conv AS (
    UPDATE a2a_conversations SET {{> a2a_message_counted}}
    WHERE id = :conversation_id
      AND :from_agent::varchar IN (agent_a, agent_b)
    RETURNING id
)
INSERT INTO a2a_messages (
    {{a2a_messages}}
)
SELECT
    :id, conv.id, :from_agent::varchar, :content, :message_kind::a2amessagekind,
    :response_to_id::uuid, :requires_response, NULL, :created_at::timestamptz, NULL,
    '[]'::json, :skill::varchar
FROM conv
RETURNING
    {{a2a_messages}};

-- name: send_a2a_message :one
-- RoboCo's chat send: like add_a2a_message, unless the sender already has an identical message
-- (same kind and content) still unread in the conversation, which then comes back instead and
-- nothing is written or counted (a respawn re-saying the same thing). No row when the
-- conversation is missing or the sender is not one of its two agents.
WITH dup AS (
    SELECT {{a2a_messages}}
    FROM a2a_messages
    WHERE conversation_id = :conversation_id::uuid
      AND from_agent = :from_agent::varchar
      AND message_kind = :message_kind::a2amessagekind
      AND content = :content::text
      AND read_at IS NULL
      AND EXISTS (
          SELECT 1 FROM a2a_conversations c
          WHERE c.id = :conversation_id::uuid AND :from_agent::varchar IN (c.agent_a, c.agent_b)
      )
    ORDER BY created_at, id
    LIMIT 1
), conv AS (
    UPDATE a2a_conversations SET {{> a2a_message_counted}}
    WHERE id = :conversation_id::uuid
      AND :from_agent::varchar IN (agent_a, agent_b)
      AND NOT EXISTS (SELECT 1 FROM dup)
    RETURNING id
), made AS (
    INSERT INTO a2a_messages (
        {{a2a_messages}}
    )
    SELECT
        :id, conv.id, :from_agent::varchar, :content::text, :message_kind::a2amessagekind,
        :response_to_id::uuid, :requires_response, NULL, :created_at::timestamptz, NULL,
        '[]'::json, :skill::varchar
    FROM conv
    RETURNING {{a2a_messages}}
)
SELECT {{a2a_messages}} FROM made
UNION ALL
SELECT {{a2a_messages}} FROM dup;

-- name: mark_all_a2a_read :scalar
-- An agent reads every conversation it has unread messages in: stamp read_at on the other
-- sides' unread messages and lower each counter by the messages stamped (a message arriving
-- meanwhile stays counted); the number of conversations cleared.
WITH mine AS (
    SELECT id, agent_a = :agent::varchar AS is_a
    FROM a2a_conversations
    WHERE (agent_a = :agent::varchar AND unread_by_a > 0)
       OR (agent_b = :agent::varchar AND unread_by_b > 0)
), seen AS (
    UPDATE a2a_messages m SET read_at = :read_at::timestamptz
    FROM mine
    WHERE m.conversation_id = mine.id
      AND m.from_agent <> :agent::varchar
      AND m.read_at IS NULL
    RETURNING m.conversation_id
), counted AS (
    SELECT mine.id, mine.is_a, count(seen.conversation_id)::int AS n
    FROM mine LEFT JOIN seen ON seen.conversation_id = mine.id
    GROUP BY mine.id, mine.is_a
), lowered AS (
    UPDATE a2a_conversations c SET
        unread_by_a = CASE WHEN counted.is_a THEN GREATEST(c.unread_by_a - counted.n, 0)
                           ELSE c.unread_by_a END,
        unread_by_b = CASE WHEN counted.is_a THEN c.unread_by_b
                           ELSE GREATEST(c.unread_by_b - counted.n, 0) END
    FROM counted
    WHERE c.id = counted.id
    RETURNING c.id
)
SELECT count(*)::int FROM lowered;

-- name: a2a_inbox_summary :one
-- returns: rows (A2AInboxSummary)
-- An agent's inbox at a glance, as RoboCo's summary counts it: unread messages and the
-- conversations holding them, the messages it sent that asked for a response, and the ones
-- sent to it that ask for one.
SELECT
    (SELECT coalesce(sum(CASE WHEN agent_a = :agent::varchar THEN unread_by_a
                              ELSE unread_by_b END), 0)::int
     FROM a2a_conversations
     WHERE agent_a = :agent::varchar OR agent_b = :agent::varchar) AS total_unread,
    (SELECT count(*)::int
     FROM a2a_conversations
     WHERE (agent_a = :agent::varchar AND unread_by_a > 0)
        OR (agent_b = :agent::varchar AND unread_by_b > 0)) AS conversations_with_unread,
    (SELECT count(*)::int
     FROM a2a_messages
     WHERE from_agent = :agent::varchar AND requires_response) AS pending_responses,
    (SELECT count(*)::int
     FROM a2a_messages m
     JOIN a2a_conversations c ON c.id = m.conversation_id
     WHERE (c.agent_a = :agent::varchar OR c.agent_b = :agent::varchar)
       AND m.from_agent <> :agent::varchar
       AND m.requires_response) AS unanswered_requests;

-- name: get_a2a_message :one
-- One a2a message by primary key.
SELECT
    {{a2a_messages}}
FROM a2a_messages
WHERE id = :id;

-- name: list_a2a_messages :many
-- A conversation's messages newest first, keyset before a (created_at, id) cursor; walks
-- ix_a2a_msg_conv_created backwards.
SELECT
    {{a2a_messages}}
FROM a2a_messages
WHERE conversation_id = :conversation_id
  AND (created_at, id) < ({{> before_cursor}})
ORDER BY created_at DESC, id DESC
LIMIT :limit;

-- name: mark_a2a_read :one
-- An agent has read its side of a conversation: zero its unread counter and stamp read_at on
-- the other side's unread messages, as RoboCo's mark_read does. No row when the conversation
-- is missing or the agent is not one of its two.
WITH seen AS (
    UPDATE a2a_messages SET read_at = :read_at::timestamptz
    WHERE conversation_id = :conversation_id::uuid
      AND from_agent <> :agent::varchar
      AND read_at IS NULL
      AND EXISTS (
          SELECT 1 FROM a2a_conversations c
          WHERE c.id = :conversation_id::uuid AND :agent::varchar IN (c.agent_a, c.agent_b)
      )
)
UPDATE a2a_conversations SET
    unread_by_a = CASE WHEN agent_a = :agent::varchar THEN 0 ELSE unread_by_a END,
    unread_by_b = CASE WHEN agent_b = :agent::varchar THEN 0 ELSE unread_by_b END
WHERE id = :conversation_id::uuid AND :agent::varchar IN (agent_a, agent_b)
RETURNING
    {{a2a_conversations}};

-- name: close_a2a_conversation :one
-- Close a conversation with an optional resolution (RoboCo's close_conversation).
UPDATE a2a_conversations SET
    status = 'closed',
    resolution = :resolution::text,
    updated_at = :updated_at::timestamptz
WHERE id = :id
RETURNING
    {{a2a_conversations}};

-- name: append_a2a_protocol_note :one
-- An A2A-protocol task keeps its request/response thread in dev_notes: append one message's
-- text (after a blank line, or as the whole text when the notes are empty), in one statement.
UPDATE tasks SET
    dev_notes = CASE WHEN coalesce(dev_notes, '') = '' THEN :text::text
                     ELSE dev_notes || E'\n\n' || :text::text END,
    updated_at = now()
WHERE id = :task_id::uuid
RETURNING
    {{tasks}};
