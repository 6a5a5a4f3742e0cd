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
-- or about one task, and without private ones; keyset before a (timestamp, id) cursor.
SELECT
    {{journal_entries}}
FROM journal_entries
WHERE journal_id = :journal_id
  AND (:type::journalentrytype IS NULL OR type = :type::journalentrytype)
  AND (:task_id::uuid IS NULL OR task_id = :task_id::uuid)
  AND (:include_private::boolean OR NOT is_private)
  AND (timestamp, id) < (
      COALESCE(:before_at::timestamptz, 'infinity'::timestamptz),
      COALESCE(:before_id::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
  )
ORDER BY timestamp DESC, id DESC
LIMIT :limit;
