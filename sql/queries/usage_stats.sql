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
SELECT gen_random_uuid(), date, agent_slug, team, model, {{daily_usage_rollups_counts}}
FROM sums
ON CONFLICT ON CONSTRAINT uq_daily_rollup_date_agent_team_model DO UPDATE
SET ({{daily_usage_rollups_counts}}) = ROW({{EXCLUDED.daily_usage_rollups_counts}})
RETURNING
    {{daily_usage_rollups}};

-- name: usage_sums :many
-- returns: rows (read into UsageTotals, UsageBucket or UsageShare)
-- Token and cost sums of the closed spawns started in [:since, :until) (NULL until: now on),
-- optionally of one agent, grouped by :group: 'total' (one row, none when nothing matched),
-- 'hour' or 'day' (the UTC bucket of started_at, oldest first), or 'agent_slug', 'team',
-- 'model' or 'role' (the key, the heaviest by input + output first). RoboCo's usage summary
-- and its trend, time series, breakdowns, 7-day projection and cache efficiency all read these.
SELECT CASE WHEN :group::text IN ('hour', 'day')
            THEN date_trunc(:group::text, started_at, 'UTC') END AS bucket,
       CASE :group::text
           WHEN 'agent_slug' THEN agent_slug WHEN 'team' THEN team
           WHEN 'model' THEN model WHEN 'role' THEN role
       END AS key,
       {{> token_sums}},
       coalesce(sum(estimated_cost_usd), 0)::float8 AS cost_usd,
       count(*)::int AS spawns
FROM agent_spawn_sessions
WHERE ended_at IS NOT NULL
  AND started_at >= :since::timestamptz
  AND (:until::timestamptz IS NULL OR started_at < :until::timestamptz)
  AND (:agent_slug::text IS NULL OR agent_slug = :agent_slug::text)
GROUP BY 1, 2
ORDER BY CASE WHEN :group::text IN ('total', 'hour', 'day') THEN 0
              ELSE -sum(tokens_input + tokens_output) END,
         1, 2;

-- name: rollup_totals :one
-- returns: rows (UsageTotals)
-- The roll-ups' sums over the days [:since, :until] (RoboCo's "today" card: one day).
SELECT {{> token_sums}},
       coalesce(sum(total_cost_usd), 0)::float8 AS cost_usd,
       coalesce(sum(session_count), 0)::int AS spawns
FROM daily_usage_rollups
WHERE date BETWEEN :since::date AND :until::date;
