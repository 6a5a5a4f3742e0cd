-- name: create_product :one
-- Insert one product; its cell map follows in the same transaction (add_product_projects).
INSERT INTO products ({{products}})
VALUES (:id, :name, :slug, :description, :created_by, :created_at, NULL)
RETURNING {{products}};

-- name: add_product_projects :many
-- Map cells to projects for one product in one statement (parallel arrays, one row each);
-- uq_product_projects_product_team allows one project per cell.
INSERT INTO product_projects (id, product_id, team, project_id)
SELECT m.id, :product_id, m.team, m.project_id
FROM unnest(:ids::uuid[], :teams::team[], :project_ids::uuid[]) AS m (id, team, project_id)
RETURNING id, product_id, team, project_id;

-- name: delete_product_projects :execrows
-- Drop a product's whole cell map, before update_product writes the replacement.
DELETE FROM product_projects
WHERE product_id = :product_id;

-- name: get_product :one
-- One product by primary key.
SELECT {{products}}
FROM products
WHERE id = :id;

-- name: get_product_by_slug :one
-- One product by slug (served by the unique index ix_products_slug).
SELECT {{products}}
FROM products
WHERE slug = :slug;

-- name: list_products :many
-- Products in slug order, keyset after a slug.
SELECT {{products}}
FROM products
WHERE (:after_slug::text IS NULL OR slug > :after_slug::text)
ORDER BY slug
LIMIT :limit;

-- name: list_product_projects :many
-- A product's cell map (ix_product_projects_product_id), in team order.
SELECT id, product_id, team, project_id
FROM product_projects
WHERE product_id = :product_id
ORDER BY team;

-- name: list_products_of_project :many
-- The products a project belongs to (ix_product_projects_project_id), slug order.
SELECT p.id, p.name, p.slug, p.description, p.created_by, p.created_at, p.updated_at
FROM products AS p
WHERE p.id IN (
    SELECT pp.product_id FROM product_projects AS pp WHERE pp.project_id = :project_id
)
ORDER BY p.slug;

-- name: update_product :one
-- Write the fields a ProductUpdate set (set_x true); no row back = no such product.
UPDATE products
SET name = CASE WHEN :set_name THEN :name ELSE name END,
    description = CASE WHEN :set_description THEN :description ELSE description END,
    updated_at = now()
WHERE id = :id
RETURNING {{products}};

-- name: resolve_product_project :one
-- The project one cell builds for one product (the unique key product_id, team), as a Project.
SELECT
    {{p.projects_head}}, p.git_token_encrypted IS NOT NULL AS has_git_token,
    {{p.projects_tail}}
FROM product_projects AS pp
JOIN projects AS p ON p.id = pp.project_id
WHERE pp.product_id = :product_id
  AND pp.team = :team::team;

-- name: page_products :many
-- Products by name (RoboCo's product list), by offset.
SELECT {{products}}
FROM products
ORDER BY name, id
LIMIT :limit
OFFSET :offset;

-- name: count_products :scalar
-- How many products there are.
SELECT count(*)
FROM products;

-- name: list_product_projects_of_products :many
-- The cell maps of a set of products, each in team order.
SELECT id, product_id, team, project_id
FROM product_projects
WHERE product_id = ANY(:product_ids::uuid[])
ORDER BY product_id, team;

-- name: delete_product :execrows
-- Delete one product; its cell map goes with it (ON DELETE CASCADE) and tasks that point at
-- it refuse (RESTRICT).
DELETE FROM products
WHERE id = :id;

-- name: task_progress_of_products :many
-- Each product's tasks by progress across its cells' projects, each project counted once per
-- product however many cells point at it (the monorepo case); RoboCo's product list bars. A
-- product whose projects have no tasks has no row.
SELECT
    pp.product_id AS id,
    count(*) FILTER (WHERE t.status = 'completed')::integer AS done,
    count(*) FILTER (WHERE t.status NOT IN ('completed', 'cancelled', 'blocked'))::integer
        AS active,
    count(*) FILTER (WHERE t.status = 'blocked')::integer AS blocked
FROM (
    SELECT DISTINCT product_id, project_id
    FROM product_projects
    WHERE product_id = ANY(:ids::uuid[])
) AS pp
JOIN tasks AS t ON t.project_id = pp.project_id
GROUP BY pp.product_id;
