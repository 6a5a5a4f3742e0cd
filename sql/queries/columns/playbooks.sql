-- The playbooks row, written once: included as {{playbooks}}.
id, title, slug, problem, procedure, tags, team, scope, source_task_ids, status, created_by,
approved_by, created_at, approved_at, archived_by, archived_at, indexed_ok, indexed_at,
source_program
