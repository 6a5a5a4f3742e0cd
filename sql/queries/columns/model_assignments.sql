-- The model_assignments row, written once: included as {{model_assignments}}.
id, scope, scope_value, provider_config_id, model_name, created_at, updated_at
