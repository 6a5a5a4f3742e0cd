-- The CASE arms shared by transition_task's assigned_to and claimed_by: the owner :owner
-- names (the actor, the pre-block owner, whoever holds task t, the one looked up before the
-- write), else the original_developer marker when it is a uuid (else NULL).
WHEN :owner::text = 'actor' THEN :actor_id::uuid
WHEN :owner::text = 'restore'
    THEN coalesce(t.blocker_raised_by, t.pre_block_assignee, t.assigned_to,
                  t.claimed_by)
WHEN :owner::text = 'holder'
    THEN coalesce(t.assigned_to, t.claimed_by, t.active_claimant_id)
WHEN :owner::text IN ('review_pm', 'developer_or_pm', 'revision_dev', 'ancestor')
    THEN (SELECT l.owner FROM looked_up AS l)
WHEN (t.orchestration_markers ->> 'original_developer')
     ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    THEN (t.orchestration_markers ->> 'original_developer')::uuid
