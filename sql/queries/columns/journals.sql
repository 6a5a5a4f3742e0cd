-- The journals row, written once: included as {{journals}}.
id, agent_id, total_entries, last_entry_at, latest_summary, summary_updated_at, entries_by_type,
created_at, updated_at
