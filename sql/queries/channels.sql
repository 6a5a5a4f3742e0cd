-- name: create_channel :one
-- Insert one channel; counters start at zero and it starts unarchived (RoboCo's app defaults).
INSERT INTO channels (
    {{channels}}
) VALUES (
    :id, :name, :slug, :type, :description, :topic, :members::uuid[], :writers::uuid[],
    :silent_observers::uuid[], false, :is_private, :allow_threads, :allow_reactions,
    :message_retention_days, :max_message_length, 0, 0, NULL, :created_at, NULL
)
RETURNING
    {{channels}};

-- name: get_channel :one
-- One channel by primary key.
SELECT
    {{channels}}
FROM channels
WHERE id = :id;

-- name: get_channel_by_slug :one
-- One channel by its unique slug (served by the unique index ix_channels_slug).
SELECT
    {{channels}}
FROM channels
WHERE slug = :slug;

-- name: get_channel_by_name :one
-- One channel by display name; names are not unique in the schema, so the oldest one wins.
SELECT
    {{channels}}
FROM channels
WHERE name = :name
ORDER BY created_at, id
LIMIT 1;

-- name: list_channels :many
-- Channels by slug, optionally of one type and with the archived ones; keyset after a slug.
SELECT
    {{channels}}
FROM channels
WHERE (:type::channeltype IS NULL OR type = :type::channeltype)
  AND (:include_archived::boolean OR NOT is_archived)
  AND (:after_slug::text IS NULL OR slug > :after_slug::text)
ORDER BY slug
LIMIT :limit;

-- name: update_channel :one
-- Write the ChannelUpdate fields whose set_ flag is true; the rest keep their value.
UPDATE channels SET
    name = CASE WHEN :set_name::boolean THEN :name::varchar ELSE name END,
    description = CASE WHEN :set_description::boolean THEN :description::text
        ELSE description END,
    topic = CASE WHEN :set_topic::boolean THEN :topic::varchar ELSE topic END,
    members = CASE WHEN :set_members::boolean THEN :members::uuid[] ELSE members END,
    writers = CASE WHEN :set_writers::boolean THEN :writers::uuid[] ELSE writers END,
    silent_observers = CASE WHEN :set_silent_observers::boolean
        THEN :silent_observers::uuid[] ELSE silent_observers END,
    is_archived = CASE WHEN :set_is_archived::boolean THEN :is_archived::boolean
        ELSE is_archived END,
    is_private = CASE WHEN :set_is_private::boolean THEN :is_private::boolean
        ELSE is_private END,
    allow_threads = CASE WHEN :set_allow_threads::boolean THEN :allow_threads::boolean
        ELSE allow_threads END,
    allow_reactions = CASE WHEN :set_allow_reactions::boolean THEN :allow_reactions::boolean
        ELSE allow_reactions END,
    message_retention_days = CASE WHEN :set_message_retention_days::boolean
        THEN :message_retention_days::integer ELSE message_retention_days END,
    max_message_length = CASE WHEN :set_max_message_length::boolean
        THEN :max_message_length::integer ELSE max_message_length END,
    updated_at = :updated_at
WHERE id = :id
RETURNING
    {{channels}};

-- name: create_group :one
-- Insert one group and bump its channel's group_count in the same statement, as RoboCo does.
WITH bump AS (
    UPDATE channels SET group_count = group_count + 1
    WHERE id = :channel_id
)
INSERT INTO groups (
    {{groups}}
) VALUES (
    :id, :name, :channel_id, :allowed_roles::varchar[], :hierarchy_level, :members::uuid[],
    :is_active, NULL, :default_session_config, 0, 0, NULL, :created_at, NULL
)
RETURNING
    {{groups}};

-- name: get_group :one
-- One group by primary key.
SELECT
    {{groups}}
FROM groups
WHERE id = :id;

-- name: list_groups_by_channel :many
-- A channel's groups, top of the hierarchy first then by name (RoboCo's order); served by
-- ix_groups_channel_id.
SELECT
    {{groups}}
FROM groups
WHERE channel_id = :channel_id
  AND (:include_inactive::boolean OR is_active)
ORDER BY hierarchy_level, name, id;

-- name: list_groups_by_ids :many
-- Groups by a set of ids (one round trip for a page of sessions), in no particular order.
SELECT
    {{groups}}
FROM groups
WHERE id = ANY(:ids::uuid[]);

-- name: list_channels_by_ids :many
-- Channels by a set of ids, in no particular order.
SELECT
    {{channels}}
FROM channels
WHERE id = ANY(:ids::uuid[]);

-- name: page_channels :many
-- Channels by name (RoboCo's paginated channel list), optionally only those whose slug is in
-- a set (the channels an agent may read), archived ones only on request; by offset.
SELECT
    {{channels}}
FROM channels
WHERE (:slugs::text[] IS NULL OR slug = ANY(:slugs::text[]))
  AND (:include_archived::boolean OR NOT is_archived)
ORDER BY name, id
LIMIT :limit
OFFSET :offset;

-- name: count_channels :scalar
-- How many channels page_channels' filters hold.
SELECT count(*)
FROM channels
WHERE (:slugs::text[] IS NULL OR slug = ANY(:slugs::text[]))
  AND (:include_archived::boolean OR NOT is_archived);

-- name: add_channel_member :one
-- Add an agent to a channel's members, and to its writers when it may write, each unless
-- already there: one statement, so concurrent additions all survive. No row: no such channel.
UPDATE channels SET
    members = CASE WHEN :member_id::uuid = ANY(members) THEN members
        ELSE array_append(members, :member_id::uuid) END,
    writers = CASE WHEN NOT :can_write::boolean OR :member_id::uuid = ANY(writers) THEN writers
        ELSE array_append(writers, :member_id::uuid) END,
    updated_at = :updated_at
WHERE id = :id
RETURNING
    {{channels}};

-- name: remove_channel_member :one
-- Take an agent off a channel's members and writers in one statement. No row: no such channel.
UPDATE channels SET
    members = array_remove(members, :member_id::uuid),
    writers = array_remove(writers, :member_id::uuid),
    updated_at = :updated_at
WHERE id = :id
RETURNING
    {{channels}};
