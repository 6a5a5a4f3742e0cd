-- name: set_waiting_record :one
-- Record what an agent (by slug) is waiting for, replacing its previous record: one per agent
-- (unique ix_waiting_records_agent_id), as RoboCo's delete-then-insert, in one statement.
INSERT INTO waiting_records (
    {{waiting_records}}
) VALUES (
    :id, :agent_id, :task_id, :waiting_for, :waiting_since, :context, :created_at
)
ON CONFLICT (agent_id) DO UPDATE
SET ({{waiting_records}}) = ROW({{EXCLUDED.waiting_records}})
RETURNING {{waiting_records}};

-- name: get_waiting_record :one
-- The waiting record of one agent, by slug.
SELECT {{waiting_records}}
FROM waiting_records
WHERE agent_id = :agent_id;

-- name: list_waiting_records :many
-- Waiting records (all of them, as the orchestrator restores them at start, or those waiting
-- for one thing: ix_waiting_records_waiting_for), longest waiting first.
SELECT {{waiting_records}}
FROM waiting_records
WHERE (:waiting_for::varchar IS NULL OR waiting_for = :waiting_for::varchar)
  AND (:task_id::uuid IS NULL OR task_id = :task_id::uuid)
ORDER BY waiting_since, id;

-- name: delete_waiting_record :execrows
-- Drop an agent's waiting record once its wait resolved; 0 rows = it had none.
DELETE FROM waiting_records
WHERE agent_id = :agent_id;
