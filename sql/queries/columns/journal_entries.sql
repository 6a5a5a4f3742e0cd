-- The journal_entries row, written once: included as {{journal_entries}}.
id, journal_id, type, title, content, task_id, timestamp, tags, sentiment, is_private,
created_at, updated_at
