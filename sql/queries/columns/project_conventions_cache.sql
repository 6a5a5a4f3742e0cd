-- The project_conventions_cache row, written once: included as {{project_conventions_cache}}.
id, project_id, commit_sha, effective_map, status, derived_at
