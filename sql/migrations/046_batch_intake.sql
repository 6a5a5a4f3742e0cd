-- revision: 046_batch_intake
-- down_revision: 045_observability_rework
-- Batch intake: top-level tasks of one batch share batch_id, and three descriptors say what
-- each task may collide on (paths it touches, whether it adds a migration or touches shared
-- code) so the batch can be sequenced into waves. Old tasks read NULL / false.

ALTER TABLE tasks
    ADD COLUMN batch_id         UUID,
    ADD COLUMN intends_to_touch VARCHAR[],
    ADD COLUMN adds_migration   BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN touches_shared   BOOLEAN NOT NULL DEFAULT false;

-- lint: allow index-not-concurrent built in one transaction with the column above (NULL in every row), so tasks gains both or neither, as upstream
CREATE INDEX ix_tasks_batch_id ON tasks (batch_id);

-- down
-- irreversible: drops the batch columns of tasks (batch_id and the three collision descriptors)
DROP INDEX ix_tasks_batch_id;
ALTER TABLE tasks
    DROP COLUMN touches_shared,
    DROP COLUMN adds_migration,
    DROP COLUMN intends_to_touch,
    DROP COLUMN batch_id;
