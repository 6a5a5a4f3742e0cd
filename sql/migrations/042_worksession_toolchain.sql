-- revision: 042_worksession_toolchain
-- down_revision: 041_structured_content_columns
-- Record which Python a work session's workspace was provisioned with and whether the
-- project's tests can run under it (ok / broken / unknown). Schema only.

ALTER TABLE work_sessions
    ADD COLUMN toolchain_python VARCHAR(20),
    ADD COLUMN toolchain_status VARCHAR(20);

-- down
-- irreversible: drops the two toolchain columns of work_sessions with their values
ALTER TABLE work_sessions
    DROP COLUMN toolchain_status,
    DROP COLUMN toolchain_python;
