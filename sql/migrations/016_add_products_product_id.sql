-- revision: 016_add_products_product_id
-- down_revision: 015_drop_task_execution_outputs
-- Introduces products (mapped to one project per team via product_projects) and an optional
-- tasks.product_id. Empty leftover copies of the two tables from an old bootstrap are removed first.

-- lint: allow drop-table only empty leftover copies from an old bootstrap are dropped (the block refuses one that holds rows); no code uses them
DO $$
DECLARE
    leftover TEXT;
    row_count BIGINT;
BEGIN
    FOREACH leftover IN ARRAY ARRAY['product_projects', 'products'] LOOP   -- child before parent
        IF to_regclass(leftover) IS NOT NULL THEN
            EXECUTE format('SELECT count(*) FROM %I', leftover) INTO row_count;
            IF row_count > 0 THEN
                RAISE EXCEPTION '016_add_products_product_id: leftover table % holds % row(s); refusing to drop it, investigate by hand',
                    leftover, row_count;
            END IF;
            EXECUTE format('DROP TABLE %I', leftover);
        END IF;
    END LOOP;
END
$$;

CREATE TABLE products (
    id           UUID          NOT NULL,
    name         VARCHAR(100)  NOT NULL,
    slug         VARCHAR(50)   NOT NULL,
    description  TEXT,
    created_by   UUID          NOT NULL,
    created_at   TIMESTAMPTZ   NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ,
    CONSTRAINT pk_products PRIMARY KEY (id),
    CONSTRAINT fk_products_created_by_agents FOREIGN KEY (created_by) REFERENCES agents (id)
);
CREATE UNIQUE INDEX ix_products_slug ON products (slug);

-- team reuses the existing enum from 001; it is referenced here, never created.
CREATE TABLE product_projects (
    id          UUID  NOT NULL,
    product_id  UUID  NOT NULL,
    team        team  NOT NULL,
    project_id  UUID  NOT NULL,
    CONSTRAINT pk_product_projects PRIMARY KEY (id),
    CONSTRAINT fk_product_projects_product_id_products FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_product_projects_project_id_projects FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE RESTRICT,
    CONSTRAINT uq_product_projects_product_team UNIQUE (product_id, team)
);
CREATE INDEX ix_product_projects_product_id ON product_projects (product_id);
CREATE INDEX ix_product_projects_project_id ON product_projects (project_id);

-- lint: allow constraint-not-valid the key is on product_id, added by this same statement: NULL in every row, so the check scan rejects nothing
ALTER TABLE tasks
    ADD COLUMN product_id UUID,
    ADD CONSTRAINT fk_tasks_product_id_products
        FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE RESTRICT;

-- lint: allow index-not-concurrent built in one transaction with the column and key above, so tasks gains all three or none
CREATE INDEX ix_tasks_product_status ON tasks (product_id, status);

-- down
-- irreversible: drops products, product_projects and tasks.product_id (tasks themselves stay)
DROP INDEX ix_tasks_product_status;
ALTER TABLE tasks DROP COLUMN product_id;
DROP TABLE product_projects;
DROP TABLE products;
