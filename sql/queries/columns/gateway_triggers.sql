-- The gateway_triggers row, written once: included as {{gateway_triggers}}.
id, trigger_kind, trigger_id, task_id, target_role, decision, decision_reason, created_at
