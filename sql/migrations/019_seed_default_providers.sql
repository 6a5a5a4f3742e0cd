-- revision: 019_seed_default_providers
-- down_revision: 018_task_project_id_nullable
-- Put the two default providers back on databases that were stamped past 004
-- without its seed rows; on a chain-built database the name conflict makes this a no-op.

INSERT INTO provider_configs (id, name, type, base_url, auth_token_encrypted, enabled, created_at)
VALUES
    (gen_random_uuid(), 'Anthropic (default)', 'anthropic',    NULL,                 NULL, TRUE,  now()),
    (gen_random_uuid(), 'Ollama Cloud',        'ollama_cloud', 'https://ollama.com', NULL, FALSE, now())
ON CONFLICT (name) DO NOTHING;

-- down
-- nothing to undo: on a chain-built database the two rows are 004's seed (this INSERT skipped
-- them), so they stay. RoboCo's downgrade deletes them; 018's schema has them.
