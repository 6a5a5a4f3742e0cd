-- revision: 034_agentrole_secretary
-- down_revision: 033_pitches
-- The CEO's chief-of-staff ("secretary") becomes an agent role. Idempotent, forward-only.

ALTER TYPE agentrole ADD VALUE IF NOT EXISTS 'secretary';
