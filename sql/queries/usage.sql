-- name: create_spawn_session :one
-- A spawn starting: counters at zero, open until close_spawn_session stamps ended_at.
INSERT INTO agent_spawn_sessions (
    {{agent_spawn_sessions}}
) VALUES (
    :id, :agent_slug, :team, :role, :model, :task_id, :started_at, NULL,
    0, 0, 0, 0,
    NULL, NULL, 0, 0, NULL
)
RETURNING
    {{agent_spawn_sessions}};

-- name: get_spawn_session :one
-- One spawn session by primary key.
SELECT
    {{agent_spawn_sessions}}
FROM agent_spawn_sessions
WHERE id = :id;

-- name: list_spawn_sessions :many
-- Spawns by agent and team (NULL = any), started in [since, until), optionally only open
-- ones; newest first, keyset before (started_at, id).
SELECT
    {{agent_spawn_sessions}}
FROM agent_spawn_sessions
WHERE (:agent_slug::text IS NULL OR agent_slug = :agent_slug::text)
  AND (:team::text IS NULL OR team = :team::text)
  AND (NOT :open_only::boolean OR ended_at IS NULL)
  AND (:since::timestamptz IS NULL OR started_at >= :since::timestamptz)
  AND (:until::timestamptz IS NULL OR started_at < :until::timestamptz)
  AND (:before_at::timestamptz IS NULL
       OR (started_at, id) < (:before_at::timestamptz, :before_id::uuid))
ORDER BY started_at DESC, id DESC
LIMIT :limit;

-- name: close_spawn_session :one
-- Stamp a running spawn's end (why, and what it cost); no row back = missing or already ended.
UPDATE agent_spawn_sessions
SET ended_at = :ended_at,
    exit_reason = :exit_reason,
    estimated_cost_usd = :estimated_cost_usd,
    turns = coalesce(:turns::bigint, turns),
    tool_calls = coalesce(:tool_calls::bigint, tool_calls),
    doctrine_version = coalesce(:doctrine_version::varchar, doctrine_version)
WHERE id = :id
  AND ended_at IS NULL
RETURNING
    {{agent_spawn_sessions}};

-- name: insert_usage_snapshot :execrows
-- Record a cumulative usage reading and raise its spawn's counters to it (never lowering them:
-- readings may arrive out of order), in one statement; one reading or an executemany batch.
-- The row written is the reading as given, so nothing is read back.
WITH raised AS (
    UPDATE agent_spawn_sessions
    SET tokens_input = GREATEST(tokens_input, :tokens_input::bigint),
        tokens_output = GREATEST(tokens_output, :tokens_output::bigint),
        tokens_cache_read = GREATEST(tokens_cache_read, :tokens_cache_read::bigint),
        tokens_cache_write = GREATEST(tokens_cache_write, :tokens_cache_write::bigint)
    WHERE id = :agent_spawn_session_id::uuid
    RETURNING id
)
INSERT INTO token_usage_snapshots (
    id, agent_spawn_session_id, snapshotted_at,
    tokens_input, tokens_output, tokens_cache_read, tokens_cache_write
) VALUES (
    :id, :agent_spawn_session_id::uuid, :snapshotted_at,
    :tokens_input::bigint, :tokens_output::bigint, :tokens_cache_read::bigint,
    :tokens_cache_write::bigint
);

-- name: list_usage_snapshots :many
-- A spawn's readings in time order (served by ix_token_usage_snapshots_session_id).
SELECT
    id, agent_spawn_session_id, snapshotted_at,
    tokens_input, tokens_output, tokens_cache_read, tokens_cache_write
FROM token_usage_snapshots
WHERE agent_spawn_session_id = :agent_spawn_session_id
ORDER BY snapshotted_at, id
LIMIT :limit;

-- name: upsert_daily_rollup :one
-- Add one batch of usage to the day's (date, agent_slug, team, model) row, creating it on the
-- first batch; the unique key uq_daily_rollup_date_agent_team_model is the arbiter.
INSERT INTO daily_usage_rollups AS r (
    {{daily_usage_rollups}}
) VALUES (
    :id, :date, :agent_slug, :team, :model,
    :tokens_input, :tokens_output, :tokens_cache_read, :tokens_cache_write,
    :total_cost_usd, :session_count
)
ON CONFLICT ON CONSTRAINT uq_daily_rollup_date_agent_team_model DO UPDATE
SET tokens_input = r.tokens_input + EXCLUDED.tokens_input,
    tokens_output = r.tokens_output + EXCLUDED.tokens_output,
    tokens_cache_read = r.tokens_cache_read + EXCLUDED.tokens_cache_read,
    tokens_cache_write = r.tokens_cache_write + EXCLUDED.tokens_cache_write,
    total_cost_usd = r.total_cost_usd + EXCLUDED.total_cost_usd,
    session_count = r.session_count + EXCLUDED.session_count
RETURNING
    {{daily_usage_rollups}};

-- name: get_daily_rollup :one
-- One day's row for an (agent, team, model), by the unique key.
SELECT
    {{daily_usage_rollups}}
FROM daily_usage_rollups
WHERE date = :date AND agent_slug = :agent_slug AND team = :team AND model = :model;

-- name: list_daily_rollups :many
-- Roll-ups by agent (NULL = all) over days [since, until] (NULL = open), newest day first.
SELECT
    {{daily_usage_rollups}}
FROM daily_usage_rollups
WHERE (:agent_slug::text IS NULL OR agent_slug = :agent_slug::text)
  AND (:since::date IS NULL OR date >= :since::date)
  AND (:until::date IS NULL OR date <= :until::date)
ORDER BY date DESC, agent_slug, team, model
LIMIT :limit;
