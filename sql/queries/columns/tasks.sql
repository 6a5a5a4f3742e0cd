-- The task row as models.Task reads it: every column of tasks, in table order, written once.
-- Queries include it as {{tasks}} (or {{t.tasks}} to qualify each column with an alias t); the
-- agreement tests check it against the table and the model, column for field.
id, title, description, acceptance_criteria, acceptance_criteria_ids, parent_ac_refs,
status, blocker_resolver_type, blocker_raised_by, priority, task_type, nature, project_id,
product_id, branch_name, work_session_id, pr_number, pr_url, docs_complete, pr_created,
board_review_complete, created_by, assigned_to, team, parent_task_id, dependency_ids,
blocker_ids, completed_dependency_ids, sequence, created_at, updated_at, claimed_at,
claimed_by, started_at, completed_at, target_date, plan, estimated_complexity, checkpoints,
progress_updates, commits, documents, dev_notes, qa_notes, auditor_notes, self_verified,
qa_verified, quick_context, proactive_context, pr_reviewer_notes, doc_notes,
notes_structured, orchestration_markers, active_claimant_id, last_heartbeat_at,
pre_block_state, pre_block_assignee, pre_block_metadata, acceptance_criteria_status,
qa_evidence_inspected, source, confirmed_by_human, revision_count, batch_id,
intends_to_touch, adds_migration, touches_shared, constraints, pm_notes, budget_usd,
stalled_reason, stalled_since
