-- name: upsert_member_perf_day :one
-- Write one member's figures for one day on its natural key (uq_member_perf_day): the figures
-- given replace the stored ones (a sweep recomputes a day, it never adds to it); the rest keep
-- their value, or start at zero on a new row.
INSERT INTO member_performance_daily AS m (
    {{member_performance_daily}}
) VALUES (
    :id, :date, :member_kind, :agent_slug,
    :team::text, :role::text,
    CASE WHEN :set_tasks_completed THEN :tasks_completed::int4 ELSE 0 END,
    CASE WHEN :set_tasks_first_pass THEN :tasks_first_pass::int4 ELSE 0 END,
    CASE WHEN :set_revisions_caused THEN :revisions_caused::int4 ELSE 0 END,
    CASE WHEN :set_revisions_received THEN :revisions_received::int4 ELSE 0 END,
    CASE WHEN :set_active_runtime_seconds THEN :active_runtime_seconds::int8 ELSE 0 END,
    CASE WHEN :set_turns THEN :turns::int4 ELSE 0 END,
    CASE WHEN :set_tool_calls THEN :tool_calls::int4 ELSE 0 END,
    CASE WHEN :set_tokens THEN :tokens::int8 ELSE 0 END,
    CASE WHEN :set_cost_usd THEN :cost_usd::float8 ELSE 0 END,
    CASE WHEN :set_ceo_approval_dwell_seconds THEN :ceo_approval_dwell_seconds::int8 ELSE 0 END,
    CASE WHEN :set_ceo_unblock_dwell_seconds THEN :ceo_unblock_dwell_seconds::int8 ELSE 0 END,
    CASE WHEN :set_godmode_actions THEN :godmode_actions::int4 ELSE 0 END,
    CASE WHEN :set_qa_reviews_total THEN :qa_reviews_total::int4 ELSE 0 END,
    CASE WHEN :set_qa_reviews_passed THEN :qa_reviews_passed::int4 ELSE 0 END,
    CASE WHEN :set_escalations THEN :escalations::int4 ELSE 0 END,
    CASE WHEN :set_blocked_others THEN :blocked_others::int4 ELSE 0 END,
    CASE WHEN :set_idle_seconds THEN :idle_seconds::int8 ELSE 0 END,
    CASE WHEN :set_blocked_seconds THEN :blocked_seconds::int8 ELSE 0 END
)
ON CONFLICT ON CONSTRAINT uq_member_perf_day DO UPDATE
SET
    team = CASE WHEN :set_team THEN EXCLUDED.team ELSE m.team END,
    role = CASE WHEN :set_role THEN EXCLUDED.role ELSE m.role END,
    tasks_completed = CASE WHEN :set_tasks_completed THEN EXCLUDED.tasks_completed ELSE m.tasks_completed END,
    tasks_first_pass = CASE WHEN :set_tasks_first_pass THEN EXCLUDED.tasks_first_pass ELSE m.tasks_first_pass END,
    revisions_caused = CASE WHEN :set_revisions_caused THEN EXCLUDED.revisions_caused ELSE m.revisions_caused END,
    revisions_received = CASE WHEN :set_revisions_received THEN EXCLUDED.revisions_received ELSE m.revisions_received END,
    active_runtime_seconds = CASE WHEN :set_active_runtime_seconds THEN EXCLUDED.active_runtime_seconds ELSE m.active_runtime_seconds END,
    turns = CASE WHEN :set_turns THEN EXCLUDED.turns ELSE m.turns END,
    tool_calls = CASE WHEN :set_tool_calls THEN EXCLUDED.tool_calls ELSE m.tool_calls END,
    tokens = CASE WHEN :set_tokens THEN EXCLUDED.tokens ELSE m.tokens END,
    cost_usd = CASE WHEN :set_cost_usd THEN EXCLUDED.cost_usd ELSE m.cost_usd END,
    ceo_approval_dwell_seconds = CASE WHEN :set_ceo_approval_dwell_seconds THEN EXCLUDED.ceo_approval_dwell_seconds ELSE m.ceo_approval_dwell_seconds END,
    ceo_unblock_dwell_seconds = CASE WHEN :set_ceo_unblock_dwell_seconds THEN EXCLUDED.ceo_unblock_dwell_seconds ELSE m.ceo_unblock_dwell_seconds END,
    godmode_actions = CASE WHEN :set_godmode_actions THEN EXCLUDED.godmode_actions ELSE m.godmode_actions END,
    qa_reviews_total = CASE WHEN :set_qa_reviews_total THEN EXCLUDED.qa_reviews_total ELSE m.qa_reviews_total END,
    qa_reviews_passed = CASE WHEN :set_qa_reviews_passed THEN EXCLUDED.qa_reviews_passed ELSE m.qa_reviews_passed END,
    escalations = CASE WHEN :set_escalations THEN EXCLUDED.escalations ELSE m.escalations END,
    blocked_others = CASE WHEN :set_blocked_others THEN EXCLUDED.blocked_others ELSE m.blocked_others END,
    idle_seconds = CASE WHEN :set_idle_seconds THEN EXCLUDED.idle_seconds ELSE m.idle_seconds END,
    blocked_seconds = CASE WHEN :set_blocked_seconds THEN EXCLUDED.blocked_seconds ELSE m.blocked_seconds END
