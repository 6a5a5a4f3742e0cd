-- The tasks assigned to :agent_id in the :statuses given (served by ix_tasks_assigned_status),
-- for an agent's queue and its current task to order.
SELECT {{tasks}}
  FROM tasks
 WHERE assigned_to = :agent_id::uuid
   AND status = ANY(:statuses::taskstatus[])
