-- revision: 018_task_project_id_nullable
-- down_revision: 017_reconcile_orm_schema_drift
-- Board / fan-out tasks point at a product rather than one repository, so a task
-- may now have no project; "project or product" is checked by the application.

ALTER TABLE tasks
    ALTER COLUMN project_id DROP NOT NULL;

-- down
-- A task with no project (a product-level one) makes this fail: give it a project or delete it first.
ALTER TABLE tasks
    ALTER COLUMN project_id SET NOT NULL;
