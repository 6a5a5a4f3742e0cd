-- name: create_journal_if_missing :one
-- Insert an agent's empty journal unless it has one (uq_journals_agent_id); no row when it
-- does, and the caller reads the existing one with get_journal_by_agent.
INSERT INTO journals (
    {{journals}}
) VALUES (
    :id, :agent_id, 0, NULL, NULL, NULL, '{}'::json, :created_at, NULL
)
ON CONFLICT (agent_id) DO NOTHING
RETURNING
    {{journals}};

-- name: get_journal :one
-- One journal by primary key.
SELECT
    {{journals}}
FROM journals
WHERE id = :id;

-- name: get_journal_by_agent :one
-- An agent's journal (one per agent, uq_journals_agent_id).
SELECT
    {{journals}}
FROM journals
WHERE agent_id = :agent_id;

-- name: add_journal_entry :one
-- Insert one entry and update its journal's total_entries, last_entry_at and entries_by_type
-- (type -> count), in one statement, as RoboCo's create_entry does.
WITH tally AS (
    UPDATE journals SET
        total_entries = total_entries + 1,
        last_entry_at = GREATEST(last_entry_at, :timestamp::timestamptz),
        entries_by_type = (
            entries_by_type::jsonb || jsonb_build_object(
                :type::text,
                COALESCE((entries_by_type::jsonb ->> :type::text)::integer, 0) + 1
            )
        )::json,
        updated_at = :created_at::timestamptz
    WHERE id = :journal_id
)
INSERT INTO journal_entries (
    {{journal_entries}}
) VALUES (
    :id, :journal_id, :type::journalentrytype, :title, :content, :task_id, :timestamp,
    :tags::varchar[], :sentiment, :is_private, :created_at, NULL
)
RETURNING
    {{journal_entries}};

-- name: get_journal_entry :one
-- One journal entry by primary key.
SELECT
    {{journal_entries}}
FROM journal_entries
WHERE id = :id;

-- name: list_journal_entries :many
-- A journal's entries newest first, optionally of one kind (ix_journal_entries_journal_type)
-- or about one task, and without private ones; keyset before a (timestamp, id) cursor, or
-- RoboCo's offset.
SELECT
    {{journal_entries}}
FROM journal_entries
WHERE journal_id = :journal_id
  AND (:type::journalentrytype IS NULL OR type = :type::journalentrytype)
  AND (:task_id::uuid IS NULL OR task_id = :task_id::uuid)
  AND (:include_private::boolean OR NOT is_private)
  AND (timestamp, id) < ({{> before_cursor}})
ORDER BY timestamp DESC, id DESC
LIMIT :limit
OFFSET :offset;

-- name: delete_journal_entry :one
-- Delete one entry and take it off its journal's tallies (total and its kind's count, never
-- below zero) in the same statement, as RoboCo's delete_entry does. No row when no such entry.
WITH gone AS (
    DELETE FROM journal_entries
    WHERE id = :id
    RETURNING
        {{journal_entries}}
), tally AS (
    UPDATE journals AS j SET
        total_entries = GREATEST(j.total_entries - 1, 0),
        entries_by_type = CASE
            WHEN j.entries_by_type::jsonb ? gone.type::text THEN (
                j.entries_by_type::jsonb || jsonb_build_object(
                    gone.type::text,
                    GREATEST((j.entries_by_type::jsonb ->> gone.type::text)::integer - 1, 0)
                )
            )::json
            ELSE j.entries_by_type
        END,
        updated_at = now()
    FROM gone
    WHERE j.id = gone.journal_id
)
SELECT
    {{journal_entries}}
FROM gone;

