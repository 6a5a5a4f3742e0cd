"""Behaviour of the runner's applying parts that mutation testing found unpinned (slice
migrate-apply): a transactional part's failure and its replay, the lock's pooler checks, a
`transaction: none` file's resumption, where the chain starts, the state read, what a step says."""

from __future__ import annotations

import importlib
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
from psycopg import sql

from roboco_sql.errors import (
    ChainError,
    ChecksumMismatch,
    DataLossRefused,
    LockTimeout,
    MigrationError,
)
from roboco_sql.migrate import atomic as atomic_module
from roboco_sql.migrate import autocommit as autocommit_module
from roboco_sql.migrate import bookkeeping, load_chain, lock, migrate
from roboco_sql.migrate import steps as steps_module
from roboco_sql.migrate.bookkeeping import Query
from roboco_sql.migrate.chain import Chain
from roboco_sql.migrate.fingerprint import FILENAME
from roboco_sql.migrate.plan import plan
from roboco_sql.migrate.report import MigrationReport, Options, quiet
from roboco_sql.migrate.runner import accept, stamp
from roboco_sql.migrate.scratch import build_fingerprints
from roboco_sql.migrate.standing import history, status
from roboco_sql.migrate.state import due_additions
from roboco_sql.migrate.steps import Steps
from roboco_sql.migrate.verify import verify
from tests.fix_migrate import (
    NO_ADDITIONS,
    SMALL,
    TABLE,
    chain_of,
    forget_runner,
    lock_held,
    names,
    one,
    small,
    small_at_head,
    ticking_clock,
    write_chain,
)
from tests.fix_migrate import row as row_of
from tests.fix_migrate import rows as rows_of

# -- one transactional part: where a failure is, and the replay that pins it ------------------


def failure_of(tmp_path: Path, url: str, files: dict[str, str]) -> str:
    """The message of migrating url along a chain of these files, which fails."""
    return failed_migrate(url, chain_of(tmp_path, files))


def failed_migrate(url: str, chain: Chain) -> str:
    return failed_migrate_with(url, chain, NO_ADDITIONS)


def failed_migrate_with(url: str, chain: Chain, options: Options) -> str:
    with pytest.raises(MigrationError) as failed:
        migrate(url, chain, options=options)
    return str(failed.value)


def test_a_failure_with_a_position_is_mapped_into_the_file_without_a_replay(
    tmp_path: Path, empty_url: str
) -> None:
    """The server's position maps to file:line:col at once; the part is not sent again (the
    sequence, which no rollback takes back, is advanced once)."""
    assert failure_of(
        tmp_path,
        empty_url,
        {
            "001_base.sql": "CREATE SEQUENCE s;\nCREATE TABLE t (x int);\n",
            "002_bad.sql": "SELECT nextval('s');\n/* a comment */\nINSERT INTO t (x)\n"
            "  VALUES (1), ('one');\n",
        },
    ) == (
        '002_bad failed at 002_bad.sql:6:16: invalid input syntax for type integer: "one" '
        "[22P02]; nothing of 002_bad was applied"
    )
    assert one(empty_url, "SELECT last_value FROM s") == 1
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_base"


def test_a_part_is_sent_as_written_with_only_its_end_trimmed(tmp_path: Path) -> None:
    bodies = {
        "001_x.sql": "SELECT 1;\n\n\n",  # ended: sent as it is, its end trimmed
        "002_y.sql": "SELECT 1\n",  # not ended: ';' on a line of its own
        "003_z.sql": "SELECT 1 -- x;\n",  # a ';' a comment may swallow: ';' added all the same
    }
    chain = chain_of(tmp_path, bodies)
    sent = [atomic_module.part_text(m).split("\n", 2)[2] for m in chain]  # past the headers
    assert sent == ["SELECT 1;", "SELECT 1\n;", "SELECT 1 -- x;\n;"]


def test_a_failure_at_the_first_character_of_a_part(tmp_path: Path, empty_url: str) -> None:
    assert failure_of(tmp_path, empty_url, {"001_a.sql": "SELEC 1;\n"}) == (
        '001_a failed at 001_a.sql:3:1: syntax error at or near "SELEC" [42601]; '
        "nothing of 001_a was applied"
    )


def test_a_failure_past_the_end_of_the_part_is_pinned_by_the_replay(
    tmp_path: Path, empty_url: str
) -> None:
    """An unfinished last statement fails at the ';' the runner adds after the part: outside
    the file's text, so the replay sends the statement alone and names its own end."""
    assert failure_of(
        tmp_path, empty_url, {"001_a.sql": "CREATE TABLE u (y int);\nSELECT 1 +"}
    ) == (
        "001_a failed at 001_a.sql:4:11: syntax error at end of input [42601]; "
        "nothing of 001_a was applied"
    )


def test_the_replay_runs_under_the_files_lock_timeout(tmp_path: Path, empty_url: str) -> None:
    """The statement-by-statement replay sets the file's lock_timeout as the first try did:
    the first statement passes under it both times, the second fails (no position) both
    times, and the replay names the second."""
    assert failure_of(
        tmp_path,
        empty_url,
        {
            "001_a.sql": "-- lock_timeout: 150ms\n"
            "SELECT 1 / (current_setting('lock_timeout') = '150ms')::int;\n"
            "SELECT 1 / 0;\n",
        },
    ) == ("001_a failed at 001_a.sql:5:1: division by zero [22012]; nothing of 001_a was applied")


