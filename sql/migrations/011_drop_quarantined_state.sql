-- revision: 011_drop_quarantined_state
-- down_revision: 010_audit_log_details_jsonb
-- Removes the never-used 'quarantined' task status by rebuilding taskstatus with its 14 lifecycle labels
-- (PostgreSQL cannot drop a label); rows and defaults are carried over, and it refuses if a row is quarantined.

-- lint: allow alter-column-type PostgreSQL cannot drop an enum label, so dropping 'quarantined' means a new taskstatus and a recast of its columns; rows using it are refused first
DO $$
DECLARE
    col          RECORD;
    bad_rows     BIGINT;
    new_labels   CONSTANT TEXT[] := ARRAY[
        'backlog', 'pending', 'claimed', 'in_progress', 'blocked', 'paused', 'verifying',
        'needs_revision', 'awaiting_qa', 'awaiting_documentation', 'awaiting_pm_review',
        'awaiting_ceo_approval', 'completed', 'cancelled'
    ];
BEGIN
    -- Pre-flight on every table column typed taskstatus.
    FOR col IN
        SELECT c.oid::regclass AS tbl, a.attname::TEXT AS colname
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        WHERE a.atttypid = 'taskstatus'::regtype
          AND a.attnum > 0
          AND NOT a.attisdropped
          AND c.relkind = 'r'
    LOOP
        EXECUTE format('SELECT count(*) FROM %s WHERE %I::text = %L', col.tbl, col.colname, 'quarantined')
            INTO bad_rows;
        IF bad_rows > 0 THEN
            RAISE EXCEPTION '011_drop_quarantined_state: % row(s) in %.% still have status ''quarantined''; move them to a real state (e.g. pending or cancelled) and run this migration again',
                bad_rows, col.tbl, col.colname;
        END IF;
        EXECUTE format('SELECT count(*) FROM %s WHERE NOT (%I::text = ANY (%L::text[]))', col.tbl, col.colname, new_labels)
            INTO bad_rows;
        IF bad_rows > 0 THEN
            RAISE EXCEPTION '011_drop_quarantined_state: % row(s) in %.% hold a status outside the 14 lifecycle labels; refusing to rebuild taskstatus',
                bad_rows, col.tbl, col.colname;
        END IF;
    END LOOP;

    ALTER TYPE taskstatus RENAME TO taskstatus_old;
    EXECUTE format('CREATE TYPE taskstatus AS ENUM (%s)',
                   (SELECT string_agg(quote_literal(l), ', ' ORDER BY ord)
                    FROM unnest(new_labels) WITH ORDINALITY AS u(l, ord)));

    -- Recast each column; its default is dropped first and then re-applied against the new type.
    FOR col IN
        SELECT c.oid::regclass AS tbl, a.attname::TEXT AS colname,
               pg_get_expr(d.adbin, d.adrelid) AS default_expr
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.atttypid = 'taskstatus_old'::regtype
          AND a.attnum > 0
          AND NOT a.attisdropped
          AND c.relkind = 'r'
    LOOP
        IF col.default_expr IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', col.tbl, col.colname);
        END IF;
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE taskstatus USING %I::text::taskstatus',
                       col.tbl, col.colname, col.colname);
        IF col.default_expr IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', col.tbl, col.colname,
                           replace(col.default_expr, '::taskstatus_old', '::taskstatus'));
        END IF;
    END LOOP;

    DROP TYPE taskstatus_old;
END
$$;

-- down
-- nothing to undo: on a chain-built database taskstatus never had 'quarantined' (009 takes
-- its rebuild path, which skips it), so 011's rebuild leaves the same 14 labels
