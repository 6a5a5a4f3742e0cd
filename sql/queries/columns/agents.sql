-- The agents row, written once: included as {{agents}}.
id, name, slug, role, team, status, current_task_id, model_config, system_prompt, capabilities,
permissions, metrics, journal_id, description, created_at, updated_at
