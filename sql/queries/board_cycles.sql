-- name: open_board_cycle :one
-- Open a cycle of a program for the exploration task it originated; counters start at zero.
INSERT INTO board_program_cycles (
    {{board_program_cycles}}
) VALUES (
    :id, :program_key, :exploration_task_id, coalesce(:opened_at::timestamptz, now()), NULL,
    0, 0, 0, '[]'::json, NULL
)
RETURNING
    {{board_program_cycles}};

-- name: get_board_cycle :one
-- One cycle by primary key.
SELECT
    {{board_program_cycles}}
FROM board_program_cycles
WHERE id = :id;

-- name: list_board_cycles :many
-- A program's cycles, optionally only those opened for one exploration task (NULL = any),
-- newest opened first: the LEARN history, and with a limit of one the latest cycle (open or
-- closed: the dedup gate reads it) or the one opened for an exploration task.
SELECT
    {{board_program_cycles}}
FROM board_program_cycles
WHERE program_key = :program_key
  AND (:exploration_task_id::uuid IS NULL OR exploration_task_id = :exploration_task_id::uuid)
ORDER BY opened_at DESC, id DESC
LIMIT :limit;

-- name: list_closed_board_cycles :many
-- A program's closed cycles, most recently closed first (the prompt's prior-cycle context).
SELECT
    {{board_program_cycles}}
FROM board_program_cycles
WHERE program_key = :program_key
  AND closed_at IS NOT NULL
ORDER BY closed_at DESC, id DESC
LIMIT :limit;

-- name: close_board_cycle :one
-- Close an open cycle now; a cycle already closed keeps its closing time (the row comes back
-- unchanged).
UPDATE board_program_cycles
SET closed_at = coalesce(closed_at, now())
WHERE id = :id
RETURNING
    {{board_program_cycles}};

-- name: record_board_decision :one
-- Count one verdict (approved, or anything else as rejected) and append its entry to the json
-- decisions array, element text kept as written, in one statement.
UPDATE board_program_cycles AS c
SET items_proposed = c.items_proposed + 1,
    items_approved = c.items_approved + (:verdict::text = 'approved')::int,
    items_rejected = c.items_rejected + (:verdict::text <> 'approved')::int,
    decisions = (
        SELECT json_agg(e.elem ORDER BY e.ord)
        FROM (
            SELECT d.elem, d.ord
            FROM json_array_elements(c.decisions) WITH ORDINALITY AS d(elem, ord)
            UNION ALL
            SELECT :entry::json, 9223372036854775807
        ) AS e
    )
WHERE c.id = :id
RETURNING
    c.id, c.program_key, c.exploration_task_id, c.opened_at, c.closed_at, c.items_proposed,
    c.items_approved, c.items_rejected, c.decisions, c.nothing_to_propose_reason;

-- name: record_nothing_to_propose :one
-- The explorer's "nothing worth proposing" verdict on the cycle of its exploration task.
UPDATE board_program_cycles
SET nothing_to_propose_reason = :reason
WHERE id = (
    SELECT id FROM board_program_cycles
    WHERE program_key = :program_key AND exploration_task_id = :exploration_task_id
    ORDER BY opened_at DESC, id DESC
    LIMIT 1
)
RETURNING
    {{board_program_cycles}};
