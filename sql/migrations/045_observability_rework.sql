-- revision: 045_observability_rework
-- down_revision: 044_convention_findings
-- A per-task count of rework rounds, so the rework rate is a column read rather than an
-- audit_log scan (existing tasks start at 0: the counter only counts forward), plus an
-- audit_log index for rebuilding cycle times and rework per target.

ALTER TABLE tasks
    ADD COLUMN revision_count INTEGER NOT NULL DEFAULT 0;

-- lint: allow index-not-concurrent plain build as upstream: audit_log is append-only and a short write pause while it builds is accepted at upgrade time
CREATE INDEX ix_audit_log_target_event_ts ON audit_log (target_id, event_type, "timestamp");

-- down
-- irreversible: drops tasks.revision_count (the rework rounds counted since 045)
DROP INDEX ix_audit_log_target_event_ts;
ALTER TABLE tasks DROP COLUMN revision_count;
