-- The handoffs row, written once: included as {{handoffs}}.
id, task_id, summary, new_functionality, modified_behavior, breaking_changes, required_docs,
optional_docs, commits, new_files, modified_files, key_conversations, code_samples, gotchas,
related_docs, changelog_entry, key_learnings, key_decisions, questions, dev_notes_location,
status, assigned_to, created_at, updated_at, claimed_at, completed_at, documenter_notes
