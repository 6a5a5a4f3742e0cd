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
SET count = EXCLUDED.count,
    last_status = EXCLUDED.last_status,
    last_check = EXCLUDED.last_check,
    tracing_resets = EXCLUDED.tracing_resets,
    notified = EXCLUDED.notified,
    updated_at = EXCLUDED.updated_at,
    revisit_resets = EXCLUDED.revisit_resets
RETURNING
    {{respawn_tracker}};

-- name: record_respawn_strike :one
-- One more spawn without progress: a new counter starts at 1, an existing one goes up by one,
-- in the database (two strikes at once count two).
INSERT INTO respawn_tracker (
    {{respawn_tracker}}
) VALUES (
    :agent_slug, :task_id, 1, :last_status, now(), 0, false, now(), 0
)
ON CONFLICT ON CONSTRAINT pk_respawn_tracker DO UPDATE
SET count = respawn_tracker.count + 1,
    last_status = EXCLUDED.last_status,
    last_check = EXCLUDED.last_check,
    updated_at = EXCLUDED.updated_at
RETURNING
    {{respawn_tracker}};

-- name: reset_respawn_on_progress :one
-- The task reached a status not seen before: a fresh counter at 1 with every reset budget
-- back to zero and the trip flag cleared.
INSERT INTO respawn_tracker (
    {{respawn_tracker}}
) VALUES (
    :agent_slug, :task_id, 1, :last_status, now(), 0, false, now(), 0
)
ON CONFLICT ON CONSTRAINT pk_respawn_tracker DO UPDATE
SET count = 1,
    last_status = EXCLUDED.last_status,
    last_check = EXCLUDED.last_check,
    tracing_resets = 0,
    notified = false,
    updated_at = EXCLUDED.updated_at,
    revisit_resets = 0
RETURNING
    {{respawn_tracker}};

-- name: spend_respawn_reset :one
-- Spend one reset of a bounded budget (kind 'tracing' or 'revisit') while fewer than
-- max_resets were spent: the counter goes back to 1 and the trip flag clears. An exhausted
-- budget (or no counter) matches no row. last_status, when given, is recorded too.
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
  AND CASE :kind::text WHEN 'tracing' THEN tracing_resets ELSE revisit_resets END
      < :max_resets::int
RETURNING
    {{respawn_tracker}};

-- name: reset_respawn_after_cooldown :one
-- A tripped counter (notified) whose last check is older than the cooldown heals: back to 1,
-- flag cleared. A counter not tripped, or tripped too recently, matches no row.
UPDATE respawn_tracker
SET count = 1,
    last_check = now(),
    notified = false,
    updated_at = now()
WHERE agent_slug = :agent_slug
  AND task_id = :task_id
  AND notified
  AND last_check < now() - :cooldown::interval
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
