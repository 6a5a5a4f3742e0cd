-- The four token counts of a usage total (UsageTotals), summed over the rows read (0 when
-- none): the same columns in agent_spawn_sessions and daily_usage_rollups.
coalesce(sum(tokens_input), 0)::bigint AS tokens_input,
coalesce(sum(tokens_output), 0)::bigint AS tokens_output,
coalesce(sum(tokens_cache_read), 0)::bigint AS tokens_cache_read,
coalesce(sum(tokens_cache_write), 0)::bigint AS tokens_cache_write
