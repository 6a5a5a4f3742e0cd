-- revision: 089_board_cycle_ntp_reason
-- down_revision: 088_project_board_programs
-- Why a board program cycle had nothing to propose, when that is how it ended.

ALTER TABLE board_program_cycles
    ADD COLUMN nothing_to_propose_reason TEXT;

-- down
-- irreversible: drops board_program_cycles.nothing_to_propose_reason with its values
ALTER TABLE board_program_cycles
    DROP COLUMN nothing_to_propose_reason;
