-- The products row, written once: included as {{products}}.
id, name, slug, description, created_by, created_at, updated_at
