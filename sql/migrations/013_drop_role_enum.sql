-- revision: 013_drop_role_enum
-- down_revision: 012_align_agentrole_foundation
-- Drops the stray 'role' enum type some databases picked up next to agentrole, after checking
-- that no column still uses it.

DO $$
DECLARE
    users TEXT;
BEGIN
    SELECT string_agg(format('%I.%I', table_name, column_name), ', ')
    INTO users
    FROM information_schema.columns
    WHERE udt_schema = current_schema()
      AND udt_name = 'role';
    IF users IS NOT NULL THEN
        RAISE EXCEPTION '013_drop_role_enum: type role is still used by column(s) %; refusing to drop it', users;
    END IF;
    IF to_regtype('role') IS NOT NULL THEN
        DROP TYPE role;
    END IF;
END
$$;

-- down
-- nothing to undo: a chain-built database never has the stray role type that 013 drops
