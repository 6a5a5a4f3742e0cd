-- revision: 057_project_sandbox_services
-- down_revision: 056_member_perf_daily
-- Services (e.g. postgres, redis) to provision as sandbox siblings for a project's work;
-- NULL keeps today's behaviour (no sandbox).

ALTER TABLE projects
    ADD COLUMN sandbox_services VARCHAR[];

-- down
-- irreversible: drops projects.sandbox_services with its values
ALTER TABLE projects
    DROP COLUMN sandbox_services;
