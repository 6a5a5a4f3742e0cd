-- The member_performance_daily row, written once: included as {{member_performance_daily}}.
id, date, member_kind, agent_slug, team, role, tasks_completed, tasks_first_pass,
revisions_caused, revisions_received, active_runtime_seconds, turns, tool_calls, tokens,
cost_usd, ceo_approval_dwell_seconds, ceo_unblock_dwell_seconds, godmode_actions,
qa_reviews_total, qa_reviews_passed, escalations, blocked_others, idle_seconds,
blocked_seconds
