-- revision: 047_ws_single_active
-- down_revision: 046_batch_intake
-- At most one ACTIVE work session per task, enforced by a partial unique index. Earlier
-- re-claims by another agent could leave several ACTIVE rows for one task, so those are
-- resolved first: per task the newest ACTIVE row (started_at, then id, descending) stays
-- and every other becomes 'abandoned' with ended_at filled in if it was empty. Without
-- that step the index build fails on the duplicates. It is an index, not a constraint.

UPDATE work_sessions AS ws
SET    status   = 'abandoned',
       ended_at = COALESCE(ws.ended_at, now())
WHERE  ws.status = 'active'
  AND  ws.id <> (SELECT newest.id
                 FROM   work_sessions AS newest
                 WHERE  newest.task_id = ws.task_id
                   AND  newest.status = 'active'
                 ORDER  BY newest.started_at DESC, newest.id DESC
                 LIMIT  1);

-- lint: allow index-not-concurrent the partial index covers only ACTIVE rows (a handful) and must follow the cleanup above in the same transaction, as upstream
CREATE UNIQUE INDEX uq_work_sessions_one_active_per_task
    ON work_sessions (task_id)
    WHERE status = 'active';

-- down
-- The sessions the up part marked 'abandoned' stay so: 046 accepts them as they are, and
-- which of them were still active before cannot be told apart from those abandoned normally.
DROP INDEX uq_work_sessions_one_active_per_task;
