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
-- status; keyset before an (updated_at, id) cursor. Bitmap-ORs ix_a2a_conversations_agent_a
-- and _agent_b.
SELECT
    {{a2a_conversations}}
FROM a2a_conversations
WHERE (agent_a = :agent::varchar OR agent_b = :agent::varchar)
  AND (:status::a2aconversationstatus IS NULL OR status = :status::a2aconversationstatus)
  AND (updated_at, id) < (
      COALESCE(:before_at::timestamptz, 'infinity'::timestamptz),
      COALESCE(:before_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
  )
ORDER BY updated_at DESC, id DESC
LIMIT :limit;

-- name: add_a2a_message :one
-- Insert one message from a participant and, in the same statement, bump the conversation's
-- message_count, last_message_at, updated_at and the other side's unread counter. No row when
-- the conversation is missing or the sender is not one of its two agents.
WITH conv AS (
    UPDATE a2a_conversations SET
        message_count = message_count + 1,
        last_message_at = GREATEST(last_message_at, :created_at::timestamptz),
        updated_at = GREATEST(updated_at, :created_at::timestamptz),
        unread_by_a = unread_by_a + CASE WHEN agent_a = :from_agent::varchar THEN 0 ELSE 1 END,
        unread_by_b = unread_by_b + CASE WHEN agent_b = :from_agent::varchar THEN 0 ELSE 1 END
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
  AND (created_at, id) < (
      COALESCE(:before_at::timestamptz, 'infinity'::timestamptz),
      COALESCE(:before_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
  )
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
