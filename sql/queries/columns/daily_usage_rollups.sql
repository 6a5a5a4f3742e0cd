-- The daily_usage_rollups row, written once: included as {{daily_usage_rollups}}.
id, date, agent_slug, team, model, tokens_input, tokens_output, tokens_cache_read,
tokens_cache_write, total_cost_usd, session_count
