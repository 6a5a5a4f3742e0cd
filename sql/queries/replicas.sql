-- Streaming replication: what a hot standby has replayed and how far behind it is, and the
-- primary's WAL position that read-your-writes waits for (roboco_sql/replicas/).

-- name: replica_health :one
-- returns: rows (read by roboco_sql/replicas/ itself, no model)
-- Whether this server is a standby (in recovery), the WAL it has received and replayed, and
-- its lag in seconds: 0 while it streams and has replayed all it received, else the age of
-- the last transaction it replayed (NULL before the first one). Runs on any server.
SELECT pg_is_in_recovery() AS standby,
       pg_last_wal_receive_lsn()::text AS received,
       pg_last_wal_replay_lsn()::text AS replayed,
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver) AS streaming,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused,
       CASE
           WHEN NOT pg_is_in_recovery() THEN 0::float8
           WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
                AND pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
               THEN 0::float8
           ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
       END AS lag;

-- name: replica_replayed :scalar
-- The WAL position this standby has replayed up to (NULL on a primary).
SELECT pg_last_wal_replay_lsn()::text;

-- name: primary_wal_position :scalar
-- The primary's WAL insert position: taken after a commit, it is at or past the commit's
-- record, so a standby that has replayed it sees the commit. Fails on a standby.
SELECT pg_current_wal_insert_lsn()::text;
