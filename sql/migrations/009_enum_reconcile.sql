-- revision: 009_enum_reconcile
-- down_revision: 008_align_skills
-- Makes enum labels match the lowercase values the application writes: enums with uppercase labels are
-- rebuilt lowercase (rows recast in place); if none exist, three labels the app needs are appended.

-- On a fresh chain the rebuild path is taken (002/003 left uppercase labels in notificationtype and
-- blockerresolvertype), so the additive step (agentrole.system, team.fullstack, taskstatus.quarantined)
-- is skipped there; 012 supplies 'system' later.
-- lint: allow alter-column-type lowercasing and merging labels needs a new type, so each column of it is recast; only databases with uppercase labels take this path
DO $$
DECLARE
    enum_name    TEXT;
    old_name     TEXT;
    new_labels   TEXT[];
    additions    TEXT[];
    label        TEXT;
    col          RECORD;
    default_expr TEXT;
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM pg_enum e
        JOIN pg_type t ON t.oid = e.enumtypid
        WHERE t.typnamespace = current_schema()::regnamespace
          AND e.enumlabel ~ '[A-Z]'
    ) THEN
        -- Nothing to rebuild: just add the labels the application already uses.
        ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'system';
        ALTER TYPE team ADD VALUE IF NOT EXISTS 'fullstack';
        ALTER TYPE taskstatus ADD VALUE IF NOT EXISTS 'quarantined';
        RETURN;
    END IF;

    FOR enum_name IN
        SELECT DISTINCT t.typname::TEXT
        FROM pg_enum e
        JOIN pg_type t ON t.oid = e.enumtypid
        WHERE t.typnamespace = current_schema()::regnamespace
          AND e.enumlabel ~ '[A-Z]'
        ORDER BY 1
    LOOP
        old_name := enum_name || '_old';

        -- New label list: current labels lowercased (first occurrence wins, order kept),
        -- then this type's wanted additions if still missing.
        new_labels := ARRAY[]::TEXT[];
        FOR label IN
            SELECT lower(e.enumlabel)
            FROM pg_enum e
            WHERE e.enumtypid = format('%I', enum_name)::regtype
            ORDER BY e.enumsortorder
        LOOP
            IF NOT label = ANY (new_labels) THEN
                new_labels := new_labels || label;
            END IF;
        END LOOP;
        additions := CASE enum_name
                         WHEN 'agentrole'  THEN ARRAY['system']
                         WHEN 'team'       THEN ARRAY['fullstack']
                         WHEN 'taskstatus' THEN ARRAY['quarantined']
                         ELSE ARRAY[]::TEXT[]
                     END;
        FOREACH label IN ARRAY additions LOOP
            IF NOT label = ANY (new_labels) THEN
                new_labels := new_labels || label;
            END IF;
        END LOOP;

        EXECUTE format('ALTER TYPE %I RENAME TO %I', enum_name, old_name);
        EXECUTE format('CREATE TYPE %I AS ENUM (%s)', enum_name,
                       (SELECT string_agg(quote_literal(l), ', ' ORDER BY ord)
                        FROM unnest(new_labels) WITH ORDINALITY AS u(l, ord)));

        -- Recast every table column of the old type; values are lowercased on the way.
        FOR col IN
            SELECT c.oid::regclass AS tbl, a.attname::TEXT AS colname,
                   pg_get_expr(d.adbin, d.adrelid) AS default_expr
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.atttypid = format('%I', old_name)::regtype
              AND a.attnum > 0
              AND NOT a.attisdropped
              AND c.relkind = 'r'
        LOOP
            IF col.default_expr IS NOT NULL THEN
                EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', col.tbl, col.colname);
            END IF;
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE %I USING lower(%I::text)::%I',
                           col.tbl, col.colname, enum_name, col.colname, enum_name);
            IF col.default_expr IS NOT NULL THEN
                -- A plain label default is re-applied lowercased; anything else is re-pointed at the new type.
                IF col.default_expr ~ ('^''[^'']*''::' || old_name || '$') THEN
                    default_expr := format('%L::%I', lower(substring(col.default_expr FROM '^''([^'']*)''')), enum_name);
                ELSE
                    default_expr := replace(col.default_expr, '::' || old_name, '::' || enum_name);
                END IF;
                EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', col.tbl, col.colname, default_expr);
            END IF;
        END LOOP;

        EXECUTE format('DROP TYPE %I', old_name);
    END LOOP;
END
$$;

-- down
-- 009 lowercased the labels 002 and 003 created; the down brings back the uppercase labels and
-- rewrites the rows to match (a one-to-one rename, nothing is lost). RoboCo's downgrade is a no-op.
ALTER TYPE notificationtype RENAME TO notificationtype_old;
CREATE TYPE notificationtype AS ENUM (
    'task_assignment', 'priority_change', 'blocker_escalation', 'review_request',
    'documentation_request', 'alert', 'broadcast', 'APPROVAL'
);
ALTER TABLE notifications ALTER COLUMN type TYPE notificationtype
    USING (CASE type::text WHEN 'approval' THEN 'APPROVAL' ELSE type::text END)::notificationtype;
DROP TYPE notificationtype_old;

ALTER TYPE blockerresolvertype RENAME TO blockerresolvertype_old;
CREATE TYPE blockerresolvertype AS ENUM ('AGENT', 'HUMAN');
ALTER TABLE tasks ALTER COLUMN blocker_resolver_type TYPE blockerresolvertype
    USING upper(blocker_resolver_type::text)::blockerresolvertype;
DROP TYPE blockerresolvertype_old;
