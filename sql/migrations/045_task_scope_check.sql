-- revision: 045_task_scope_check
-- down_revision: 044_convention_findings
-- The task scope rule in the database: a task points at exactly one of project_id (the repo it
-- targets) or product_id (a product whose cells it fans out to) -- "one or the other, never
-- both", as RoboCo's docs state it.
--
-- "Neither" is refused too. RoboCo's TaskService.create refuses a task with neither id on every
-- create path (API, a2a, gateway, prompter, pitch seed), and project_id was NOT NULL until 018,
-- so a row with neither can only come from writes outside the service; such a row has no repo
-- and no cell map, so no lifecycle step can act on it. Both FKs are ON DELETE RESTRICT, so
-- deleting a project or product never empties a task's scope behind its back.
--
-- "Both" does occur on RoboCo databases: its delegation path creates a fan-out parent's cell
-- subtasks with the resolved project_id AND the parent's product_id. So the constraint is added
-- NOT VALID (new and updated rows are checked at once; existing rows are not scanned), and it
-- is validated below only when no row violates it. Otherwise it stays NOT VALID and a WARNING
-- names the rows (the runner echoes it to the operator as "045_task_scope_check: WARNING: ...").
-- Until a violating row is fixed, every UPDATE of that row fails on ck_tasks_scope.
--
-- Fix, then validate (roboco_sql.repos.tasks.scope_violations / validate_scope), e.g. for
-- cell subtasks that carry both ids, keep the concrete repo:
--   UPDATE tasks SET product_id = NULL WHERE project_id IS NOT NULL AND product_id IS NOT NULL;
--   ALTER TABLE tasks VALIDATE CONSTRAINT ck_tasks_scope;
--
-- One transaction: the ACCESS EXCLUSIVE lock taken by ADD CONSTRAINT is held through the scan
-- of tasks, which is small (thousands of rows at RoboCo's scale); in exchange the file applies
-- entirely or not at all.

ALTER TABLE tasks
    ADD CONSTRAINT ck_tasks_scope CHECK (num_nonnulls(project_id, product_id) = 1) NOT VALID;

DO $$
DECLARE
    violating bigint;
    first_ids text;
BEGIN
    SELECT count(*), string_agg(id::text, ', ' ORDER BY created_at, id) FILTER (WHERE rn <= 20)
      INTO violating, first_ids
      FROM (SELECT id, created_at, row_number() OVER (ORDER BY created_at, id) AS rn
              FROM tasks
             WHERE num_nonnulls(project_id, product_id) <> 1) AS v;

    IF violating = 0 THEN
        ALTER TABLE tasks VALIDATE CONSTRAINT ck_tasks_scope;
    ELSE
        RAISE WARNING '% task(s) set both or neither of project_id/product_id, so ck_tasks_scope '
                      'stays NOT VALID and updates of those rows fail until fixed: %; fix them, '
                      'then run ALTER TABLE tasks VALIDATE CONSTRAINT ck_tasks_scope',
                      violating,
                      first_ids || CASE WHEN violating > 20
                                        THEN format(' (and %s more)', violating - 20)
                                        ELSE '' END
              USING HINT = 'cell subtasks that carry both ids: UPDATE tasks SET product_id = NULL '
                           'WHERE project_id IS NOT NULL AND product_id IS NOT NULL';
    END IF;
END
$$;
