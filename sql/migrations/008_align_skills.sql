-- revision: 008_align_skills
-- down_revision: 007_gateway_triggers_table
-- Intentionally empty: RoboCo keeps this revision only so the chain stays continuous (the skill
-- rename it was meant for was done in application config, and agents has no skills column).

-- down
-- nothing to undo: 008 changes nothing
