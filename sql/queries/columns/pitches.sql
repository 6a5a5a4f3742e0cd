-- The pitches row, written once: included as {{pitches}}.
id, title, slug, problem, proposed_solution, target_cells, status, created_by, decided_by,
decision_notes, provisioned_product_id, provisioned_project_ids, seed_task_id, created_at,
updated_at
