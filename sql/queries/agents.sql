-- name: create_agent :one
-- Insert one agent (the human CEO included); every NOT NULL value comes from AgentCreate.
INSERT INTO agents (
    {{agents}}
) VALUES (
    :id, :name, :slug, :role, :team, :status, NULL, :model_config, :system_prompt,
    :capabilities, :permissions, :metrics, :journal_id, :description, :created_at, NULL
)
RETURNING
    {{agents}};

-- name: get_agent :one
-- One agent by primary key.
SELECT
    {{agents}}
FROM agents
WHERE id = :id;

-- name: get_agent_by_slug :one
-- One agent by its permanent slug (served by the unique index ix_agents_slug).
SELECT
    {{agents}}
FROM agents
WHERE slug = :slug;

-- name: get_ceo :one
-- The human CEO's agent row (role ceo); the roster has exactly one, the oldest wins if not.
SELECT
    {{agents}}
FROM agents
WHERE role = 'ceo'
ORDER BY created_at, id
LIMIT 1;

-- name: first_agent_with_role :one
-- The earliest-created agent of a role, optionally in one team (RoboCo's Main PM lookup and
-- its role + team lookups for QA, documenter and cell PM); ties broken by id.
SELECT
    {{agents}}
FROM agents
WHERE role = :role::agentrole
  AND (:team::team IS NULL OR team = :team::team)
ORDER BY created_at, id
LIMIT 1;

-- name: list_agents :many
-- Agents filtered by role, team and status (each NULL = any), slug order, keyset after a slug.
SELECT
    {{agents}}
FROM agents
WHERE (:role::agentrole IS NULL OR role = :role::agentrole)
  AND (:team::team IS NULL OR team = :team::team)
  AND (:status::agentstatus IS NULL OR status = :status::agentstatus)
  AND (:after_slug::text IS NULL OR slug > :after_slug::text)
ORDER BY slug
LIMIT :limit;

-- name: list_agents_by_ids :many
-- The agents among a set of ids (e.g. a channel's members), slug order; unknown ids are skipped.
SELECT
    {{agents}}
FROM agents
WHERE id = ANY(:ids::uuid[])
ORDER BY slug;

-- name: update_agent_status :one
-- Set an agent's status (and when it is busy, on what); no row back means no such agent.
UPDATE agents
SET status = :status,
    current_task_id = CASE WHEN :set_current_task_id THEN :current_task_id::uuid
                           ELSE current_task_id END,
    updated_at = now()
WHERE id = :id
RETURNING
    {{agents}};

-- name: update_agent :one
-- Write the fields an AgentUpdate set (set_x true), leave the others; no row back = no agent.
UPDATE agents
SET name = CASE WHEN :set_name THEN :name ELSE name END,
    status = CASE WHEN :set_status THEN :status::agentstatus ELSE status END,
    current_task_id = CASE WHEN :set_current_task_id THEN :current_task_id::uuid
                           ELSE current_task_id END,
    model_config = CASE WHEN :set_model_config THEN :model_config::json ELSE model_config END,
    system_prompt = CASE WHEN :set_system_prompt THEN :system_prompt ELSE system_prompt END,
    capabilities = CASE WHEN :set_capabilities THEN :capabilities::varchar[]
                        ELSE capabilities END,
    permissions = CASE WHEN :set_permissions THEN :permissions::json ELSE permissions END,
    description = CASE WHEN :set_description THEN :description ELSE description END,
    updated_at = now()
WHERE id = :id
RETURNING
    {{agents}};
