-- revision: 026_completed_dependency_ids
-- down_revision: 025_agentrole_prompter
-- Keep the ids of dependencies that have already completed, so a revived task can be
-- told what just landed upstream. Existing rows start with an empty list.

ALTER TABLE tasks
    ADD COLUMN completed_dependency_ids UUID[] NOT NULL DEFAULT '{}';

-- down
-- irreversible: drops tasks.completed_dependency_ids with its values
ALTER TABLE tasks DROP COLUMN completed_dependency_ids;
