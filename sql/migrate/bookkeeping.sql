-- Every statement `migrate` sends besides the migration files themselves, by name.
--
-- roboco_sql/migrate/bookkeeping.py loads this file (queries are named by their `-- name:`
-- line; the comment lines right after it say what the query is for) and hands the statements
-- to the runner, which executes them, and to `plan`, which prints them bound to the same
-- values: the two read one text. Parameters are psycopg's %(name)s; {index} and {timeout} are
-- filled in from a migration file (an index it builds concurrently, its lock_timeout header),
-- those of `guard` from the step it closes.

-- name: create_bookkeeping
-- The schema of our own records; alembic_version is the table RoboCo's Alembic uses.
CREATE SCHEMA IF NOT EXISTS roboco_sql;
CREATE TABLE IF NOT EXISTS public.alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE IF NOT EXISTS roboco_sql.history (
    revision          VARCHAR(32) PRIMARY KEY,
    parent            VARCHAR(32) UNIQUE NULLS NOT DISTINCT,
    checksum          CHAR(64)    NOT NULL,
    how               TEXT        NOT NULL CHECK (how IN ('applied', 'stamped', 'adopted')),
    applied_at        TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    duration_ms       DOUBLE PRECISION NOT NULL DEFAULT 0,
    applied_by        TEXT        NOT NULL,
    accepted_checksum CHAR(64),
    accepted_at       TIMESTAMPTZ,
    accepted_by       TEXT
);
CREATE TABLE IF NOT EXISTS roboco_sql.progress (
    revision VARCHAR(32) NOT NULL,
    step     INTEGER     NOT NULL,
    checksum CHAR(64)    NOT NULL,
    done_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (revision, step)
);
CREATE TABLE IF NOT EXISTS roboco_sql.reverted (
    id             BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision       VARCHAR(32) NOT NULL,
    parent         VARCHAR(32),
    checksum       CHAR(64)    NOT NULL,
    reverted_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    duration_ms    DOUBLE PRECISION NOT NULL DEFAULT 0,
    reverted_by    TEXT        NOT NULL,
    data_lost      TEXT,
    was_how        TEXT,
    was_applied_at TIMESTAMPTZ,
    was_ms         DOUBLE PRECISION,
    was_applied_by TEXT
);
CREATE TABLE IF NOT EXISTS roboco_sql.additions (
    name        TEXT        PRIMARY KEY,
    checksum    TEXT        NOT NULL,
    at_revision VARCHAR(32),
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    applied_by  TEXT        NOT NULL
);

-- name: read_state
-- The whole migration state in one round trip: version, history, progress, additions, standby.
SELECT (SELECT coalesce(json_agg(version_num), '[]') FROM public.alembic_version),
       (SELECT coalesce(json_agg(json_build_array(revision, checksum, how)), '[]')
          FROM roboco_sql.history),
       (SELECT coalesce(json_agg(json_build_array(revision, step, checksum)), '[]')
          FROM roboco_sql.progress),
       (SELECT coalesce(json_agg(json_build_array(name, checksum, at_revision)), '[]')
          FROM roboco_sql.additions),
       pg_is_in_recovery();

-- name: read_state_partial
-- Before the bookkeeping exists: whether there is an alembic_version, and a standby.
SELECT to_regclass('public.alembic_version') IS NOT NULL, pg_is_in_recovery();

-- name: versions
SELECT version_num FROM public.alembic_version;

-- name: in_recovery
-- A hot standby replays the primary and is read-only.
SELECT pg_is_in_recovery();

