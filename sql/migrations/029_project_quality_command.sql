-- revision: 029_project_quality_command
-- down_revision: 028_seed_self_hosted_provider
-- Optional per-project command for the fast pre-submit gate (lint, types, complexity).

ALTER TABLE projects
    ADD COLUMN quality_command VARCHAR(500);

-- down
-- irreversible: drops projects.quality_command with its values
ALTER TABLE projects DROP COLUMN quality_command;
