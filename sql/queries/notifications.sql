-- name: send_notification :one
-- Insert one notification; nobody has read or acknowledged it yet and it is not delivered.
INSERT INTO notifications (
    {{notifications}}
) VALUES (
    :id, :type, :priority, :from_agent, :to_agents::uuid[], :subject, :body, :requires_ack,
    '{}'::uuid[], '{}'::json, :related_task_id, :related_message_ids::uuid[], :timestamp,
    :expires_at, '{}'::uuid[], NULL, :created_at, 0, 0, NULL
)
RETURNING
    {{notifications}};

-- name: get_notification :one
-- One notification by primary key.
SELECT
    {{notifications}}
FROM notifications
WHERE id = :id;

-- name: acknowledge_notification :one
-- One recipient acknowledges: append it to acked_by with its time in acked_at (agent-id string
-- -> ISO timestamp) unless already there, and mark it read, as RoboCo does; idempotent. No row
-- when the notification is missing or the agent is not a recipient.
UPDATE notifications SET
    acked_by = CASE WHEN :agent_id::uuid = ANY(acked_by) THEN acked_by
        ELSE array_append(acked_by, :agent_id::uuid) END,
    acked_at = CASE WHEN :agent_id::uuid = ANY(acked_by) THEN acked_at
        ELSE (acked_at::jsonb || jsonb_build_object(:agent_id::text, :acked_at::text))::json END,
    read_by = CASE WHEN :agent_id::uuid = ANY(read_by) THEN read_by
        ELSE array_append(read_by, :agent_id::uuid) END
WHERE id = :id AND :agent_id::uuid = ANY(to_agents)
RETURNING
    {{notifications}};

-- name: mark_notification_read :one
-- One recipient has read the notification: append it to read_by unless already there. No row
-- when the notification is missing or the agent is not a recipient.
UPDATE notifications SET
    read_by = CASE WHEN :agent_id::uuid = ANY(read_by) THEN read_by
        ELSE array_append(read_by, :agent_id::uuid) END
WHERE id = :id AND :agent_id::uuid = ANY(to_agents)
RETURNING
    {{notifications}};

-- name: mark_notification_delivered :one
-- Record the first delivery attempt; a later one keeps the first time.
UPDATE notifications SET delivered_at = COALESCE(delivered_at, :delivered_at::timestamptz)
WHERE id = :id
RETURNING
    {{notifications}};

-- name: list_unacknowledged_notifications :many
-- Notifications addressed to an agent that require an ack it has not given, newest first
-- (RoboCo's get_unacknowledged_for_agent). No index covers to_agents (no GIN in the schema):
-- this walks ix_notifications_timestamp backwards and filters.
SELECT
    {{notifications}}
FROM notifications
WHERE :agent_id::uuid = ANY(to_agents)
  AND requires_ack
  AND NOT (:agent_id::uuid = ANY(acked_by))
  AND (:include_expired::boolean OR expires_at IS NULL OR expires_at > now())
  AND (timestamp, id) < (
      COALESCE(:before_at::timestamptz, 'infinity'::timestamptz),
      COALESCE(:before_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
  )
ORDER BY timestamp DESC, id DESC
LIMIT :limit;

-- name: list_agent_notifications :many
-- Notifications addressed to an agent, newest first, optionally only those it has not read
-- (RoboCo's get_pending_for_agent); keyset before a (timestamp, id) cursor.
SELECT
    {{notifications}}
FROM notifications
WHERE :agent_id::uuid = ANY(to_agents)
  AND (NOT :unread_only::boolean OR NOT (:agent_id::uuid = ANY(read_by)))
  AND (timestamp, id) < (
      COALESCE(:before_at::timestamptz, 'infinity'::timestamptz),
      COALESCE(:before_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
  )
ORDER BY timestamp DESC, id DESC
LIMIT :limit;

-- name: claim_reescalation :one
-- Take the next re-escalation attempt of an expired, unacknowledged notification, as a
-- compare-and-set on the count the caller saw: of two sweeps seeing the same count, exactly
-- one gets the row back (the attempt is burned before delivery, so a broken chain still caps).
UPDATE notifications
SET reescalation_count = reescalation_count + 1,
    last_reescalated_at = coalesce(:at::timestamptz, now())
WHERE id = :id
  AND reescalation_count = :seen_count
RETURNING
    {{notifications}};

-- name: add_reescalation_deliveries :one
-- Count the recipients one re-escalation actually reached.
UPDATE notifications
SET reescalation_delivered_count = reescalation_delivered_count + :delivered
WHERE id = :id
RETURNING
    {{notifications}};
