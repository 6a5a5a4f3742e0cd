-- db-init's rows in RoboCo's messaging tables, written only on a database below
-- 060_drop_messaging (bootstrap.messaging_tables_present says whether they are there).

-- name: seed_channels :execrows
-- The channels, by slug; a channel already there is left untouched (membership follows).
INSERT INTO channels (
    id, name, slug, type, description, topic, members, writers, silent_observers,
    is_archived, is_private, allow_threads, allow_reactions, message_retention_days,
    max_message_length, message_count, group_count, last_activity, created_at, updated_at
)
SELECT
    gen_random_uuid(), c.name, c.slug, c.type::channeltype, c.description, NULL,
    '{}'::uuid[], '{}'::uuid[], '{}'::uuid[], false, false, true, true, 90, 10000, 0, 0,
    NULL, now(), NULL
FROM unnest(:names::text[], :slugs::text[], :types::text[], :descriptions::text[])
     WITH ORDINALITY AS c (name, slug, type, description, ord)
ORDER BY c.ord
ON CONFLICT (slug) DO NOTHING;

-- name: sync_channel_members :execrows
-- Members and writers of each listed channel := its agents' ids in the order given. Rows
-- already equal are not touched.
WITH wanted AS ({{> channel_agent_ids}})
UPDATE channels AS c
SET members = w.ids,
    writers = w.ids,
    updated_at = now()
FROM wanted AS w
WHERE c.slug = w.channel_slug
  AND (c.members IS DISTINCT FROM w.ids OR c.writers IS DISTINCT FROM w.ids);

-- name: add_silent_observers :execrows
-- Append each (channel, agent) pair's agent to the channel's silent observers, once.
WITH wanted AS ({{> channel_agent_ids}})
UPDATE channels AS c
SET silent_observers = c.silent_observers || ARRAY(
        SELECT x FROM unnest(w.ids) WITH ORDINALITY AS n (x, ord)
        WHERE x <> ALL (c.silent_observers)
        ORDER BY n.ord
    ),
    updated_at = now()
FROM wanted AS w
WHERE c.slug = w.channel_slug
  AND NOT (w.ids <@ c.silent_observers);

-- name: seed_welcomes :execrows
-- For each listed channel that has no message yet: a "General" group, an active session
-- set as the group's active one, and one dialogue message by the given author. One row per
-- welcome written.
WITH todo AS MATERIALIZED (
    SELECT
        c.id AS channel_id, a.id AS author_id, w.content,
        gen_random_uuid() AS group_id, gen_random_uuid() AS session_id
    FROM unnest(:channel_slugs::text[], :author_slugs::text[], :contents::text[])
         AS w (channel_slug, author_slug, content)
    JOIN channels AS c ON c.slug = w.channel_slug
    JOIN agents AS a ON a.slug = w.author_slug
    WHERE NOT EXISTS (SELECT 1 FROM messages AS m WHERE m.channel_id = c.id)
),
new_groups AS (
    INSERT INTO groups (
        id, name, channel_id, allowed_roles, hierarchy_level, members, is_active,
        active_session_id, default_session_config, total_sessions, total_messages,
        last_activity, created_at, updated_at
    )
    SELECT
        group_id, 'General', channel_id, '{}'::varchar[], 0, '{}'::uuid[], true,
        session_id, '{}'::json, 0, 0, NULL, now(), NULL
    FROM todo
),
new_sessions AS (
    INSERT INTO sessions (
        id, group_id, max_time_window, max_message_count, max_content_length,
        timeout_seconds, status, scope, started_at, last_activity_at, closed_at,
        message_count, total_content_length, created_at
    )
    SELECT
        session_id, group_id, interval '30 minutes', 100, 50000, 300, 'active', 'task',
        now(), now(), NULL, 0, 0, now()
    FROM todo
)
INSERT INTO messages (
    id, agent_id, channel_id, group_id, session_id, type, content, content_length,
    is_reply, reply_to, mentions, task_id, commit_ref, "timestamp", confidence,
    raw_excerpt, edited_at, edit_history, created_at
)
SELECT
    gen_random_uuid(), author_id, channel_id, group_id, session_id, 'dialogue', content,
    char_length(content), false, NULL, '{}'::uuid[], NULL, NULL, now(), 1.0, NULL, NULL,
    '[]'::json, now()
FROM todo;
