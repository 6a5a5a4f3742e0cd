-- revision: 012_align_agentrole_foundation
-- down_revision: 011_drop_quarantined_state
-- Adds the 'system' agent role (orchestrator-owned work), which 009 skips when it takes its rebuild path.

ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'system';
