-- name: record_gateway_trigger :one
-- Record one spawn-gateway decision (spawn, queue or drop) and why.
INSERT INTO gateway_triggers ({{gateway_triggers}})
VALUES (:id, :trigger_kind, :trigger_id, :task_id, :target_role, :decision, :decision_reason,
        :created_at)
RETURNING {{gateway_triggers}};

-- name: get_gateway_trigger :one
-- One gateway decision by primary key.
SELECT {{gateway_triggers}}
FROM gateway_triggers
WHERE id = :id;

-- name: list_gateway_triggers :many
-- Decisions matching every filter given (NULL = any), newest first; served by
-- ix_gateway_triggers_task_id, ix_gateway_triggers_kind_decision and
-- ix_gateway_triggers_created_at. Keyset: pass the last row's (created_at, id) as before_*.
SELECT {{gateway_triggers}}
FROM gateway_triggers
WHERE (:task_id::uuid IS NULL OR task_id = :task_id::uuid)
  AND (:trigger_kind::varchar IS NULL OR trigger_kind = :trigger_kind::varchar)
  AND (:decision::varchar IS NULL OR decision = :decision::varchar)
  AND (:target_role::varchar IS NULL OR target_role = :target_role::varchar)
  AND (:since::timestamptz IS NULL OR created_at >= :since::timestamptz)
  AND (:before_id::uuid IS NULL
       OR (created_at, id) < (:before_created_at::timestamptz, :before_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit;

-- name: count_gateway_triggers :scalar
-- How many decisions match since a time: the gateway's rate limits count recent spawns per
-- task and per role this way.
SELECT count(*)
FROM gateway_triggers
WHERE (:task_id::uuid IS NULL OR task_id = :task_id::uuid)
  AND (:target_role::varchar IS NULL OR target_role = :target_role::varchar)
  AND (:decision::varchar IS NULL OR decision = :decision::varchar)
  AND created_at >= :since::timestamptz;