-- name: list_task_journal_highlights :many
-- The journal entries about a task (and, when asked, about each of its ancestors, walked up
-- parent_task_id with a cycle guard, at most max_depth levels up) of the given kinds, with
-- their author's slug and role, optionally only authors of some roles; oldest first.
WITH RECURSIVE scope (id, depth, path) AS (
    SELECT :task_id::uuid, 0, ARRAY[:task_id::uuid]
    UNION ALL
    SELECT t.parent_task_id, s.depth + 1, s.path || t.parent_task_id
    FROM scope AS s
    JOIN tasks AS t ON t.id = s.id
    WHERE :include_ancestors::boolean
      AND t.parent_task_id IS NOT NULL
      AND NOT t.parent_task_id = ANY(s.path)
      AND s.depth < :max_depth::integer
)
SELECT
    e.id AS entry_id,
    e.task_id,
    e.type,
    e.title,
    CASE WHEN :content_cap::integer IS NULL THEN e.content
        ELSE left(e.content, :content_cap::integer) END AS content,
    e.timestamp,
    a.id AS author_id,
    a.slug AS author_slug,
    a.role AS author_role
FROM journal_entries AS e
JOIN journals AS j ON j.id = e.journal_id
JOIN agents AS a ON a.id = j.agent_id
WHERE e.task_id IN (SELECT id FROM scope)
  AND e.type = ANY(:types::journalentrytype[])
  AND (:roles::agentrole[] IS NULL OR a.role = ANY(:roles::agentrole[]))
ORDER BY e.timestamp, e.id
LIMIT :limit;

-- name: agent_has_task_entry :scalar
-- Whether an agent wrote an entry of one kind about a task (the choreographer's tracing
-- gates: decision, note, learning, reflection, struggle).
SELECT EXISTS (
    SELECT 1
    FROM journal_entries AS e
    JOIN journals AS j ON j.id = e.journal_id
    WHERE j.agent_id = :agent_id
      AND e.task_id = :task_id
      AND e.type = :type::journalentrytype
);

-- name: latest_agent_task_entry_at :scalar
-- When an agent last wrote an entry of one kind about a task (created_at, as RoboCo's
-- latest_decision_at reads it); NULL when it never did.
SELECT max(e.created_at)
FROM journal_entries AS e
JOIN journals AS j ON j.id = e.journal_id
WHERE j.agent_id = :agent_id
  AND e.task_id = :task_id
  AND e.type = :type::journalentrytype;

-- name: agent_has_entry_since :scalar
-- Whether an agent wrote any entry (any kind, any task) timestamped at or after a time.
SELECT EXISTS (
    SELECT 1
    FROM journal_entries AS e
    JOIN journals AS j ON j.id = e.journal_id
    WHERE j.agent_id = :agent_id
      AND e.timestamp >= :since::timestamptz
);

-- name: count_resolved_struggles :scalar
-- How many of a journal's struggle entries carry a "## Resolution" section (the numerator of
-- RoboCo's struggle resolution rate).
SELECT count(*)
FROM journal_entries
WHERE journal_id = :journal_id
  AND type = 'struggle'
  AND strpos(content, '## Resolution') > 0;

-- name: recurring_learning_titles :many
-- Public learning titles written at least min_count times, the most frequent first (the
-- librarian's recurring patterns).
SELECT title, count(*)::integer AS count
FROM journal_entries
WHERE type = 'learning' AND NOT is_private
GROUP BY title
HAVING count(*) >= :min_count
ORDER BY count(*) DESC, title
LIMIT :limit;

-- name: recent_learning_titles :many
-- The newest public learning entries' titles, each with a count of 1 (the librarian's sample
-- when nothing recurs yet).
SELECT title, 1 AS count
FROM journal_entries
WHERE type = 'learning' AND NOT is_private
ORDER BY timestamp DESC, id DESC
LIMIT :limit;

-- name: list_task_entry_times :many
-- When each journal entry about any of a set of tasks was written (metrics' activity
-- timeline; served by ix_journal_entries_task_id).
SELECT task_id, timestamp
FROM journal_entries
WHERE task_id = ANY(:task_ids::uuid[])
ORDER BY task_id, timestamp;