-- name: version_width
-- alembic_version.version_num must hold the longest revision id: its declared length (a
-- character type's typmod is the length plus 4), NULL for any other type. Read from the
-- catalog, not information_schema, whose views cost milliseconds.
SELECT CASE WHEN atttypid IN ('varchar'::regtype, 'bpchar'::regtype) AND atttypmod > 4
            THEN atttypmod - 4 END
  FROM pg_attribute
 WHERE attrelid = to_regclass('public.alembic_version') AND attname = 'version_num'
   AND NOT attisdropped;

-- name: has_tables
-- Whether a version-less database holds a schema (ours or RoboCo's) to identify.
SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'public'
                AND tablename <> 'alembic_version' AND tablename NOT LIKE 'chunks\_%');

-- name: backend_and_port
-- The backend this session reaches, and the port its server listens on.
SELECT pg_backend_pid(), current_setting('port')::int;

-- name: guard
-- Last before a transactional part's COMMIT, in the same string, so that a part commits in
-- its one round trip, and only when: this session holds the migration lock (a pooler hands a
-- session's statements to backends that do not; {classid} and {objid} are the lock key's
-- halves), and, when {check}, {write} (the step's version write, else NULL) changed exactly
-- one row. Their SQLSTATEs, RS001 and RS002, tell the runner which failed.
DO $guard$
DECLARE
    changed bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_locks
                    WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
                      AND classid = {classid} AND objid = {objid} AND objsubid = 1) THEN
        RAISE EXCEPTION 'this session does not hold the roboco_sql migration lock'
              USING ERRCODE = 'RS001';
    END IF;
    {write};
    GET DIAGNOSTICS changed = ROW_COUNT;
    IF {check} AND changed <> 1 THEN
        RAISE EXCEPTION 'the version write changed % rows', changed USING ERRCODE = 'RS002';
    END IF;
END
$guard$;

-- name: direct_probe
-- Read back on a probe connection: PostgreSQL applies a startup option, a pooler does not.
SELECT current_setting('roboco_sql.direct_probe', true);

-- name: try_lock
SELECT pg_try_advisory_lock(%(key)s), pg_backend_pid();

-- name: lock_holder
-- Who holds the migration lock in this database (for the message while waiting).
SELECT a.pid, coalesce(nullif(a.application_name, ''), '?')
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %(classid)s AND l.objid = %(objid)s
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());

-- name: unlock
SELECT pg_advisory_unlock(%(key)s);

-- name: blockers
-- The sessions holding locks on our tables, oldest transaction first (a lock wait's message).
SELECT DISTINCT a.pid, coalesce(nullif(a.application_name, ''), '?'), a.state, a.xact_start
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid()
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND l.relation IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
 ORDER BY a.xact_start NULLS LAST LIMIT 3;

-- name: begin
BEGIN;

-- name: commit
COMMIT;

-- name: set_local_lock_timeout
-- A transactional file's lock_timeout, for its transaction ({timeout}: the file's header,
-- which the chain admits as digits and a unit only).
SET LOCAL lock_timeout = '{timeout}';

-- name: set_lock_timeout
-- A non-transactional file's lock_timeout, for the session until reset.
SET lock_timeout = '{timeout}';

-- name: reset_lock_timeout
RESET lock_timeout;

-- name: async_commits
-- A run of revisions commits each one without waiting for its WAL to reach disk ...
SET synchronous_commit = off;

-- name: sync_commits
RESET synchronous_commit;

-- name: durable
-- ... then makes them all durable with one commit that does wait: WAL is flushed in order,
-- so that commit's flush covers every earlier one. pg_current_xact_id() gives the closing
-- transaction an xid, without which its commit would have nothing to flush.
SELECT pg_current_xact_id();

-- name: version_first
-- The first revision: alembic_version gains its row (changes none when one is there).
INSERT INTO public.alembic_version (version_num) SELECT %(revision)s
 WHERE NOT EXISTS (SELECT 1 FROM public.alembic_version);

-- name: version_move
-- alembic_version from one revision to another (changes none when not at `from`).
UPDATE public.alembic_version SET version_num = %(to)s WHERE version_num = %(from)s;

-- name: version_empty
-- Back past the first revision: alembic_version loses its row.
DELETE FROM public.alembic_version WHERE version_num = %(revision)s;

-- name: history_insert
-- An applied revision's history row; without a duration, the server times its transaction.
INSERT INTO roboco_sql.history (revision, parent, checksum, how, duration_ms, applied_by)
VALUES (%(revision)s, %(parent)s, %(checksum)s, %(how)s,
        coalesce(%(ms)s::float8, 1000 * extract(epoch FROM clock_timestamp() - now())),
        %(who)s);

-- name: reverted_insert
-- Going back past a revision: its history row moves into roboco_sql.reverted, which keeps
-- when and by whom it had been applied, when it went down, and the data lost if any.
WITH gone AS (DELETE FROM roboco_sql.history WHERE revision = %(revision)s
              RETURNING how, applied_at, duration_ms, applied_by)
INSERT INTO roboco_sql.reverted (revision, parent, checksum, duration_ms, reverted_by,
                                 data_lost, was_how, was_applied_at, was_ms, was_applied_by)
SELECT %(revision)s, %(parent)s, %(checksum)s,
       coalesce(%(ms)s::float8, 1000 * extract(epoch FROM clock_timestamp() - now())),
       %(who)s, %(data_lost)s, gone.how, gone.applied_at, gone.duration_ms, gone.applied_by
  FROM (VALUES (1)) AS one (x) LEFT JOIN gone ON true;

-- name: accept_edit
-- A file recorded under its checksum of today, keeping the one it replaces (returned; no row
-- when the revision is not applied or its checksum already matches).
UPDATE roboco_sql.history SET accepted_checksum = checksum, checksum = %(checksum)s,
       accepted_at = clock_timestamp(), accepted_by = %(who)s
 WHERE revision = %(revision)s AND checksum <> %(checksum)s
