-- name: append_audit_event :one
-- Append one event to the audit log (append-only: no update or delete query exists).
INSERT INTO audit_log ({{audit_log}})
VALUES (:id, :event_type, :agent_id, :target_type, :target_id, :severity, :details, :timestamp)
RETURNING {{audit_log}};

-- name: get_audit_event :one
-- One audit event by primary key.
SELECT {{audit_log}}
FROM audit_log
WHERE id = :id;

-- name: list_audit_log :many
-- Events matching every filter given (NULL = any), newest first: by entity (target type/id,
-- ix_audit_log_target), by actor (ix_audit_log_agent_timestamp), by event type, severities,
-- since a time, and details containing a JSON object (details @> :details_contain, so a key
-- like reason can be matched). Keyset: pass the last row's (timestamp, id) as before_*.
SELECT {{audit_log}}
FROM audit_log
WHERE (:target_type::varchar IS NULL OR target_type = :target_type::varchar)
  AND (:target_id::uuid IS NULL OR target_id = :target_id::uuid)
  AND (:agent_id::uuid IS NULL OR agent_id = :agent_id::uuid)
  AND (:event_type::varchar IS NULL OR event_type = :event_type::varchar)
  AND (:severities::varchar[] IS NULL OR severity = ANY(:severities::varchar[]))
  AND (:since::timestamptz IS NULL OR "timestamp" >= :since::timestamptz)
  AND (:details_contain::jsonb IS NULL OR details @> :details_contain::jsonb)
  AND (:before_id::uuid IS NULL
       OR ("timestamp", id) < (:before_timestamp::timestamptz, :before_id::uuid))
ORDER BY "timestamp" DESC, id DESC
LIMIT :limit;
