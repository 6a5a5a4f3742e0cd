-- Whether task t may be claimed by :agent_id under the role's claim rule: in :statuses, of the
-- agent's team unless :any_team, not assigned to another agent, not its own work when
-- :self_review, not a code task for a Main PM (:no_code) unless sent back for revision, and
-- every dependency met (listed in completed_dependency_ids, or completed or cancelled).
t.status = ANY(:statuses::taskstatus[])
AND (:any_team::boolean OR t.team = :team::team)
AND (t.assigned_to IS NULL OR t.assigned_to = :agent_id::uuid)
AND (NOT :self_review::boolean
     OR (t.orchestration_markers ->> 'original_developer')
        IS DISTINCT FROM (:agent_id::uuid)::text)
AND (NOT :no_code::boolean OR t.task_type <> 'code' OR t.status = 'needs_revision')
AND (t.dependency_ids <@ t.completed_dependency_ids
     OR NOT EXISTS (SELECT 1
                      FROM tasks AS d
                     WHERE d.id = ANY(t.dependency_ids)
                       AND d.id <> ALL(t.completed_dependency_ids)
                       AND d.status NOT IN ('completed', 'cancelled')))
