-- revision: 010_audit_log_details_jsonb
-- down_revision: 009_enum_reconcile
-- audit_log.details must be JSONB so the application can filter on keys inside it. A chain-built
-- database already has JSONB (from 002); only a JSON column left by an older bootstrap is converted.

-- lint: allow alter-column-type runs only where audit_log.details is still JSON from an older bootstrap; a chain-built database has JSONB and skips it
DO $$
BEGIN
    IF (SELECT format_type(atttypid, atttypmod)
        FROM pg_attribute
        WHERE attrelid = 'audit_log'::regclass AND attname = 'details' AND NOT attisdropped) <> 'jsonb' THEN
        ALTER TABLE audit_log ALTER COLUMN details DROP DEFAULT;
        ALTER TABLE audit_log ALTER COLUMN details TYPE JSONB USING details::jsonb;
    END IF;
END
$$;

ALTER TABLE audit_log ALTER COLUMN details SET DEFAULT '{}'::jsonb;

-- down
-- nothing to undo: on a chain-built database audit_log.details was JSONB with this default
-- already (002); 010 only converts a JSON column an older bootstrap left
