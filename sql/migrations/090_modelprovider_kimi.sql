-- revision: 090_modelprovider_kimi
-- down_revision: 089_board_cycle_ntp_reason
-- New provider type for Moonshot's Kimi, placed after 'gemini'. On its own in this file so
-- it is committed before 091 inserts a row using it.

ALTER TYPE modelprovider ADD VALUE IF NOT EXISTS 'kimi' AFTER 'gemini';
