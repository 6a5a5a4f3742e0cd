-- A page of tasks in RoboCo's sibling order: priority (0 first), sequence, then oldest first
-- (id breaks ties), at most :limit. The board's columns, the PM's triage and the ready queue.
ORDER BY priority, sequence, created_at, id
LIMIT :limit
