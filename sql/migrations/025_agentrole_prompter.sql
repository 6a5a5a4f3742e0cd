-- revision: 025_agentrole_prompter
-- down_revision: 024_add_prompter_tables
-- The intake interviewer ("prompter") becomes an agent role. Idempotent, forward-only.

ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'prompter';