def test_a_part_that_fails_once_then_passes_in_the_replay_is_applied(
    tmp_path: Path, empty_url: str
) -> None:
    """A failure without a position sends the part again statement by statement; when the
    replay passes (here a sequence, which no rollback takes back, changed the outcome), the
    part and its record are committed by it."""
    chain = chain_of(
        tmp_path,
        {
            "001_a.sql": "CREATE SEQUENCE s;\nCREATE TABLE t (x int);\n",
            "002_b.sql": "INSERT INTO t SELECT 1 / (nextval('s') - 1);\n",
        },
    )
    report = migrate(empty_url, chain, options=NO_ADDITIONS)
    assert [a.revision for a in report.applied] == ["001_a", "002_b"]
    assert one(empty_url, "SELECT x FROM t") == 1
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "002_b"
    assert names(empty_url, "SELECT revision FROM roboco_sql.history") == {"001_a", "002_b"}


def test_a_failure_inside_a_function_names_the_outermost_call(
    tmp_path: Path, empty_url: str
) -> None:
    """A run-time error carries the server's context (innermost first, one line each); the
    message keeps the last line, the call the file made."""
    assert failure_of(
        tmp_path,
        empty_url,
        {
            "001_a.sql": "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'no %', 'way'; END $$;\n"
            "DO $$ BEGIN PERFORM f(); END $$;\n"
        },
    ) == (
        "001_a failed at 001_a.sql:4:1: no way [P0001] (PL/pgSQL function inline_code_block "
        "line 1 at PERFORM); nothing of 001_a was applied"
    )


def test_the_version_moved_during_a_replay_is_refused(tmp_path: Path, empty_url: str) -> None:
    assert failure_of(
        tmp_path,
        empty_url,
        {
            "001_a.sql": "CREATE SEQUENCE s;\nCREATE TABLE t (x int);\n",
            "002_b.sql": "UPDATE alembic_version SET version_num = 'elsewhere';\n"
            "INSERT INTO t SELECT 1 / (nextval('s') - 1);\n",
        },
    ) == ("alembic_version moved under us while applying 002_b")
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_a"
    assert one(empty_url, "SELECT count(*) FROM t") == 0


def test_a_part_that_ends_its_own_session_is_named_without_a_replay(
    tmp_path: Path, empty_url: str
) -> None:
    """No position and no session left to replay on: the failure names the file (its part's
    start), and nothing of it stays."""
    message = failure_of(
        tmp_path,
        empty_url,
        {"001_a.sql": "CREATE TABLE t (x int);\nSELECT pg_terminate_backend(pg_backend_pid());\n"},
    )
    assert message.startswith(
        "001_a failed at 001_a.sql:1:1: terminating connection due to administrator command"
    ), message
    assert message.endswith("; nothing of 001_a was applied")
    assert one(empty_url, "SELECT to_regclass('t')") is None


# -- the migration lock's pooler checks ------------------------------------------------------


def probe_dialled(
    url: str, monkeypatch: pytest.MonkeyPatch, pooler: str | None
) -> tuple[bool, dict[str, Any]]:
    """What the direct-connection probe dials, and its verdict; pooler plays PgBouncer:
    "refuses" the startup option, or "drops" it."""
    dialled: dict[str, Any] = {}
    real = psycopg.connect

    def connect(conninfo: str, **kwargs: Any) -> Any:
        dialled.update(psycopg.conninfo.conninfo_to_dict(conninfo))
        if pooler == "refuses":
            raise psycopg.OperationalError("unsupported startup parameter: options")
        if pooler == "drops":
            conninfo = psycopg.conninfo.make_conninfo(conninfo, options="")
        return real(conninfo, **kwargs)

    with psycopg.connect(url, autocommit=True) as conn:
        monkeypatch.setattr(psycopg, "connect", connect)
        try:
            return lock._reaches_server_directly(conn), dialled
        finally:
            monkeypatch.undo()


