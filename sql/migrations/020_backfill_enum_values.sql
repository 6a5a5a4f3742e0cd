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
