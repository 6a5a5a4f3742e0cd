-- revision: 060_drop_messaging
-- down_revision: 059_x_credentials
-- Retires the channels / groups / discussion sessions / messages subsystem: A2A messages
-- are now the only directed channel. Destructive and one-way: the rows of these five tables
-- are lost. journal_entries.session_id goes first (its foreign key to sessions goes with
-- it), then the tables, children before parents. chunks_conversations is a RAG table the app
-- makes at run time (no revision creates it), hence IF EXISTS; the four enum types only
-- these tables used go last.
-- lint: allow-file drop-column,drop-table RoboCo removed every reader and writer of this subsystem in releases before this revision, so no running code uses these tables or the column

ALTER TABLE journal_entries DROP COLUMN session_id;

DROP TABLE messages;
DROP TABLE session_tasks;
DROP TABLE sessions;
DROP TABLE groups;
DROP TABLE channels;

DROP TABLE IF EXISTS chunks_conversations;

DROP TYPE IF EXISTS messagetype;
DROP TYPE IF EXISTS sessionstatus;
DROP TYPE IF EXISTS sessionscope;
DROP TYPE IF EXISTS channeltype;