RETURNING
    {{m.member_performance_daily}};

-- name: get_member_perf_day :one
-- One member's row for one day.
SELECT
    {{member_performance_daily}}
FROM member_performance_daily
WHERE date = :date AND member_kind = :member_kind AND agent_slug = :agent_slug;

-- name: list_member_perf_days :many
-- Rows in [since, until] (inclusive dates) of one kind, agent and team (each NULL = any),
-- by date then member (ix_member_perf_date).
SELECT
    {{member_performance_daily}}
FROM member_performance_daily
WHERE date >= :since AND date <= :until
  AND (:member_kind::text IS NULL OR member_kind = :member_kind::text)
  AND (:agent_slug::text IS NULL OR agent_slug = :agent_slug::text)
  AND (:team::text IS NULL OR team = :team::text)
ORDER BY date, member_kind, agent_slug
LIMIT :limit;

-- name: member_perf_totals :many
-- Sums of the agent rows since a date, one row per agent (of one team, or one agent; each
-- NULL = all), by slug: what the scorecards add up.
SELECT
    agent_slug,
    count(*)::int AS days,
    coalesce(sum(tasks_completed), 0)::int AS tasks_completed,
    coalesce(sum(tasks_first_pass), 0)::int AS tasks_first_pass,
    coalesce(sum(revisions_caused), 0)::int AS revisions_caused,
    coalesce(sum(revisions_received), 0)::int AS revisions_received,
    coalesce(sum(active_runtime_seconds), 0)::bigint AS active_runtime_seconds,
    coalesce(sum(turns), 0)::bigint AS turns,
    coalesce(sum(tool_calls), 0)::bigint AS tool_calls,
    coalesce(sum(tokens), 0)::bigint AS tokens,
    coalesce(sum(cost_usd), 0)::float8 AS cost_usd,
    coalesce(sum(qa_reviews_total), 0)::int AS qa_reviews_total,
    coalesce(sum(qa_reviews_passed), 0)::int AS qa_reviews_passed,
    coalesce(sum(escalations), 0)::int AS escalations,
    coalesce(sum(blocked_others), 0)::int AS blocked_others,
    coalesce(sum(idle_seconds), 0)::bigint AS idle_seconds
FROM member_performance_daily
WHERE member_kind = 'agent'
  AND date >= :since
  AND (:agent_slug::text IS NULL OR agent_slug = :agent_slug::text)
  AND (:team::text IS NULL OR team = :team::text)
GROUP BY agent_slug
ORDER BY agent_slug
LIMIT :limit;
