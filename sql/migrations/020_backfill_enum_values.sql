-- revision: 020_backfill_enum_values
-- down_revision: 019_seed_default_providers
-- Add enum labels the application binds but earlier revisions never created.
-- IF NOT EXISTS keeps this harmless where 009's rebuild already produced a label.

ALTER TYPE notificationtype    ADD VALUE IF NOT EXISTS 'a2a_request';
ALTER TYPE notificationtype    ADD VALUE IF NOT EXISTS 'approval';
ALTER TYPE notificationtype    ADD VALUE IF NOT EXISTS 'knowledge_share';
ALTER TYPE notificationtype    ADD VALUE IF NOT EXISTS 'mention';
ALTER TYPE blockerresolvertype ADD VALUE IF NOT EXISTS 'agent';
ALTER TYPE blockerresolvertype ADD VALUE IF NOT EXISTS 'human';
ALTER TYPE handoffstatus       ADD VALUE IF NOT EXISTS 'accepted';
ALTER TYPE team                ADD VALUE IF NOT EXISTS 'fullstack';
ALTER TYPE team                ADD VALUE IF NOT EXISTS 'system';

-- down
-- The labels 020 added are removed by rebuilding each type ('approval', 'agent' and 'human'
-- were there before 020 and stay). A row still holding a removed label makes its cast fail:
-- move it to an older label or delete it first.
ALTER TYPE notificationtype RENAME TO notificationtype_old;
CREATE TYPE notificationtype AS ENUM (
    'task_assignment', 'priority_change', 'blocker_escalation', 'review_request',
    'documentation_request', 'alert', 'broadcast', 'approval'
);
ALTER TABLE notifications ALTER COLUMN type TYPE notificationtype USING type::text::notificationtype;
DROP TYPE notificationtype_old;

ALTER TYPE handoffstatus RENAME TO handoffstatus_old;
CREATE TYPE handoffstatus AS ENUM ('pending', 'claimed', 'in_progress', 'completed');
ALTER TABLE handoffs ALTER COLUMN status TYPE handoffstatus USING status::text::handoffstatus;
DROP TYPE handoffstatus_old;

ALTER TYPE team RENAME TO team_old;
CREATE TYPE team AS ENUM ('backend', 'frontend', 'ux_ui', 'main_pm', 'board', 'marketing');
ALTER TABLE agents ALTER COLUMN team TYPE team USING team::text::team;
ALTER TABLE projects ALTER COLUMN assigned_cell TYPE team USING assigned_cell::text::team;
ALTER TABLE tasks ALTER COLUMN team TYPE team USING team::text::team;
ALTER TABLE product_projects ALTER COLUMN team TYPE team USING team::text::team;
DROP TYPE team_old;
