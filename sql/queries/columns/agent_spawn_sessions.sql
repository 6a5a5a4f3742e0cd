-- The agent_spawn_sessions row, written once: included as {{agent_spawn_sessions}}.
id, agent_slug, team, role, model, task_id, started_at, ended_at, tokens_input, tokens_output,
tokens_cache_read, tokens_cache_write, exit_reason, estimated_cost_usd, turns, tool_calls,
doctrine_version
