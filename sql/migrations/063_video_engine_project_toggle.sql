-- revision: 063_video_engine_project_toggle
-- down_revision: 062_tiktok_credentials
-- Per-project switch for the video engine, off for every existing project. (The revision
-- id is 31 characters, just inside the 32 RoboCo's alembic_version allows.)

ALTER TABLE projects
    ADD COLUMN video_engine_enabled BOOLEAN NOT NULL DEFAULT false;

-- down
-- irreversible: drops projects.video_engine_enabled with its values
ALTER TABLE projects
    DROP COLUMN video_engine_enabled;
