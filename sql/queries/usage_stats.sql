-- name: sweep_daily_rollups :many
-- Recompute the roll-up of every whole UTC day in [:since, :until] from the closed spawns that
-- started on it, and overwrite each (date, agent, team, model) row with the sums: re-sweeping
-- a window gives the same totals (RoboCo's trailing sweep overwrites; adding would double
-- count). Days are whole so a window's first day is never written from part of its spawns.
WITH sums AS (
    SELECT (started_at AT TIME ZONE 'UTC')::date AS date, agent_slug, team, model,
           sum(tokens_input)::int AS tokens_input, sum(tokens_output)::int AS tokens_output,
           sum(tokens_cache_read)::int AS tokens_cache_read,
           sum(tokens_cache_write)::int AS tokens_cache_write,
           sum(estimated_cost_usd)::float8 AS total_cost_usd, count(*)::int AS session_count
    FROM agent_spawn_sessions
    WHERE ended_at IS NOT NULL
      AND started_at >= (:since::date)::timestamp AT TIME ZONE 'UTC'
      AND started_at < (:until::date + 1)::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1, agent_slug, team, model
)
INSERT INTO daily_usage_rollups AS r (
    {{daily_usage_rollups}}
)
SELECT gen_random_uuid(), date, agent_slug, team, model, tokens_input, tokens_output,
       tokens_cache_read, tokens_cache_write, total_cost_usd, session_count
FROM sums
ON CONFLICT ON CONSTRAINT uq_daily_rollup_date_agent_team_model DO UPDATE
SET tokens_input = EXCLUDED.tokens_input,
    tokens_output = EXCLUDED.tokens_output,
    tokens_cache_read = EXCLUDED.tokens_cache_read,
    tokens_cache_write = EXCLUDED.tokens_cache_write,
    total_cost_usd = EXCLUDED.total_cost_usd,
    session_count = EXCLUDED.session_count
RETURNING
    {{daily_usage_rollups}};

-- name: usage_totals :one
-- returns: rows (UsageTotals)
-- Token and cost sums of the closed spawns started in [:since, :until) (NULL until: now on),
-- optionally of one agent: RoboCo's usage summary, its previous-period trend (a second call),
-- its 7-day projection and its cache efficiency all read these sums.
SELECT coalesce(sum(tokens_input), 0)::bigint AS tokens_input,
       coalesce(sum(tokens_output), 0)::bigint AS tokens_output,
       coalesce(sum(tokens_cache_read), 0)::bigint AS tokens_cache_read,
       coalesce(sum(tokens_cache_write), 0)::bigint AS tokens_cache_write,
       coalesce(sum(estimated_cost_usd), 0)::float8 AS cost_usd,
       count(*)::int AS spawns
FROM agent_spawn_sessions
WHERE ended_at IS NOT NULL
  AND started_at >= :since::timestamptz
  AND (:until::timestamptz IS NULL OR started_at < :until::timestamptz)
  AND (:agent_slug::text IS NULL OR agent_slug = :agent_slug::text);

-- name: usage_series :many
-- returns: rows (UsageBucket)
-- The same sums per UTC hour or day (:bucket) of started_at, oldest first, optionally of one
-- agent (the per-agent sparkline).
SELECT date_trunc(:bucket::text, started_at, 'UTC') AS bucket,
       coalesce(sum(tokens_input), 0)::bigint AS tokens_input,
       coalesce(sum(tokens_output), 0)::bigint AS tokens_output,
       coalesce(sum(tokens_cache_read), 0)::bigint AS tokens_cache_read,
       coalesce(sum(tokens_cache_write), 0)::bigint AS tokens_cache_write,
       coalesce(sum(estimated_cost_usd), 0)::float8 AS cost_usd,
       count(*)::int AS spawns
FROM agent_spawn_sessions
WHERE ended_at IS NOT NULL
  AND started_at >= :since::timestamptz
  AND (:agent_slug::text IS NULL OR agent_slug = :agent_slug::text)
GROUP BY 1
ORDER BY 1;

-- name: usage_by :many
-- returns: rows (UsageShare)
-- The same sums per agent, team, model or role (:dimension) since :since, the heaviest
-- (input + output) first, as RoboCo's usage breakdowns order them.
SELECT CASE :dimension::text
           WHEN 'agent_slug' THEN agent_slug WHEN 'team' THEN team
           WHEN 'model' THEN model ELSE role
       END AS key,
       coalesce(sum(tokens_input), 0)::bigint AS tokens_input,
       coalesce(sum(tokens_output), 0)::bigint AS tokens_output,
       coalesce(sum(tokens_cache_read), 0)::bigint AS tokens_cache_read,
       coalesce(sum(tokens_cache_write), 0)::bigint AS tokens_cache_write,
       coalesce(sum(estimated_cost_usd), 0)::float8 AS cost_usd,
       count(*)::int AS spawns
FROM agent_spawn_sessions
WHERE ended_at IS NOT NULL
  AND started_at >= :since::timestamptz
GROUP BY 1
ORDER BY sum(tokens_input + tokens_output) DESC, 1;

-- name: rollup_totals :one
-- returns: rows (UsageTotals)
-- The roll-ups' sums over the days [:since, :until] (RoboCo's "today" card: one day).
SELECT coalesce(sum(tokens_input), 0)::bigint AS tokens_input,
       coalesce(sum(tokens_output), 0)::bigint AS tokens_output,
       coalesce(sum(tokens_cache_read), 0)::bigint AS tokens_cache_read,
       coalesce(sum(tokens_cache_write), 0)::bigint AS tokens_cache_write,
       coalesce(sum(total_cost_usd), 0)::float8 AS cost_usd,
       coalesce(sum(session_count), 0)::int AS spawns
FROM daily_usage_rollups
WHERE date BETWEEN :since::date AND :until::date;
