-- The task_review_findings row, written once: included as {{task_review_findings}}.
id, task_id, origin, round, author_slug, file, line, severity, criterion, expected, actual, fix,
evidence, status, addressed_by_commit, resolution_note, created_at, updated_at
