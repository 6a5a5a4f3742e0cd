-- name: lock_bootstrap :exec
-- Serialise concurrent db-init runs; released when the seeding transaction ends.
SELECT pg_advisory_xact_lock(:key);

-- name: seed_agents :execrows
-- The roster, by fixed id and slug; an agent already there (by either) is left untouched.
INSERT INTO agents (
    id, name, slug, role, team, status, current_task_id, model_config, system_prompt,
    capabilities, permissions, metrics, journal_id, description, created_at, updated_at
)
SELECT
    a.id, a.name, a.slug, a.role::agentrole, a.team::team, 'offline', NULL, '{}'::json,
    a.system_prompt, '{}'::varchar[], '{}'::json, '{}'::json, NULL, NULL, now(), NULL
FROM unnest(
    :ids::uuid[], :names::text[], :slugs::text[], :roles::text[], :teams::text[],
    :system_prompts::text[]
) WITH ORDINALITY AS a (id, name, slug, role, team, system_prompt, ord)
ORDER BY a.ord
ON CONFLICT DO NOTHING;

-- name: messaging_tables_present :scalar
-- Whether RoboCo's messaging tables are all still here (a database below 060_drop_messaging);
-- resolved as the seeding statements resolve their table names.
SELECT to_regclass('channels') IS NOT NULL AND to_regclass('groups') IS NOT NULL
   AND to_regclass('sessions') IS NOT NULL AND to_regclass('session_tasks') IS NOT NULL
   AND to_regclass('messages') IS NOT NULL;
