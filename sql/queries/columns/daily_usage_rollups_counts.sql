-- The counters of a daily_usage_rollups row (what a sweep overwrites), written once:
-- included as {{daily_usage_rollups_counts}}.
tokens_input, tokens_output, tokens_cache_read, tokens_cache_write, total_cost_usd, session_count
