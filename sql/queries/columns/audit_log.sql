-- The audit row as models.AuditEvent reads it and as every statement that logs an event
-- writes it: each column of audit_log ("timestamp" quoted, a keyword).
id, event_type, agent_id, target_type, target_id, severity, details, "timestamp"
