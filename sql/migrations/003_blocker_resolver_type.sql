-- revision: 003_blocker_resolver_type
-- down_revision: 002_persistence_tables
-- Records who can clear a task's blocker (an agent or a human) so the dispatcher stops respawning
-- agents on blocks only a human can resolve. Labels are uppercase here; 009 lowercases them.

DO $$
BEGIN
    CREATE TYPE blockerresolvertype AS ENUM ('AGENT', 'HUMAN');
EXCEPTION
    WHEN duplicate_object THEN NULL;
END
$$;

ALTER TABLE tasks ADD COLUMN blocker_resolver_type blockerresolvertype;

-- down
-- irreversible: drops tasks.blocker_resolver_type with its values
ALTER TABLE tasks DROP COLUMN blocker_resolver_type;
DROP TYPE blockerresolvertype;
