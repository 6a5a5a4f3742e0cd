-- revision: 088_project_board_programs
-- down_revision: 087_board_program_cycles
-- Per-project board program settings, as jsonb; NULL for existing projects.

ALTER TABLE projects
    ADD COLUMN board_programs JSONB;

-- down
-- irreversible: drops projects.board_programs with its values
ALTER TABLE projects
    DROP COLUMN board_programs;
