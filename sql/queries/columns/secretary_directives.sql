-- The secretary_directives row, written once: included as {{secretary_directives}}.
id, kind, payload, status, requested_by, requested_at, decided_by, decided_at, result
