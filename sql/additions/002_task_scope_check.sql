-- addition: task_scope_check
-- requires: 044_convention_findings
-- default: off
-- The task scope rule in the database: a task points at exactly one of project_id (the repo it
-- targets) or product_id (a product whose cells it fans out to), "one or the other, never
-- both", as RoboCo's docs state it. "Neither" is refused too: RoboCo's TaskService refuses a
-- task with neither id on every create path.
--
-- OFF by default, because RoboCo's own code breaks the rule: its delegation path creates a
-- fan-out parent's cell subtasks with the resolved project_id AND the parent's product_id.
-- With this CHECK on, such an INSERT (or any UPDATE of such a row) fails with a check
-- violation (roboco_sql's repositories raise ValidationError naming rsql_tasks_scope). Turn it
-- on (ROBOCO_DATABASE_ADDITIONS=default,task_scope_check) once the orchestrator writes one id.
--
-- Added NOT VALID (new and updated rows are checked at once, existing rows not scanned), then
-- validated only when no row violates it; otherwise it stays NOT VALID and a WARNING names the
-- rows. Fix, then validate (roboco_sql.repos.tasks.scope_violations / validate_scope), e.g.
-- for cell subtasks that carry both ids, keep the concrete repo:
--   UPDATE tasks SET product_id = NULL WHERE project_id IS NOT NULL AND product_id IS NOT NULL;
--   ALTER TABLE tasks VALIDATE CONSTRAINT rsql_tasks_scope;
-- Idempotent: it runs again whenever the chain moves, and then only re-checks.

DO $$
DECLARE
    validated boolean;
    violating bigint;
    first_ids text;
BEGIN
    SELECT convalidated INTO validated
      FROM pg_constraint
     WHERE conrelid = 'public.tasks'::regclass AND conname = 'rsql_tasks_scope';
    IF validated THEN
        RETURN;
    END IF;
    IF validated IS NULL THEN
        ALTER TABLE tasks ADD CONSTRAINT rsql_tasks_scope
            CHECK (num_nonnulls(project_id, product_id) = 1) NOT VALID;
    END IF;

    SELECT count(*), string_agg(id::text, ', ' ORDER BY created_at, id) FILTER (WHERE rn <= 20)
      INTO violating, first_ids
      FROM (SELECT id, created_at, row_number() OVER (ORDER BY created_at, id) AS rn
              FROM tasks
             WHERE num_nonnulls(project_id, product_id) <> 1) AS v;

    IF violating = 0 THEN
        ALTER TABLE tasks VALIDATE CONSTRAINT rsql_tasks_scope;
    ELSE
        RAISE WARNING '% task(s) set both or neither of project_id/product_id, so '
                      'rsql_tasks_scope stays NOT VALID and updates of those rows fail until '
                      'fixed: %; fix them, then run ALTER TABLE tasks VALIDATE CONSTRAINT '
                      'rsql_tasks_scope',
                      violating,
                      first_ids || CASE WHEN violating > 20
                                        THEN format(' (and %s more)', violating - 20)
                                        ELSE '' END
              USING HINT = 'cell subtasks that carry both ids: UPDATE tasks SET product_id = NULL '
                           'WHERE project_id IS NOT NULL AND product_id IS NOT NULL';
    END IF;
END
$$;

-- down
-- The CHECK goes (valid or NOT VALID alike); no row is touched.
ALTER TABLE tasks DROP CONSTRAINT IF EXISTS rsql_tasks_scope;