def test_the_direct_probe_dials_as_the_session_did(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_password = psycopg.conninfo.make_conninfo(empty_url, password="s3cret")
    direct, dialled = probe_dialled(with_password, monkeypatch, None)
    assert direct is True
    assert dialled["password"] == "s3cret"  # a server asking for one gets it
    assert dialled["options"] == "-c roboco_sql.direct_probe=on"
    assert dialled["connect_timeout"] == "5"  # a probe never hangs a boot
    assert probe_dialled(empty_url, monkeypatch, "refuses")[0] is False
    assert probe_dialled(empty_url, monkeypatch, "drops")[0] is False


def test_a_backend_that_changed_under_the_lock_is_a_pooler(empty_url: str) -> None:
    with psycopg.connect(empty_url, autocommit=True) as conn:
        lock.check_direct(conn, conn.info.backend_pid)  # the same backend: ours
        with pytest.raises(MigrationError) as moved:
            lock.check_direct(conn, conn.info.backend_pid + 1)
    assert str(moved.value) == (
        "this connection goes through a pooler (its backend changed); migrations need a session "
        "of their own: set ROBOCO_MIGRATION_DATABASE_URL to a direct URL"
    )


# -- a `transaction: none` file: resumed, or refused when a done statement changed -------------

CONCURRENT = (
    "-- transaction: none\n"
    "CREATE INDEX CONCURRENTLY ix_t_a ON t (a);\n"
    "CREATE UNIQUE INDEX CONCURRENTLY ux_t_b ON t (b);\n"
    "CREATE INDEX CONCURRENTLY ix_t_c ON t (c);\n"
)


def test_a_non_transactional_file_fails_then_resumes_in_process(
    tmp_path: Path, empty_url: str
) -> None:
    chain = chain_of(tmp_path, {"001_t.sql": TABLE, "002_ix.sql": CONCURRENT})
    assert failed_migrate(empty_url, chain) == (
        '002_ix failed at 002_ix.sql:5:1: could not create unique index "ux_t_b" [23505]; '
        "statements 1-1 of 3 of 002_ix are applied; the next run resumes at statement 2"
    )
    assert "-- index ux_t_b is INVALID (a failed concurrent build): rebuilt\n" in (
        plan(empty_url, chain, wanted=frozenset({"none"})).sql
    )
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE t SET b = 2 WHERE a = 2")
        conn.execute("CREATE INDEX ix_t_c ON t (c)")  # built by hand meanwhile: kept, recorded
    said: list[str] = []
    report = migrate(empty_url, chain, options=NO_ADDITIONS, echo=said.append)
    (applied,) = report.applied
    assert (applied.revision, applied.file, applied.resumed_at) == ("002_ix", "002_ix.sql", 2)
    assert said[:2] == [
        "  002_ix: resuming at statement 2 of 3",
        "  002_ix: index ux_t_b is INVALID (a failed concurrent build); dropping and rebuilding it",
    ]
    assert one(empty_url, "SELECT count(*) FROM roboco_sql.progress") == 0
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "002_ix"
    assert row_of(
        empty_url,
        "SELECT parent, duration_ms >= 0 FROM roboco_sql.history WHERE revision = '002_ix'",
    ) == ("001_t", True)  # the time its statements took, as measured by the runner
    assert one(empty_url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0
    assert one(empty_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ux_t_b'::regclass")


def test_a_non_transactional_file_from_the_start_reports_no_resumption(
    tmp_path: Path, empty_url: str
) -> None:
    chain = chain_of(
        tmp_path, {"001_t.sql": TABLE.replace("(2, 1, 2)", "(2, 2, 2)"), "002_ix.sql": CONCURRENT}
    )
    said: list[str] = []
    report = migrate(empty_url, chain, options=NO_ADDITIONS, echo=said.append)
    assert [(a.revision, a.resumed_at, a.notices) for a in report.applied] == [
        ("001_t", None, ()),
        ("002_ix", None, ()),
    ]
    assert not [line for line in said if "resuming" in line]


def test_a_done_statement_edited_since_stops_the_resumption(tmp_path: Path, empty_url: str) -> None:
    directory = write_chain(tmp_path / "m", {"001_t.sql": TABLE, "002_ix.sql": CONCURRENT})
    failed_migrate(empty_url, load_chain(directory))
    edited = CONCURRENT.replace("ON t (a)", "ON t (a, c)")
    chain = load_chain(write_chain(directory, {"001_t.sql": TABLE, "002_ix.sql": edited}))
    with pytest.raises(ChecksumMismatch) as changed:
        migrate(empty_url, chain, options=NO_ADDITIONS)
    assert str(changed.value) == (
        "002_ix.sql:4:1: statement 1 of 002_ix changed after it ran; restore it or finish by "
        "hand and `stamp`"
    )
    with pytest.raises(ChecksumMismatch) as planned:
        plan(empty_url, chain)
    assert str(planned.value) == str(changed.value)


# -- where the chain starts: adopt, stamp, refuse --------------------------------------------


def test_an_alembic_database_is_adopted_and_said_so(tmp_path: Path, empty_url: str) -> None:
    chain = small(tmp_path)
    migrate(empty_url, chain, "002_b", options=NO_ADDITIONS)
    forget_runner(empty_url, version_table=True)
    said: list[str] = []
    report = migrate(empty_url, chain, options=NO_ADDITIONS, echo=said.append)
    assert (report.from_revision, report.adopted, report.stamped, report.relaid) == (
        "002_b",
        "002_b",
        None,
        None,
    )
    assert said[0] == "adopted a database at 002_b (its history before that is Alembic's)"
    assert [a.revision for a in report.applied] == ["003_c"]
    assert rows_of(empty_url, "SELECT revision, how FROM roboco_sql.history ORDER BY 1") == [
        ("002_b", "adopted"),
        ("003_c", "applied"),
    ]


def test_a_database_at_a_revision_of_no_file_is_refused_untouched(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small(tmp_path)
    migrate(empty_url, chain, "002_b", options=NO_ADDITIONS)
    forget_runner(empty_url, version_table=True)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '099_from_a_fork'")
    assert failed_migrate(empty_url, chain) == (
        f"the database is at revision 099_from_a_fork, which no file in {chain.directory} "
        "declares; refusing to guess"
    )
    assert one(empty_url, "SELECT to_regnamespace('roboco_sql')") is None
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("INSERT INTO alembic_version VALUES ('002_b')")
    assert failed_migrate(empty_url, chain) in {
        f"alembic_version holds 2 revisions ({listed}); roboco_sql needs a linear history"
        for listed in ("002_b, 099_from_a_fork", "099_from_a_fork, 002_b")  # in the table's order
    }


def test_a_version_less_database_is_stamped_where_its_schema_matches(
    tmp_path: Path, empty_url: str, db_url: str
) -> None:
    chain = small(tmp_path)
    (chain.directory / FILENAME).write_text(build_fingerprints(db_url, chain).to_json())
    migrate(empty_url, chain, "002_b", options=NO_ADDITIONS)
    forget_runner(empty_url, version_table=False)
    said: list[str] = []
    report = migrate(empty_url, chain, options=NO_ADDITIONS, echo=said.append)
    assert (report.from_revision, report.stamped, report.adopted) == ("002_b", "002_b", None)
    assert said[0] == "stamped a version-less database at 002_b (its schema matches exactly)"
    assert rows_of(empty_url, "SELECT revision, how FROM roboco_sql.history ORDER BY 1") == [
        ("002_b", "stamped"),
        ("003_c", "applied"),
    ]


def test_a_version_less_database_matching_nothing_is_refused(
    tmp_path: Path, empty_url: str, db_url: str
) -> None:
    chain = small(tmp_path)
    (chain.directory / FILENAME).write_text(build_fingerprints(db_url, chain).to_json())
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int, by_hand text)")
    message = failed_migrate(empty_url, chain)
    assert message.startswith(
        "the database has tables but no alembic_version and matches no revision exactly; "
        "nothing was changed. Closest revision: 001_t"
    ), message
    assert message.endswith(". If you know its revision, run `python -m roboco_sql stamp REV`")
    assert one(empty_url, "SELECT to_regnamespace('roboco_sql')") is None


def test_stamp_and_accept_name_what_they_refuse(tmp_path: Path, empty_url: str) -> None:
    chain = small(tmp_path)
    with pytest.raises(MigrationError) as unknown:
        stamp(empty_url, chain, "009_nope")
    assert str(unknown.value) == "unknown revision 009_nope"
    with pytest.raises(MigrationError) as unknown_accept:
        accept(empty_url, chain, "009_nope")
    assert str(unknown_accept.value) == "unknown revision 009_nope"
    said: list[str] = []
    stamp(empty_url, chain, "002_b", echo=said.append)
    assert said == ["stamped at 002_b"]  # nothing later was recorded: nothing forgotten
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "002_b"
    stamp(empty_url, chain, "002_b")  # where it is recorded: no force needed
    stamp(empty_url, chain, "003_c")
    with pytest.raises(MigrationError) as older:
        stamp(empty_url, chain, "002_b")
    assert str(older.value) == (
        "refusing to stamp 002_b: the database is recorded at 003_c, a later revision whose "
        "history this would forget; pass force (stamp --force) to do it anyway"
    )
    stamp(empty_url, chain, "002_b", force=True)
    with pytest.raises(MigrationError) as nothing:
        accept(empty_url, chain, "002_b")
    assert str(nothing.value) == "002_b is not applied or its checksum already matches"
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE roboco_sql.history SET checksum = 'old' WHERE revision = '002_b'")
    assert accept(empty_url, chain, "002_b").strip() == "old"  # the checksum it replaced
    assert "@" in one(
        empty_url, "SELECT accepted_by FROM roboco_sql.history WHERE revision = '002_b'"
    )


# -- the state read and what follows from it ---------------------------------------------------


def test_a_narrow_version_column_is_refused_with_its_fix(tmp_path: Path, empty_url: str) -> None:
    chain = small(tmp_path)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num varchar(20) PRIMARY KEY)")
    assert failed_migrate(empty_url, chain) == (
        "alembic_version.version_num is VARCHAR(20); revision ids need 32: ALTER TABLE "
        "alembic_version ALTER COLUMN version_num TYPE VARCHAR(32)"
    )
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE alembic_version ALTER COLUMN version_num TYPE varchar(32)")
    assert migrate(empty_url, chain, options=NO_ADDITIONS).to_revision == "003_c"


def test_recorded_checksums_that_no_file_matches_are_refused(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small_at_head(tmp_path, empty_url)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE roboco_sql.history SET checksum = repeat('ab', 32) WHERE revision = '002_b'"
        )
    with pytest.raises(ChecksumMismatch) as edited:
        migrate(empty_url, chain, options=NO_ADDITIONS)
    assert str(edited.value) == (
        f"002_b.sql was edited after 002_b was applied (checksum abababababab recorded, "
        f"{chain['002_b'].checksum[:12]} on disk); restore it, or accept the edit with "
        "`python -m roboco_sql accept 002_b`"
    )
    shorter = load_chain(write_chain(tmp_path / "shorter", {"001_t.sql": SMALL["001_t.sql"]}))
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '001_t'")
        conn.execute("DELETE FROM roboco_sql.history WHERE revision = '003_c'")
    with pytest.raises(ChecksumMismatch) as unknown:
        migrate(empty_url, shorter, options=NO_ADDITIONS)
    assert str(unknown.value) == (
        f"revision 002_b is recorded as applied but no file in {shorter.directory} declares it"
    )


def test_the_runner_is_named_even_without_a_user_name(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass
    import socket

    def nobody() -> str:
        raise KeyError("getpwuid(): uid not found: 1000")

    monkeypatch.setattr(getpass, "getuser", nobody)
    migrate(empty_url, small(tmp_path), "001_t", options=NO_ADDITIONS)
    user = psycopg.conninfo.conninfo_to_dict(empty_url).get("user") or one(
        empty_url, "SELECT current_user"
    )
    assert one(empty_url, "SELECT applied_by FROM roboco_sql.history") == (
        f"unknown@{socket.gethostname()} as {user}"
    )


# -- what a step says ------------------------------------------------------------------------


def test_a_steps_warning_is_reported_whole_once_it_commits(tmp_path: Path, empty_url: str) -> None:
    """Detail and hint come with the warning, even when a role setting would hide warnings
    from the session; the run says what it applied, step by step."""
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET client_min_messages = error").format(
                sql.Identifier(conn.info.dbname)
            )
        )
    extra = tmp_path / "additions"
    extra.mkdir()
    (extra / "a.sql").write_text("-- addition: extra_index\n-- requires: 001_a\nSELECT 1;\n")
    chain = chain_of(
        tmp_path,
        {
            "001_a.sql": "DO $$ BEGIN RAISE WARNING 'check t' USING DETAIL = 'it is big', "
            "HINT = 'vacuum it'; END $$;\n",
            "002_b.sql": "-- transaction: none\nDO $$ BEGIN RAISE WARNING 'one by one'; "
            "END $$;\nSELECT pg_sleep(0.05);\nDO $$ BEGIN RAISE WARNING 'and two'; END $$;\n",
        },
        extra,
    )
    said: list[str] = []
    report = migrate(empty_url, chain, echo=said.append)
    assert [a.notices for a in report.applied] == [
        ("WARNING: check t (it is big); hint: vacuum it",),
        ("WARNING: one by one", "WARNING: and two"),
    ]
    assert all(0 < a.seconds < 60 for a in report.applied)
    duration = "SELECT duration_ms FROM roboco_sql.history WHERE revision = '002_b'"
    assert 50 <= one(empty_url, duration) < 60_000  # milliseconds, as the runner timed them
    assert report.additions == ["extra_index"]
    assert [line.split(" in ")[0] for line in said] == [
        "  001_a: WARNING: check t (it is big); hint: vacuum it",
        "applied 001_a",
        "  002_b: WARNING: one by one",
        "  002_b: WARNING: and two",
        "applied 002_b",
        "applied addition extra_index at 002_b",
    ]
    assert all(line.endswith(" ms") for line in said if line.startswith("applied 00"))


def test_a_part_run_on_a_backend_other_than_the_locks_is_refused(
    tmp_path: Path, empty_url: str
) -> None:
    """Both ways a part can commit (the one string, and the replay after a failure without a
    position) check that their session holds the migration lock, and commit nothing else."""
    from roboco_sql.migrate import atomic

    chain = chain_of(
        tmp_path,
        {
            "001_a.sql": "INSERT INTO t VALUES (5);\n",
            "002_b.sql": "INSERT INTO t SELECT 1 / (nextval('s') - 1);\n",
        },
    )
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE SEQUENCE s; CREATE TABLE t (x int)")
        for m in chain:  # 001_a in one string; 002_b fails once, then passes in the replay
            with pytest.raises(MigrationError) as refused:  # this session holds no lock
                atomic.run(conn, m, atomic.Record([]), "nothing was applied")
            assert str(refused.value) == (
                f"{m.revision} was not committed: this session does not hold the migration lock "
                "(a pooler sent the part to another backend, or the part released the lock); "
                "nothing was applied. Migrations need a session of their own: through a pooler, "
                "set ROBOCO_MIGRATION_DATABASE_URL to a direct URL"
            )
        assert one(empty_url, "SELECT count(*) FROM t") == 0


def test_a_file_raising_the_guards_sqlstate_is_a_failure_of_its_own(
    tmp_path: Path, empty_url: str
) -> None:
    """Only the guard's RS002 means the version moved: a step that moves no version (an
    addition's record) and raises it itself fails as any part does."""
    from roboco_sql.migrate import atomic

    files = {"001_a.sql": "DO $$ BEGIN RAISE EXCEPTION 'mine' USING ERRCODE = 'RS002'; END $$;\n"}
    part = chain_of(tmp_path, files)["001_a"]
    with (
        psycopg.connect(empty_url, autocommit=True) as conn,
        pytest.raises(MigrationError) as failed,
    ):
        atomic.run(conn, part, atomic.Record([]), "none")
    assert str(failed.value).startswith("001_a failed at 001_a.sql:3:1: mine [RS002]")


def first_applied(tmp_path: Path, url: str, files: dict[str, str]) -> Chain:
    """A chain of these files with only its first revision applied to url."""
    chain = chain_of(tmp_path, files)
    migrate(url, chain, next(iter(chain)).revision, options=NO_ADDITIONS)
    return chain


def test_a_step_that_gives_up_names_every_blocker(tmp_path: Path, empty_url: str) -> None:
    chain = first_applied(
        tmp_path,
        empty_url,
        {
            "001_t.sql": "CREATE TABLE t (a int);\n",
            "002_alter.sql": "-- lock_timeout: 100ms\nALTER TABLE t ADD COLUMN b int;\n",
        },
    )
    readers = [psycopg.connect(empty_url, application_name=f"reader-{n}") for n in range(2)]
    pids = sorted(reader.info.backend_pid for reader in readers)
    try:
        for reader in readers:
            reader.execute("SELECT * FROM t")  # ACCESS SHARE, held while idle in transaction
        once = Options(lock_retries=0, additions=frozenset({"none"}))
        message = failed_migrate_with(empty_url, chain, once)
    finally:
        for reader in readers:
            reader.close()
    listed = message.split(": blocked by ", 1)[1].split("; ")[0]
    assert listed.count("pid ") == 2 and ", pid " in listed
    assert all(f"pid {pid} (" in listed for pid in pids)
    assert message.startswith(
        "002_alter (002_alter.sql) gave up after 1 tries (lock_timeout 100ms)"
    )


def test_the_version_moved_by_a_non_transactional_file_is_refused(
    tmp_path: Path, empty_url: str
) -> None:
    assert failure_of(
        tmp_path,
        empty_url,
        {
            "001_a.sql": "CREATE TABLE t (x int);\n",
            "002_b.sql": "-- transaction: none\n"
            "UPDATE alembic_version SET version_num = 'elsewhere';\n",
        },
    ) == ("alembic_version moved under us while applying 002_b")
    assert names(empty_url, "SELECT revision FROM roboco_sql.history") == {"001_a"}
    assert one(empty_url, "SELECT count(*) FROM roboco_sql.progress") == 1  # kept for a resume


def test_a_non_transactional_file_stopped_after_its_last_statement_is_only_recorded(
    tmp_path: Path, empty_url: str
) -> None:
    """Every statement done, the run cut before its record: the next run runs none again."""
    from roboco_sql.migrate import bookkeeping

    chain = first_applied(
        tmp_path,
        empty_url,
        {
            "001_t.sql": "CREATE TABLE t (x int);\n",
            "002_b.sql": "-- transaction: none\nINSERT INTO t VALUES (1);\n"
            "INSERT INTO t VALUES (2);\n",
        },
    )
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("INSERT INTO t VALUES (1), (2)")
        for number, stmt in enumerate(chain["002_b"].statements, start=1):
            conn.execute(
                "INSERT INTO roboco_sql.progress (revision, step, checksum) VALUES (%s, %s, %s)",
                ("002_b", number, bookkeeping.statement_checksum(stmt.text)),
            )
    (applied,) = migrate(empty_url, chain, options=NO_ADDITIONS).applied
    assert (applied.revision, applied.resumed_at) == ("002_b", None)  # nothing left to resume
    assert one(empty_url, "SELECT count(*) FROM t") == 2
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "002_b"


def test_a_non_transactional_statement_that_gives_up_says_what_is_applied(
    tmp_path: Path, empty_url: str
) -> None:
    chain = first_applied(
        tmp_path,
        empty_url,
        {
            "001_t.sql": "CREATE TABLE t (a int);\n",
            "002_b.sql": "-- transaction: none\n-- lock_timeout: 100ms\n"
            "INSERT INTO t VALUES (1);\nALTER TABLE t ADD COLUMN b int;\n",
        },
    )
    with psycopg.connect(empty_url, application_name="the-reader") as reader:
        reader.execute("SELECT * FROM t")
        once = Options(lock_retries=0, additions=frozenset({"none"}))
        message = failed_migrate_with(empty_url, chain, once)
    assert message.startswith("002_b (002_b.sql) gave up after 1 tries (lock_timeout 100ms): ")
    assert "(the-reader, idle in transaction)" in message
    assert message.endswith(
        "; statements 1-1 of 2 of 002_b are applied; the next run resumes at statement 2"
    )


def test_stamp_and_accept_wait_for_the_lock_under_their_own_names(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator's stamp or accept waits for the migration lock (saying so), shows as itself
    in pg_stat_activity meanwhile, and gives up at its deadline."""
    chain = small_at_head(tmp_path, empty_url)
    waits = Options(lock_deadline=0.3)
    seen: list[str] = []
    with lock_held(empty_url, "the-holder") as holder:
        real_sleep = time.sleep  # the module lock sleeps with

        def sleep(seconds: float) -> None:
            seen.extend(
                names(
                    empty_url,
                    "SELECT application_name FROM pg_stat_activity WHERE application_name "
                    "LIKE 'roboco_sql %'",
                )
            )
            real_sleep(seconds)

        monkeypatch.setattr(time, "sleep", sleep)
        said: list[str] = []
        with pytest.raises(LockTimeout):
            stamp(empty_url, chain, "003_c", options=waits, echo=said.append)
        assert (
            said[0]
            == f"waiting for the migration lock held by pid {holder.info.backend_pid} (the-holder)"
        )
        assert set(seen) == {"roboco_sql stamp"}
        seen.clear()
        with pytest.raises(LockTimeout):
            accept(empty_url, chain, "003_c", options=waits)
        assert set(seen) == {"roboco_sql accept"}


def test_the_version_moved_by_a_down_section_is_refused(tmp_path: Path, empty_url: str) -> None:
    files = {
        **SMALL,
        "003_c.sql": "CREATE INDEX ix_t_a ON t (a);\n\n-- down\nDROP INDEX ix_t_a;\n"
        "UPDATE alembic_version SET version_num = 'elsewhere';\n",
    }
    chain = chain_of(tmp_path, files)
    migrate(empty_url, chain, options=NO_ADDITIONS)
    back = Options(go_back=True, additions=frozenset({"none"}))
    with pytest.raises(MigrationError) as moved:
        migrate(empty_url, chain, "002_b", options=back)
    assert str(moved.value) == "alembic_version moved under us while reverting 003_c"
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "003_c"
    assert one(empty_url, "SELECT to_regclass('ix_t_a') IS NOT NULL") is True


def test_chatter_goes_to_the_debug_log_under_its_step_and_nothing_else_is_heard(
    tmp_path: Path, empty_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A step's NOTICE is logged under the step's name; the runner's own statements outside a
    step (the bookkeeping's IF NOT EXISTS, on every run) are not heard at all."""
    chain = first_applied(
        tmp_path,
        empty_url,
        {"001_q.sql": "SELECT 1;\n", "002_r.sql": "DROP TABLE IF EXISTS nope;\n"},
    )
    with caplog.at_level("DEBUG"):
        report = migrate(empty_url, chain, options=NO_ADDITIONS)
    assert report.applied[0].notices == ()
    assert [r.getMessage() for r in caplog.records if r.name == "roboco_sql.migrate"] == [
        '002_r: NOTICE: table "nope" does not exist, skipping'
    ]
    assert [r for r in caplog.records if r.name.startswith("psycopg")] == []


def test_each_command_shows_its_own_name_to_the_server(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator looking at pg_stat_activity sees which roboco_sql command holds a session."""
    from roboco_sql import db

    chain = small_at_head(tmp_path, empty_url)
    seen: list[str] = []
    real = db.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        conn = real(*args, **kwargs)
        name = conn.execute("SELECT current_setting('application_name')").fetchone()
        assert name is not None
        seen.append(name[0])
        return conn

    for module in ("standing", "plan", "verify", "start"):
        monkeypatch.setattr(
            importlib.import_module(f"roboco_sql.migrate.{module}"), "connect", connect
        )
    history(empty_url)
    status(empty_url, chain)
    plan(empty_url, chain)
    (chain.directory / FILENAME).write_text(build_fingerprints(empty_url, chain).to_json())
    assert verify(empty_url, chain).exit_code == 0
    assert seen == [
        "roboco_sql history",
        "roboco_sql status",
        "roboco_sql plan",
        "roboco_sql verify",
    ]


# -- a clean database at its target, additions, data loss, in-process (migrate-apply-unreached)


def test_an_addition_wanted_at_a_clean_head_is_applied_once_then_left(
    tmp_path: Path, empty_url: str
) -> None:
    adds = tmp_path / "adds"
    adds.mkdir()
    (adds / "x.sql").write_text(
        "-- addition: x\n-- requires: 001_t\n-- default: off\nCREATE TABLE x_made (a int);\n"
    )
    chain = chain_of(tmp_path, SMALL, adds)
    migrate(empty_url, chain, options=NO_ADDITIONS)
    made = "SELECT count(*) FROM pg_tables WHERE tablename = 'x_made'"
    assert one(empty_url, made) == 0
    wanted = Options(additions=frozenset({"x"}), lock_deadline=0.2)
    assert migrate(empty_url, chain, options=wanted).additions == ["x"]
    assert one(empty_url, made) == 1
    with lock_held(empty_url):
        assert migrate(empty_url, chain, options=wanted).additions == []  # no lock needed
    assert due_additions(chain, {}, frozenset({"x"}), "004_not_in_the_chain") == []


def test_a_pending_drop_of_rows_is_refused_unless_allowed(tmp_path: Path, empty_url: str) -> None:
    chain = chain_of(tmp_path, {"001_t.sql": TABLE, "002_drop.sql": "DROP TABLE t;\n"})
    migrate(empty_url, chain, "001_t", options=NO_ADDITIONS)
    with pytest.raises(DataLossRefused) as refused:
        migrate(empty_url, chain, options=NO_ADDITIONS)
    assert str(refused.value).startswith("refusing to lose data: 002_drop drops t (2 rows).")
    assert one(empty_url, "SELECT count(*) FROM t") == 2
    allowed = migrate(empty_url, chain, options=replace(NO_ADDITIONS, allow_data_loss=True))
    assert [a.revision for a in allowed.applied] == ["002_drop"]


def test_migrate_connects_under_its_own_application_name(tmp_path: Path, empty_url: str) -> None:
    seen = "CREATE TABLE seen AS SELECT current_setting('application_name') AS app;\n"
    migrate(empty_url, chain_of(tmp_path, {"001_seen.sql": seen}), options=NO_ADDITIONS)
    assert one(empty_url, "SELECT app FROM seen") == "roboco_sql migrate"


def test_a_clean_database_at_its_target_is_left_without_taking_the_lock(
    tmp_path: Path, empty_url: str
) -> None:
    """The no-op path reads the state and leaves: another migrator's lock does not hold it up."""
    chain = small_at_head(tmp_path, empty_url)
    with lock_held(empty_url):
        again = migrate(empty_url, chain, options=replace(NO_ADDITIONS, lock_deadline=0.2))
    assert again.applied == [] and again.additions == []


def test_a_no_op_sends_one_statement_the_state_read(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At its target, migrate's one statement is the state read: the standby check takes its
    answer from that read rather than asking the server again."""
    chain = small_at_head(tmp_path, empty_url)
    sent: list[str] = []
    execute = psycopg.Connection.execute

    def counted(self: psycopg.Connection[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    migrate(empty_url, chain, options=NO_ADDITIONS)
    assert len(sent) == 1 and "pg_is_in_recovery()" in sent[0], sent


# -- what the apply slice's run at b77bee3 found unpinned -------------------------------------

# a table, then a `transaction: none` file indexing it
TABLE_THEN_INDEX = {
    "001_t.sql": TABLE,
    "002_ix.sql": "-- transaction: none\nCREATE INDEX ix ON t (a);\n",
}


def test_a_non_transactional_file_on_a_backend_other_than_the_locks_is_refused(
    tmp_path: Path, empty_url: str
) -> None:
    chain = first_applied(
        tmp_path,
        empty_url,
        TABLE_THEN_INDEX,
    )
    with psycopg.connect(empty_url, autocommit=True) as conn:
        steps = Steps(conn, chain, NO_ADDITIONS, quiet, conn.info.backend_pid + 1)
        with pytest.raises(MigrationError) as refused:
            steps.apply(chain["002_ix"], MigrationReport(None, None))
    assert "pooler (its backend changed)" in str(refused.value)
    assert one(empty_url, "SELECT to_regclass('ix')") is None


def test_each_applied_step_is_said_with_its_time_in_milliseconds(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticking_clock(monkeypatch, steps_module)
    said: list[str] = []
    migrate(empty_url, small(tmp_path), "002_b", options=NO_ADDITIONS, echo=said.append)
    assert said == ["applied 001_t in 2000 ms", "applied 002_b in 2000 ms"]


def test_a_step_that_keeps_deadlocking_gives_up_saying_so(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = small(tmp_path)
    tries: list[str] = []

    def deadlocked(conn: Any, m: Any, *args: Any) -> None:
        tries.append(m.revision)
        raise psycopg.errors.DeadlockDetected("deadlock detected")

    monkeypatch.setattr(atomic_module, "run", deadlocked)
    jitters: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        jitters.append((low, high))
        return low

    monkeypatch.setattr(steps_module, "random", SimpleNamespace(uniform=uniform))
    said: list[str] = []
    thrice = replace(NO_ADDITIONS, lock_retries=2, backoff=0.1)
    with pytest.raises(MigrationError) as failed:
        migrate(empty_url, chain, options=thrice, echo=said.append)
    assert str(failed.value) == (
        "001_t (001_t.sql) gave up after 3 tries (deadlock 5s): the blocking session has gone; "
        "nothing of 001_t was applied"
    )
    assert tries == ["001_t"] * 3
    assert jitters == [(0.5, 1.5)] * 2
    # each pause: the backoff, doubled per try, times the jitter's low end
    assert said == [
        f"  001_t: waited 5s for a lock; retrying in {pause}s (the blocking session has gone)"
        for pause in ("0.05", "0.10")
    ]


def test_a_notice_is_sorted_by_its_untranslated_severity(tmp_path: Path) -> None:
    """A server speaking French says AVIS for NOTICE: chatter all the same."""
    heard: list[str] = []
    steps = SimpleNamespace(current=small(tmp_path)["001_t"], heard=heard)
    for severity, untranslated in (("AVIS", "NOTICE"), ("ATTENTION", "WARNING")):
        diag = SimpleNamespace(
            severity=severity,
            severity_nonlocalized=untranslated,
            message_primary="m",
            message_detail=None,
            message_hint=None,
        )
        Steps._notice(steps, diag)  # type: ignore[arg-type]
    assert heard == ["ATTENTION: m"]


def test_a_non_transactional_files_time_is_recorded_in_milliseconds(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = first_applied(
        tmp_path,
        empty_url,
        TABLE_THEN_INDEX,
    )
    ticking_clock(monkeypatch, autocommit_module)
    migrate(empty_url, chain, options=NO_ADDITIONS)
    recorded = "SELECT duration_ms FROM roboco_sql.history WHERE revision = '002_ix'"
    assert one(empty_url, recorded) == 2000.0


def test_an_unsound_pending_file_stops_the_run_before_anything_runs(
    tmp_path: Path, empty_url: str
) -> None:
    """The chain is loaded without reading its SQL; migrate checks the files it will run, and
    only those: below the unsound file, the chain runs."""
    files = {"001_a.sql": TABLE, "002_b.sql": "\\i somewhere.sql\n", "003_c.sql": TABLE}
    chain = load_chain(write_chain(tmp_path / "m", files), deep=False)
    with pytest.raises(ChainError) as unsound:
        migrate(empty_url, chain, options=NO_ADDITIONS)
    assert str(unsound.value).startswith("002_b.sql:3:1: a psql meta-command is not allowed")
    assert one(empty_url, "SELECT to_regclass('t')") is None
    migrate(empty_url, chain, "001_a", options=NO_ADDITIONS)
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_a"


def test_the_probe_runs_before_the_lock_and_only_when_the_ports_differ(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[int] = []

    def probe(conn: Any) -> bool:
        probes.append(1)
        return False

    monkeypatch.setattr(lock, "_reaches_server_directly", probe)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        lock.check_direct(conn)  # the port dialled is the server's: no probe
        assert probes == []
        port, named = conn.info.port, bookkeeping.named

        def elsewhere(name: str, **params: Any) -> Query:  # the server says another port
            if name == "backend_and_port":
                return Query(f"SELECT pg_backend_pid(), {port + 1}")
            return named(name, **params)

        monkeypatch.setattr(bookkeeping, "named", elsewhere)
        lock.check_direct(conn, conn.info.backend_pid)  # under the lock, the backend counts
        assert probes == []
        with pytest.raises(MigrationError, match=f"pooler \\(port {port} reaches {port + 1}\\)"):
            lock.check_direct(conn)
        assert probes == [1]


def test_a_part_that_releases_the_lock_is_not_committed(tmp_path: Path, empty_url: str) -> None:
    files = {"001_a.sql": "CREATE TABLE t (x int);\nSELECT pg_advisory_unlock_all();\n"}
    message = failed_migrate(empty_url, chain_of(tmp_path, files))
    assert message.startswith("001_a was not committed: this session does not hold the migration")
    assert one(empty_url, "SELECT to_regclass('t')") is None


def test_a_run_that_lost_the_lock_on_the_way_says_so(tmp_path: Path, empty_url: str) -> None:
    """A `transaction: none` file commits statement by statement, without the guard: the
    lock's loss shows at the end of the run."""
    files = {"001_a.sql": "-- transaction: none\nSELECT pg_advisory_unlock_all();\n"}
    message = failed_migrate(empty_url, chain_of(tmp_path, files))
    assert message.startswith("the migration lock was not held at the end of the run")


def test_an_alembic_database_at_its_target_is_adopted_not_left(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small_at_head(tmp_path, empty_url)
    forget_runner(empty_url, version_table=True)
    assert migrate(empty_url, chain, options=NO_ADDITIONS).adopted == "003_c"
    assert rows_of(empty_url, "SELECT revision, how FROM roboco_sql.history") == [
        ("003_c", "adopted")
    ]


def test_a_half_done_file_is_never_nothing_to_do(tmp_path: Path, empty_url: str) -> None:
    """At its target with a later file half-done, a run still takes the lock to look."""
    chain = small_at_head(tmp_path, empty_url)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO roboco_sql.progress (revision, step, checksum) VALUES ('x', 1, 'c')"
        )
    with lock_held(empty_url), pytest.raises(LockTimeout):
        migrate(empty_url, chain, options=replace(NO_ADDITIONS, lock_deadline=0.2))
