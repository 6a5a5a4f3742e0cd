-- name: save_respawn_record :one
-- Write the whole state of one (agent, task) counter, inserting it or overwriting the row in
-- one statement (no delete-then-insert race on pk_respawn_tracker).
INSERT INTO respawn_tracker (
    {{respawn_tracker}}
) VALUES (
    :agent_slug, :task_id, :count, :last_status, :last_check, :tracing_resets, :notified, now(),
    :revisit_resets
)
ON CONFLICT ON CONSTRAINT pk_respawn_tracker DO UPDATE
SET ({{respawn_tracker}}) = ROW({{EXCLUDED.respawn_tracker}})
RETURNING
    {{respawn_tracker}};

-- name: count_respawn :one
-- One more spawn of an (agent, task), counted in the database (two at once count two): without
-- :fresh a strike, the counter up by one; with :fresh (the task reached a status not seen
-- before) a fresh counter at 1, every reset budget back to zero and the trip flag cleared. A
-- new counter starts at 1 either way.
INSERT INTO respawn_tracker AS r (
    {{respawn_tracker}}
) VALUES (
    :agent_slug, :task_id, 1, :last_status, now(), 0, false, now(), 0
)
ON CONFLICT ON CONSTRAINT pk_respawn_tracker DO UPDATE
SET count = CASE WHEN :fresh::boolean THEN 1 ELSE r.count + 1 END,
    last_status = EXCLUDED.last_status,
    last_check = EXCLUDED.last_check,
    tracing_resets = CASE WHEN :fresh::boolean THEN 0 ELSE r.tracing_resets END,
    notified = CASE WHEN :fresh::boolean THEN false ELSE r.notified END,
    updated_at = EXCLUDED.updated_at,
    revisit_resets = CASE WHEN :fresh::boolean THEN 0 ELSE r.revisit_resets END
RETURNING
    {{respawn_tracker}};

-- name: restart_respawn_count :one
-- Start a counter over at 1 with its trip flag cleared, when :kind allows: 'tracing' or
-- 'revisit' spends one reset of that bounded budget while fewer than :max_resets were spent;
-- 'cooldown' heals a tripped (notified) counter whose last check is older than :cooldown. No
-- row back when it does not (or there is no counter). last_status, when given, is recorded.
UPDATE respawn_tracker
SET count = 1,
    last_check = now(),
    notified = false,
    updated_at = now(),
    last_status = coalesce(:last_status::text, last_status),
    tracing_resets = tracing_resets + (:kind::text = 'tracing')::int,
    revisit_resets = revisit_resets + (:kind::text = 'revisit')::int
WHERE agent_slug = :agent_slug
  AND task_id = :task_id
  AND CASE :kind::text
          WHEN 'tracing' THEN tracing_resets < :max_resets::int
          WHEN 'revisit' THEN revisit_resets < :max_resets::int
          ELSE notified AND last_check < now() - :cooldown::interval
      END
RETURNING
    {{respawn_tracker}};

-- name: mark_respawn_notified :one
-- The counter tripped and the overseer was told: set the one-shot flag. No row back when it
-- was already set (so exactly one caller sends the notice) or there is no counter.
UPDATE respawn_tracker
SET notified = true,
    updated_at = now()
WHERE agent_slug = :agent_slug
  AND task_id = :task_id
  AND NOT notified
RETURNING
    {{respawn_tracker}};

-- name: get_respawn_record :one
-- One counter by its key.
SELECT
    {{respawn_tracker}}
FROM respawn_tracker
WHERE agent_slug = :agent_slug AND task_id = :task_id;

-- name: list_respawn_records :many
-- Counters, highest count first (the usage page's strike table; the startup loader reads all).
SELECT
    {{respawn_tracker}}
FROM respawn_tracker
ORDER BY count DESC, last_check DESC, agent_slug, task_id
LIMIT :limit;

-- name: delete_respawn_record :execrows
-- Forget one counter (its task is gone or finished).
DELETE FROM respawn_tracker
WHERE agent_slug = :agent_slug AND task_id = :task_id;