RETURNING accepted_checksum;

-- name: adopt
-- An Alembic-managed database continued from its revision (its history before is Alembic's).
INSERT INTO roboco_sql.history (revision, parent, checksum, how, applied_by)
VALUES (%(revision)s, %(parent)s, %(checksum)s, 'adopted', %(who)s);

-- name: version_clear
DELETE FROM public.alembic_version;

-- name: version_set
INSERT INTO public.alembic_version (version_num) VALUES (%(revision)s);

-- name: history_clear_at
-- Before a stamp: the row of the stamped revision, and of any other with its parent.
DELETE FROM roboco_sql.history WHERE revision = %(revision)s OR parent = %(parent)s;

-- name: history_stamped
INSERT INTO roboco_sql.history (revision, parent, checksum, how, applied_by)
VALUES (%(revision)s, %(parent)s, %(checksum)s, 'stamped', %(who)s);

-- name: history_forget
-- The history rows of the given revisions (a stamp back; our old in-chain revisions).
DELETE FROM roboco_sql.history WHERE revision = ANY(%(revisions)s);

-- name: progress_forget
DELETE FROM roboco_sql.progress;

-- name: progress_insert
-- Statement `step` of a non-transactional file is done.
INSERT INTO roboco_sql.progress (revision, step, checksum)
VALUES (%(revision)s, %(step)s, %(checksum)s);

-- name: progress_clear
DELETE FROM roboco_sql.progress WHERE revision = %(revision)s;

-- name: index_validity
-- True for a built index, false for an INVALID one (a failed concurrent build), no row if absent.
SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = to_regclass(%(index)s);

-- name: drop_invalid_index
DROP INDEX CONCURRENTLY IF EXISTS {index};

-- name: addition_record
-- An addition applied as of a chain revision.
INSERT INTO roboco_sql.additions (name, checksum, at_revision, applied_by)
VALUES (%(name)s, %(checksum)s, %(revision)s, %(who)s)
ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum,
       at_revision = EXCLUDED.at_revision, applied_at = clock_timestamp(),
       applied_by = EXCLUDED.applied_by;

-- name: addition_forget
-- An addition removed (its down section ran): no longer applied.
DELETE FROM roboco_sql.additions WHERE name = %(name)s;

-- name: legacy_addition
-- An object of our old in-chain revisions, recorded as an addition with no checksum (so it is
-- applied again, idempotently, after the chain).
INSERT INTO roboco_sql.additions (name, checksum, applied_by) VALUES (%(name)s, '', %(who)s)
ON CONFLICT (name) DO NOTHING;

-- name: legacy_renames
-- Our old in-chain revisions' objects, renamed into our namespace.
DO $relayout$
BEGIN
    ALTER INDEX IF EXISTS public.ix_tasks_dependency_ids RENAME TO rsql_tasks_dependency_ids;
    ALTER INDEX IF EXISTS public.ix_tasks_parent_task_id RENAME TO rsql_tasks_parent_task_id;
    ALTER INDEX IF EXISTS public.ix_tasks_claim_queue RENAME TO rsql_tasks_claim_queue;
    IF EXISTS (SELECT 1 FROM pg_constraint
                WHERE conrelid = 'public.tasks'::regclass AND conname = 'ck_tasks_scope') THEN
        ALTER TABLE public.tasks RENAME CONSTRAINT ck_tasks_scope TO rsql_tasks_scope;
    END IF;
END
$relayout$;

-- name: has_history
-- Whether the bookkeeping (and its log of reverted revisions) exists, for `history`.
SELECT to_regclass('roboco_sql.history'), to_regclass('roboco_sql.reverted');

-- name: applied
-- `history` of a database that never went back.
SELECT revision, parent, how, applied_at, duration_ms, applied_by, checksum, accepted_at
  FROM roboco_sql.history
 ORDER BY applied_at, revision;

-- name: applied_and_reverted
-- `history`: the revisions applied now, those applied once and reverted since, and each
-- going back.
SELECT revision, parent, how, applied_at, duration_ms, applied_by, checksum, accepted_at
  FROM roboco_sql.history
UNION ALL
SELECT revision, parent, was_how, was_applied_at, was_ms, was_applied_by, checksum, NULL
  FROM roboco_sql.reverted WHERE was_applied_at IS NOT NULL
UNION ALL
SELECT revision, parent, 'reverted', reverted_at, duration_ms, reverted_by, checksum, NULL
  FROM roboco_sql.reverted
 ORDER BY applied_at, revision;
