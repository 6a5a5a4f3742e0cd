-- The tasks (t) of agent :agent_id's team, beside its agent row (a): none for an unknown agent
-- or one without a team. For the team's activity feed and its lane's blockers to filter and
-- order.
SELECT {{t.tasks}}
  FROM agents AS a
  JOIN tasks AS t ON t.team = a.team
 WHERE a.id = :agent_id::uuid
