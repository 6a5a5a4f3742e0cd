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
UPDATE notifications SET {{> notification_acked}}
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
-- Notifications addressed to an agent that it has not acknowledged, newest first: those that
-- require an ack (RoboCo's get_unacknowledged_for_agent and the briefing's pending list) or,
-- with requires_ack false, any (the briefing's unread mentions); optionally of one type. No
-- index covers to_agents (no GIN in the schema): this walks ix_notifications_timestamp
-- backwards and filters.
SELECT
    {{notifications}}
FROM notifications
WHERE :agent_id::uuid = ANY(to_agents)
  AND (requires_ack OR NOT :requires_ack::boolean)
  AND NOT (:agent_id::uuid = ANY(acked_by))
  AND (:type::notificationtype IS NULL OR type = :type::notificationtype)
  AND (:include_expired::boolean OR expires_at IS NULL OR expires_at > now())
  AND (timestamp, id) < ({{> before_cursor}})
ORDER BY timestamp DESC, id DESC
LIMIT :limit;

-- name: list_agent_notifications :many
-- Notifications addressed to an agent, newest first, optionally only those it has not read
-- (RoboCo's get_pending_for_agent), only those still owing its ack, only of one type, or any
-- combination (RoboCo's list_for_agent); keyset before a (timestamp, id) cursor.
SELECT
    {{notifications}}
FROM notifications
WHERE :agent_id::uuid = ANY(to_agents)
  AND (NOT :unread_only::boolean OR NOT (:agent_id::uuid = ANY(read_by)))
  AND (NOT :pending_ack_only::boolean
       OR (requires_ack AND NOT (:agent_id::uuid = ANY(acked_by))))
  AND (:type::notificationtype IS NULL OR type = :type::notificationtype)
  AND (timestamp, id) < ({{> before_cursor}})
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

-- name: send_notification_unless_pending :one
-- Insert a notification unless one of the same purpose is still unacknowledged: same sender,
-- type and related task (both NULL counts as the same), exactly the same recipient set, an ack
-- required and not every recipient has given it (RoboCo's purpose dedup). No row when it was suppressed.
-- The caller serialises writers of one purpose first (lock_notification_purpose).
INSERT INTO notifications (
    {{notifications}}
)
SELECT
    :id::uuid, :type::notificationtype, :priority::notificationpriority, :from_agent::uuid,
    :to_agents::uuid[], :subject::varchar, :body::text, :requires_ack::boolean, '{}'::uuid[],
    '{}'::json, :related_task_id::uuid, :related_message_ids::uuid[], :timestamp::timestamptz,
    :expires_at::timestamptz, '{}'::uuid[], NULL::timestamptz, :created_at::timestamptz, 0, 0,
    NULL::timestamptz
WHERE NOT EXISTS (
    SELECT 1
    FROM notifications AS n
    WHERE n.from_agent = :from_agent
      AND n.type = :type::notificationtype
      AND n.related_task_id IS NOT DISTINCT FROM :related_task_id::uuid
      AND n.to_agents @> :to_agents::uuid[]
      AND n.to_agents <@ :to_agents::uuid[]
      AND n.requires_ack
      AND NOT (n.acked_by @> :to_agents::uuid[])
)
RETURNING
    {{notifications}};

-- name: lock_notification_purpose :exec
-- Serialise the writers of one notification purpose (sender, type, related task) until the
-- end of the caller's transaction, so two concurrent sends cannot both pass the dedup check.
SELECT pg_advisory_xact_lock(
    hashtextextended(
        'roboco_sql.notification:' || :from_agent::text || ':' || :type::text || ':'
            || coalesce(:related_task_id::uuid::text, '-'),
        0
    )
);

-- name: count_agent_notifications :one
-- An agent's notification counts in one pass: all addressed to it, those it has not read,
-- and those that require its ack and lack it (RoboCo's get_notification_count).
SELECT
    count(*) AS total,
    count(*) FILTER (WHERE NOT (:agent_id::uuid = ANY(read_by))) AS unread,
    count(*) FILTER (WHERE requires_ack AND NOT (:agent_id::uuid = ANY(acked_by))) AS pending_ack
FROM notifications
WHERE :agent_id::uuid = ANY(to_agents);

-- name: list_system_notifications :many
-- Every notification, newest first (RoboCo's system view), optionally of one type, or only
-- those that require an ack some recipient has not yet given: "not fully acked" is the array
-- predicate NOT (to_agents <@ acked_by), so the limit applies after it, in SQL.
SELECT
    {{notifications}}
FROM notifications
WHERE (NOT :pending_ack_only::boolean OR (requires_ack AND NOT (to_agents <@ acked_by)))
  AND (:type::notificationtype IS NULL OR type = :type::notificationtype)
ORDER BY timestamp DESC, id DESC
LIMIT :limit;

-- name: list_expired_unacked_notifications :many
-- The expiry sweep's rows: ack-required notifications past expires_at that some recipient has
-- not acknowledged, the longest expired first.
SELECT
    {{notifications}}
FROM notifications
WHERE requires_ack
  AND expires_at IS NOT NULL
  AND expires_at < :now::timestamptz
  AND NOT (to_agents <@ acked_by)
ORDER BY expires_at, id
LIMIT :limit;

-- name: ack_notifications_of_finished_tasks :many
-- Acknowledge, for every recipient that has not, each ack-required notification whose related
-- task is completed or cancelled (nobody can act on it any more), stamping acked_at for those
-- recipients; one statement, as RoboCo's sweep resolves them. The rows it changed.
UPDATE notifications AS n SET
    acked_by = n.acked_by || ARRAY(
        SELECT DISTINCT r FROM unnest(n.to_agents) AS r WHERE NOT (r = ANY(n.acked_by))
    ),
    acked_at = (
        n.acked_at::jsonb || coalesce((
            SELECT jsonb_object_agg(r::text, :acked_at::text)
            FROM unnest(n.to_agents) AS r
            WHERE NOT (r = ANY(n.acked_by))
        ), '{}'::jsonb)
    )::json
FROM tasks AS t
WHERE t.id = n.related_task_id
  AND t.status IN ('completed', 'cancelled')
  AND n.requires_ack
  AND NOT (n.to_agents <@ n.acked_by)
RETURNING
    {{n.notifications}};

-- name: acknowledge_notifications :execrows
-- One recipient acknowledges several notifications at once, each as acknowledge_notification
-- does (idempotent; ids it is not a recipient of are skipped); how many it is a recipient of.
UPDATE notifications SET {{> notification_acked}}
WHERE id = ANY(:ids::uuid[]) AND :agent_id::uuid = ANY(to_agents);

-- name: send_notifications :execrows
-- Insert a batch of notifications in one statement (RoboCo's knowledge-share fan-out, one row
-- per recipient); the rows arrive as a JSON array of NotificationCreate objects.
INSERT INTO notifications (
    {{notifications}}
)
SELECT
    r.id, r.type, r.priority, r.from_agent, r.to_agents, r.subject, r.body, r.requires_ack,
    '{}'::uuid[], '{}'::json, r.related_task_id, r.related_message_ids, r.timestamp,
    r.expires_at, '{}'::uuid[], NULL, r.created_at, 0, 0, NULL
FROM jsonb_to_recordset(:rows::jsonb) AS r(
    id uuid, type notificationtype, priority notificationpriority, from_agent uuid,
    to_agents uuid[], subject varchar, body text, requires_ack boolean, related_task_id uuid,
    related_message_ids uuid[], timestamp timestamptz, expires_at timestamptz,
    created_at timestamptz
);
