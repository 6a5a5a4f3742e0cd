"""The migration runner against a real server: locking, crashes, resumption, adoption."""

from __future__ import annotations

import json
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import psycopg
import pytest

from roboco_sql import init_db
from roboco_sql.errors import (
    ChecksumMismatch,
    ConfigError,
    DataLossRefused,
    MigrationError,
    StandbyRefused,
)
from roboco_sql.migrate import load_chain, migrate, stamp
from roboco_sql.migrate.chain import Chain
from roboco_sql.migrate.runner import (
    SHIPPED_EDIT,
    Options,
    accept,
    history,
    in_recovery,
    read_state,
    refuse_standby,
)
from roboco_sql.migrate.standing import status
from tests.conftest import ROOT, run_cli
from tests.fix_catalog import diff, dump, reference
from tests.fix_migrate import (
    OURS_AT_HEAD,
    SMALL,
    forget_runner,
    names,
    one,
    row,
    rows,
    write_chain,
)

CHAIN = load_chain()
HEAD = CHAIN.head


def history_rows(url: str) -> list[tuple[Any, ...]]:
    return rows(url, "SELECT revision, how FROM roboco_sql.history ORDER BY 1")


# --- building, re-running, status -------------------------------------------------------


def test_fresh_build_records_every_revision(empty_url: str) -> None:
    report = migrate(empty_url, CHAIN)
    assert [a.revision for a in report.applied] == [m.revision for m in CHAIN]
    assert report.from_revision is None and report.to_revision == HEAD
    assert history_rows(empty_url) == sorted((m.revision, "applied") for m in CHAIN)
    assert one(empty_url, "SELECT version_num FROM alembic_version") == HEAD
    assert migrate(empty_url, CHAIN).applied == []
    st = status(empty_url, CHAIN)
    assert st.exit_code == 0 and st.pending == []


def test_to_stops_at_a_revision_and_refuses_to_go_back(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "010_audit_log_details_jsonb")
    st = status(empty_url, CHAIN)
    assert st.current == "010_audit_log_details_jsonb" and st.exit_code == 1
    assert len(st.pending) == len(CHAIN) - 10
    with pytest.raises(MigrationError, match="past 005_blocker_raised_by; going back runs down"):
        migrate(empty_url, CHAIN, "005_blocker_raised_by")  # a pinned boot never goes back
    with pytest.raises(MigrationError, match="unknown target revision nope"):
        migrate(empty_url, CHAIN, "nope")


def test_status_cli_exit_codes_and_json(empty_url: str) -> None:
    pending = run_cli("status", "--json", "--database-url", empty_url)
    assert pending.returncode == 1
    assert json.loads(pending.stdout)["pending"][0] == "001_initial_schema"
    assert run_cli("migrate", "--database-url", empty_url).returncode == 0
    at_head = run_cli("status", "--database-url", empty_url)
    assert at_head.returncode == 0, at_head.stderr
    assert at_head.stdout.strip() == f"at head ({HEAD})"
    hist = run_cli("history", "--json", "--database-url", empty_url)
    assert len(json.loads(hist.stdout)) == len(CHAIN)


async def test_init_db_reports_what_it_did(empty_url: str) -> None:
    report = await init_db(empty_url)
    assert len(report.applied) == len(CHAIN) and report.to_revision == HEAD
    assert report.rag_enabled is True and report.rag_reason is None
    assert one(empty_url, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'") == 1
    again = await init_db(empty_url)
    assert again.applied == [] and again.rag_enabled is True


async def test_init_db_honours_the_target_revision_and_additions_settings(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator keeping messaging pins 059; ROBOCO_DATABASE_ADDITIONS picks additions."""
    monkeypatch.setenv("ROBOCO_DATABASE_TARGET_REVISION", "059_x_credentials")
    monkeypatch.setenv("ROBOCO_DATABASE_ADDITIONS", "default,task_scope_check")
    report = await init_db(empty_url)
    assert report.to_revision == "059_x_credentials"
    assert report.additions == ["task_graph_indexes", "task_scope_check", "task_lookup_indexes"]
    assert one(empty_url, "SELECT to_regclass('channels') IS NOT NULL") is True
    monkeypatch.setenv("ROBOCO_DATABASE_ADDITIONS", "default,no_such_thing")
    with pytest.raises(ConfigError, match="names no addition no_such_thing"):
        await init_db(empty_url)


# --- failures ----------------------------------------------------------------------------


def test_failing_statement_is_reported_by_file_line_and_column(
    tmp_path: Path, empty_url: str
) -> None:
    chain_dir = write_chain(
        tmp_path / "m",
        {
            "001_base.sql": "CREATE TABLE t (x int);\n",
            "002_bad.sql": "CREATE TABLE u (y int);\n/* a comment */\nINSERT INTO t (x)\n"
            "  VALUES (1), ('one');\n",
        },
    )
    result = run_cli("migrate", "--migrations-dir", str(chain_dir), "--database-url", empty_url)
    assert result.returncode == 1
    err = result.stderr.strip().splitlines()[-1]
    assert err.startswith("error: 002_bad failed at 002_bad.sql:6:")
    assert 'invalid input syntax for type integer: "one"' in err
    assert "nothing of 002_bad was applied" in err
    assert "Traceback" not in result.stderr
    assert one(empty_url, "SELECT to_regclass('u')") is None  # its first statement rolled back
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_base"


def test_a_failure_without_a_position_is_pinned_to_its_statement(
    tmp_path: Path, empty_url: str
) -> None:
    """A run-time error (no position from the server) still names its statement's line, and
    the whole file is rolled back; a position in a later file maps into that file."""
    chain = load_chain(
        write_chain(
            tmp_path / "m",
            {
                "001_base.sql": "CREATE TABLE t (x int);\n",
                "002_boom.sql": "INSERT INTO t VALUES (1);\n-- a comment; with a semicolon\n"
                "SELECT 1;\nUPDATE t SET x = x / 0;\nINSERT INTO t VALUES (2);\n",
            },
        )
    )
    with pytest.raises(MigrationError) as e:
        migrate(empty_url, chain)
    assert str(e.value).startswith("002_boom failed at 002_boom.sql:6:1: division by zero")
    assert "nothing of 002_boom was applied" in str(e.value)
    assert one(empty_url, "SELECT count(*) FROM t") == 0
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_base"


def test_a_failure_the_server_answers_while_the_replay_still_sends_is_pinned_quietly(
    tmp_path: Path, empty_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """With many statements after the failing one, the server's error arrives while the replay
    is still sending: psycopg raises it from a later statement's execute. It is still pinned to
    the failing statement, and leaving the pipeline logs nothing."""
    inserts = "".join(f"INSERT INTO t VALUES ({n});\n" for n in range(2000))
    chain = load_chain(
        write_chain(
            tmp_path / "m",
            {
                "001_base.sql": "CREATE TABLE t (x int);\n",
                "002_boom.sql": f"INSERT INTO t VALUES (1);\nUPDATE t SET x = x / 0;\n{inserts}",
            },
        )
    )
    with caplog.at_level("WARNING"), pytest.raises(MigrationError) as e:
        migrate(empty_url, chain)
    assert str(e.value).startswith("002_boom failed at 002_boom.sql:4:1: division by zero")
    assert not [r for r in caplog.records if r.name.startswith("psycopg")], caplog.records
    assert one(empty_url, "SELECT count(*) FROM t") == 0


def test_notices_go_to_the_debug_log_and_warnings_to_the_operator(
    tmp_path: Path, empty_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    chain = load_chain(
        write_chain(
            tmp_path / "m",
            {
                "001_quiet.sql": "DROP TABLE IF EXISTS nope;\nCREATE TABLE t (x int);\n",
                "002_loud.sql": "DO $$ BEGIN RAISE WARNING 'check the rows of t'; END $$;\n",
            },
        )
    )
    said: list[str] = []
    with caplog.at_level("DEBUG", logger="roboco_sql.migrate"):
        report = migrate(empty_url, chain, echo=said.append)
    assert not [line for line in said if "NOTICE" in line or "nope" in line], said
    assert "  002_loud: WARNING: check the rows of t" in said
    assert report.applied[0].notices == ()
    assert report.applied[1].notices == ("WARNING: check the rows of t",)
    debug = [r.getMessage() for r in caplog.records if r.levelname == "DEBUG"]
    assert any('table "nope" does not exist, skipping' in m for m in debug), debug
    cli = write_chain(tmp_path / "n", {"001_quiet.sql": "DROP TABLE IF EXISTS nope;\n"})
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA roboco_sql CASCADE; DROP TABLE alembic_version; DROP TABLE t")
    result = run_cli("migrate", "--migrations-dir", str(cli), "--database-url", empty_url)
    assert result.returncode == 0, result.stderr
    assert "NOTICE" not in result.stdout + result.stderr


def test_a_pending_files_bad_sql_is_refused_before_any_file_runs(
    tmp_path: Path, empty_url: str
) -> None:
    """Loading the chain reads only headers; the runner checks the SQL of every file it is
    about to run before running the first, so a broken third file stops the first two too."""
    chain_dir = write_chain(
        tmp_path / "m",
        {
            "001_base.sql": "CREATE TABLE t (x int);\n",
            "002_more.sql": "CREATE TABLE u (y int);\n",
            "003_broken.sql": "CREATE TABLE v (z int);\nCOMMIT;\n",
        },
    )
    result = run_cli("migrate", "--migrations-dir", str(chain_dir), "--database-url", empty_url)
    assert result.returncode != 0
    assert "003_broken.sql:4:1: COMMIT is not allowed" in result.stderr  # two header lines
    assert "Traceback" not in result.stderr
    assert one(empty_url, "SELECT to_regclass('t')") is None  # nothing ran
    assert one(empty_url, "SELECT to_regclass('public.alembic_version')") is None


def test_a_no_op_reads_no_sql(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """At head, migrate neither lexes nor checks a single file: its cost stays the same
    however long the chain grows."""
    from roboco_sql import sqllex

    lexed: list[int] = []
    real = sqllex.split
    monkeypatch.setattr(
        sqllex,
        "split",
        lambda *a, **k: lexed.append(1) or real(*a, **k),  # type: ignore[func-returns-value]
    )
    chain = load_chain(deep=False)
    report = migrate(db_url, chain)
    assert report.applied == [] and report.to_revision == chain.head
    # only the two shipped additions (loaded with the chain, a few lines each) are read
    assert len(lexed) <= 2 * len(chain.additions)
    lexed.clear()
    assert load_chain().head == chain.head and len(lexed) > len(chain)  # a deep load lexes all


def test_edited_applied_file_stops_migrate_and_status(tmp_path: Path, empty_url: str) -> None:
    chain_dir = write_chain(
        tmp_path / "m", {"001_a.sql": "CREATE TABLE a (x int);\n", "002_b.sql": "SELECT 1;\n"}
    )
    args = ("--migrations-dir", str(chain_dir), "--database-url", empty_url)
    assert run_cli("migrate", *args).returncode == 0
    path = chain_dir / "001_a.sql"
    lf = path.read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + lf.replace(b"\n", b"\r\n"))  # a CRLF checkout, with BOM
    assert run_cli("status", *args).returncode == 0
    path.write_bytes(lf.replace(b"x int", b"x bigint"))
    st = run_cli("status", *args)
    assert st.returncode == 2 and "001_a" in st.stdout
    mig = run_cli("migrate", *args)
    assert mig.returncode == 2
    assert "001_a.sql was edited after 001_a was applied" in mig.stderr
    with pytest.raises(ChecksumMismatch):
        migrate(empty_url, load_chain(chain_dir))
    accept(empty_url, load_chain(chain_dir), "001_a")
    assert run_cli("status", *args).returncode == 0
    accepted = one(empty_url, "SELECT accepted_by FROM roboco_sql.history WHERE revision = '001_a'")
    assert accepted and "@" in accepted
    (chain_dir / "002_b.sql").unlink()
    gone = run_cli("status", *args)
    assert gone.returncode == 2


def test_non_transactional_file_resumes_where_it_failed(tmp_path: Path, empty_url: str) -> None:
    concurrent = (
        "-- transaction: none\n"
        "CREATE INDEX CONCURRENTLY ix_t_a ON t (a);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY ux_t_b ON t (b);\n"
        "CREATE INDEX CONCURRENTLY ix_t_c ON t (c);\n"
    )
    chain_dir = write_chain(
        tmp_path / "m",
        {
            "001_t.sql": "CREATE TABLE t (a int, b int, c int);\n"
            "INSERT INTO t VALUES (1, 1, 1), (2, 1, 2);\n",
            "002_ix.sql": concurrent,
        },
    )
    args = ("--migrations-dir", str(chain_dir), "--database-url", empty_url)
    failed = run_cli("migrate", *args)
    assert failed.returncode == 1
    assert "002_ix failed at 002_ix.sql:5:1" in failed.stderr
    assert "statements 1-1 of 3 of 002_ix are applied" in failed.stderr
    assert "resumes at statement 2" in failed.stderr
    # the failed unique build leaves an INVALID index behind
    assert (
        one(empty_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ux_t_b'::regclass")
        is False
    )
    st = run_cli("status", "--json", *args)
    assert st.returncode == 4 and json.loads(st.stdout)["partial"] == {"002_ix": 1}
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE t SET b = 2 WHERE a = 2")  # the operator fixes the data
    resumed = run_cli("migrate", *args)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming at statement 2 of 3" in resumed.stdout
    assert "index ux_t_b is INVALID" in resumed.stdout
    valid = rows(
        empty_url,
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = "
        "i.indexrelid WHERE i.indrelid = 't'::regclass ORDER BY 1",
    )
    assert row(empty_url, "SELECT count(*) FROM roboco_sql.progress") == (0,)
    assert valid == [("ix_t_a", True), ("ix_t_c", True), ("ux_t_b", True)]
    assert run_cli("status", *args).returncode == 0


def _alter_pending(directory: Path, url: str, lock_timeout: str, seed: str = "") -> Chain:
    """Table t (with the seed's rows) at 001_t; 002_alter, adding a column under that
    lock_timeout, still to run."""
    chain = load_chain(
        write_chain(
            directory,
            {
                "001_t.sql": f"CREATE TABLE t (a int);\n{seed}",
                "002_alter.sql": f"-- lock_timeout: {lock_timeout}\n"
                "ALTER TABLE t ADD COLUMN b int;\n",
            },
        )
    )
    migrate(url, chain, "001_t")
    return chain


def test_blocked_migration_retries_then_succeeds_and_readers_go_on(
    tmp_path: Path, empty_url: str
) -> None:
    chain = _alter_pending(tmp_path / "m", empty_url, "150ms", "INSERT INTO t VALUES (1);\n")
    lines: list[str] = []
    result: dict[str, Any] = {}
    blocker = psycopg.connect(empty_url)
    blocker.execute("SELECT * FROM t")  # an open transaction holding ACCESS SHARE on t

    def run() -> None:
        try:
            result["report"] = migrate(
                empty_url, chain, options=Options(lock_retries=30, backoff=0.05), echo=lines.append
            )
        except Exception as exc:  # pragma: no cover - reported by the assert below
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(1.0)
    reader_waits = []
    with psycopg.connect(empty_url, autocommit=True) as reader:
        for _ in range(5):
            started = time.monotonic()
            assert reader.execute("SELECT count(*) FROM t").fetchone() == (1,)
            reader_waits.append(time.monotonic() - started)
    blocker.commit()
    blocker.close()
    worker.join(timeout=30)
    assert "error" not in result, result.get("error")
    assert [a.revision for a in result["report"].applied] == ["002_alter"]
    assert any("retrying" in line and "blocked by pid" in line for line in lines), lines
    assert max(reader_waits) < 1.0  # a reader waits at most one lock_timeout, not forever


def test_blocked_migration_gives_up_naming_the_blocker(tmp_path: Path, empty_url: str) -> None:
    chain = _alter_pending(tmp_path / "m", empty_url, "100ms")
    with psycopg.connect(empty_url, application_name="stuck-report") as blocker:
        blocker.execute("SELECT * FROM t")
        with pytest.raises(MigrationError) as caught:
            migrate(empty_url, chain, options=Options(lock_retries=2, backoff=0.01))
        blocker.rollback()
    message = str(caught.value)
    assert "002_alter (002_alter.sql) gave up after 3 tries (lock_timeout 100ms)" in message
    assert "stuck-report" in message and "nothing of 002_alter was applied" in message
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_t"


# --- many processes, crashes --------------------------------------------------------------


def _log_tail(log: Path | None) -> int:
    return log.stat().st_size if log is not None and log.exists() else 0


def _log_errors(log: Path | None, start: int) -> list[str]:
    """Duplicate objects/keys in the server log since start; skips (saying so) when there is
    no log to read (a ROBOCO_TEST_DATABASE_URL server), never passing a check not made."""
    if log is None:
        pytest.skip("no server log on a ROBOCO_TEST_DATABASE_URL server: log check not made")
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    return [ln for ln in text.splitlines() if "already exists" in ln or "duplicate key" in ln]


def test_eight_processes_migrate_an_empty_database_at_once(
    empty_url: str, server_log: Path | None
) -> None:
    start = _log_tail(server_log)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "roboco_sql", "migrate", "--json", "--database-url", empty_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(8)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in outputs]
    applied = [len(json.loads(out)["applied"]) for out, _ in outputs]
    assert sorted(applied) == [0] * 7 + [len(CHAIN)]
    assert history_rows(empty_url) == sorted((m.revision, "applied") for m in CHAIN)
    assert _log_errors(server_log, start) == []


def test_killed_migrations_leave_a_clean_revision_and_finish(empty_url: str, db_url: str) -> None:
    rng = random.Random(20261127)
    kills = 0
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-m", "roboco_sql", "migrate", "--database-url", empty_url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        time.sleep(rng.uniform(0.25, 0.6))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        version = (
            row(
                empty_url,
                "SELECT (SELECT version_num FROM alembic_version), "
                "(SELECT count(*) FROM roboco_sql.history), "
                "(SELECT count(*) FROM roboco_sql.progress)",
            )
            if one(empty_url, "SELECT to_regclass('roboco_sql.progress')")
            else None
        )
        if version is not None and version[0] is not None:
            position = [m.revision for m in CHAIN].index(version[0])
            assert version[1] == position + 1 and version[2] == 0
        if version is not None and version[0] == HEAD:
            break
    assert kills >= 1
    assert run_cli("migrate", "--database-url", empty_url).returncode == 0
    assert diff(dump(db_url), dump(empty_url)) == []  # the same as a fresh build


# --- adopting existing databases ----------------------------------------------------------


def test_alembic_database_is_adopted_and_continued(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "020_backfill_enum_values")
    forget_runner(empty_url, version_table=True)  # as RoboCo's Alembic leaves it
    st = run_cli("status", "--database-url", empty_url)
    assert st.returncode == 1 and "migrate will adopt it" in st.stdout
    report = migrate(empty_url, CHAIN)
    assert report.adopted == "020_backfill_enum_values"
    assert len(report.applied) == len(CHAIN) - 20
    hows = dict(history_rows(empty_url))
    assert hows["020_backfill_enum_values"] == "adopted" and hows[HEAD] == "applied"
    assert "019_seed_default_providers" not in hows


def test_unknown_alembic_revision_is_refused_untouched(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "012_align_agentrole_foundation")
    forget_runner(empty_url, version_table=True)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '099_from_a_fork'")
    result = run_cli("migrate", "--database-url", empty_url)
    assert result.returncode == 1
    assert "at revision 099_from_a_fork, which no file" in result.stderr
    assert one(empty_url, "SELECT to_regnamespace('roboco_sql')") is None
    assert run_cli("status", "--database-url", empty_url).returncode == 2


@pytest.mark.parametrize("revision", ["001_initial_schema", "033_pitches"])
def test_versionless_database_is_stamped_where_it_matches(
    empty_url: str, db_url: str, revision: str
) -> None:
    migrate(empty_url, CHAIN, revision)
    forget_runner(empty_url, version_table=False)
    report = migrate(empty_url, CHAIN)
    assert report.stamped == revision
    assert report.applied[0].revision == CHAIN.between(revision, None)[0].revision
    assert dict(history_rows(empty_url))[revision] == "stamped"
    assert diff(dump(db_url), dump(empty_url)) == []


def test_versionless_database_matching_nothing_is_refused_with_a_report(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "033_pitches")
    forget_runner(empty_url, version_table=False)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE pitches ADD COLUMN by_hand text")
    before = dump(empty_url)
    result = run_cli("migrate", "--database-url", empty_url)
    assert result.returncode == 1
    assert "matches no revision exactly; nothing was changed" in result.stderr
    assert "Closest revision: 033_pitches" in result.stderr
    assert "extra: column pitches.by_hand text" in result.stderr
    assert dump(empty_url) == before
    assert one(empty_url, "SELECT to_regclass('alembic_version')") is None
    stamp(empty_url, CHAIN, "033_pitches")
    assert migrate(empty_url, CHAIN).to_revision == HEAD


def test_stamp_older_than_recorded_is_refused_unless_forced(empty_url: str, tmp_path: Path) -> None:
    chain = load_chain(
        write_chain(
            tmp_path / "m",
            {f"00{n}_s.sql": f"CREATE TABLE t{n} (x int);\n" for n in range(1, 5)},
        )
    )
    migrate(empty_url, chain)
    with pytest.raises(MigrationError, match=r"recorded at 004_s, a later .*stamp --force") as e:
        stamp(empty_url, chain, "002_s")
    assert "\n" not in str(e.value)
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "004_s"
    assert len(history_rows(empty_url)) == 4  # nothing forgotten
    said: list[str] = []
    stamp(empty_url, chain, "002_s", force=True, echo=said.append)
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "002_s"
    assert history_rows(empty_url) == [("001_s", "applied"), ("002_s", "stamped")]
    assert "forgot the history rows of 2 later revisions" in said
    stamp(empty_url, chain, "003_s")  # forward needs no force
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "003_s"


# --- servers without pgvector, bad connections ----------------------------------------


def test_server_without_pgvector_migrates_with_rag_disabled(pg15_url: str) -> None:
    with psycopg.connect(pg15_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS roboco_novector")
        conn.execute("CREATE DATABASE roboco_novector")
    url = psycopg.conninfo.make_conninfo(pg15_url, dbname="roboco_novector")
    result = run_cli("migrate", "--database-url", url)
    assert result.returncode == 0, result.stderr
    assert "warning: pgvector is not installed on the server; RAG is disabled" in result.stdout
    assert result.stdout.strip().endswith(f"at {HEAD} (RAG disabled)")
    report = migrate(url, CHAIN, pgvector=True)
    assert report.rag_enabled is False and report.applied == []


def test_bad_database_url_is_one_line_without_the_password() -> None:
    env = {"ROBOCO_DATABASE_URL": "postgresql://roboco:s3cret-pw@127.0.0.1:1/roboco"}
    result = run_cli("status", env=env)
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == (
        "error: cannot connect to 127.0.0.1:1, database roboco: "
        "connection refused (is the server running?)"
    )
    assert "s3cret" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    malformed = run_cli("status", env={"ROBOCO_DATABASE_URL": "not a url at all"})
    assert malformed.returncode == 3 and "ROBOCO_DATABASE_URL is not a valid" in malformed.stderr


def test_missing_database_is_named(admin_url: str) -> None:
    url = psycopg.conninfo.make_conninfo(admin_url, dbname="no_such_db")
    result = run_cli("status", "--database-url", url)
    assert result.returncode == 3
    assert "database no_such_db does not exist" in result.stderr.strip().splitlines()[-1]


def test_a_port_mapping_is_not_mistaken_for_a_pooler(empty_url: str) -> None:
    """RoboCo's compose publishes PostgreSQL on another port (15432 -> 5432): a forwarder on
    loopback plays that mapping, and the runner, seeing another port, probes and goes on."""
    params = psycopg.conninfo.conninfo_to_dict(empty_url)
    socket_path = f"{params['host']}/.s.PGSQL.{params.get('port') or 5432}"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    opened: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def pump(src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def serve() -> None:
        with suppress(OSError):
            while True:
                client, _ = listener.accept()
                server = socket.socket(socket.AF_UNIX)
                opened.extend((client, server))
                server.connect(socket_path)
                for a, b in ((client, server), (server, client)):
                    threads.append(threading.Thread(target=pump, args=(a, b), daemon=True))
                    threads[-1].start()

    acceptor = threading.Thread(target=serve, daemon=True)
    acceptor.start()
    try:
        mapped = psycopg.conninfo.make_conninfo(empty_url, host="127.0.0.1", port=port)
        report = migrate(mapped, CHAIN)
    finally:
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        acceptor.join(timeout=5)
        for t in threads:
            t.join(timeout=5)
        for sock in opened:
            sock.close()
    assert report.to_revision == HEAD and len(report.applied) == len(CHAIN)


# --- non-transactional files: a crash between any two steps -------------------------------

STEPS = """-- transaction: none
UPDATE counter SET n = n + 1;
CREATE INDEX CONCURRENTLY IF NOT EXISTS counter_n ON counter (n);
UPDATE counter SET n = n + 10;
ALTER TYPE mood ADD VALUE IF NOT EXISTS 'b';
DROP INDEX CONCURRENTLY IF EXISTS counter_n;
UPDATE counter SET n = n + 100;
"""


class Crash(BaseException):
    """Stands for a SIGKILL: nothing after it runs, an open transaction is lost."""


def _crash_at(monkeypatch: pytest.MonkeyPatch, where: str, step: int) -> None:
    """Crash before statement `step` runs, or after it ran but before its progress row."""
    from roboco_sql.migrate import autocommit, bookkeeping, soundness

    calls = {"n": 0}
    if where == "before":
        real_check = soundness.autocommit_only  # what autocommit imported and calls

        def check(stmt: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == step:
                raise Crash
            return real_check(stmt)

        monkeypatch.setattr(autocommit, "autocommit_only", check)
    else:
        real_progress = bookkeeping.progress_insert

        def progress(m: Any, number: int, stmt: Any) -> Any:
            if number == step:
                raise Crash
            return real_progress(m, number, stmt)

        monkeypatch.setattr(bookkeeping, "progress_insert", progress)


@pytest.mark.parametrize(
    ("where", "step"), [(w, s) for s in range(1, 7) for w in ("before", "between")]
)
def test_a_crash_between_any_two_steps_resumes_exactly(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch, where: str, step: int
) -> None:
    """Each step commits with its progress row, or (CREATE/DROP INDEX CONCURRENTLY) is written
    so that running it again is harmless: after any crash, a rerun ends as one clean run."""
    chain = load_chain(
        write_chain(
            tmp_path / "c",
            {
                "001_base.sql": "CREATE TABLE counter (n int);\nINSERT INTO counter VALUES (0);\n"
                "CREATE TYPE mood AS ENUM ('a');\n",
                "002_steps.sql": STEPS,
            },
        )
    )
    migrate(empty_url, chain, "001_base")
    with monkeypatch.context() as patched:
        _crash_at(patched, where, step)
        with pytest.raises(Crash):
            migrate(empty_url, chain)
    migrate(empty_url, chain)
    state = row(
        empty_url,
        "SELECT (SELECT n FROM counter), to_regclass('counter_n'), "
        "enum_range(NULL::mood)::text[], (SELECT version_num FROM alembic_version), "
        "(SELECT count(*) FROM roboco_sql.progress)",
    )
    assert state == (111, None, ["a", "b"], "002_steps", 0)


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("CREATE INDEX CONCURRENTLY ON counter (n)", "unnamed CREATE INDEX CONCURRENTLY"),
        ("DROP INDEX CONCURRENTLY counter_n", "DROP INDEX CONCURRENTLY IF EXISTS"),
        ("CREATE DATABASE other", "CREATE DATABASE cannot be re-run"),
    ],
)
def test_a_step_that_could_not_resume_is_refused_by_the_chain(
    tmp_path: Path, statement: str, why: str
) -> None:
    directory = write_chain(
        tmp_path / "c",
        {"001_base.sql": "SELECT 1;\n", "002_x.sql": f"-- transaction: none\n{statement};\n"},
    )
    with pytest.raises(MigrationError, match=why):
        load_chain(directory)


# --- files edited upstream after they shipped (supersedes) ----------------------------------

OLD_030 = "3943b01bd375fc3b998765c3945be6b2f9c1d012c6d7b1cd15a48742055f479c"  # roboco_sql 0.1.0


def test_a_file_edited_upstream_is_re_recorded_not_refused(empty_url: str) -> None:
    """A database that applied 030 as roboco_sql 0.1.0 shipped it goes on: the file says it
    supersedes that checksum, so the next run records today's and keeps the old one."""
    migrate(empty_url, CHAIN)
    with psycopg.connect(empty_url) as conn:
        conn.execute(
            "UPDATE roboco_sql.history SET checksum = %s WHERE revision = %s",
            (OLD_030, "030_rag_chunks_content_schema"),
        )
    assert status(empty_url, CHAIN).exit_code == 0  # not an edited file
    said: list[str] = []
    assert migrate(empty_url, CHAIN, echo=said.append).applied == []
    assert any("recorded 030_rag_chunks_content_schema" in line for line in said)
    recorded = row(
        empty_url,
        "SELECT checksum, accepted_checksum, accepted_by FROM roboco_sql.history "
        "WHERE revision = '030_rag_chunks_content_schema'",
    )
    assert recorded == (CHAIN["030_rag_chunks_content_schema"].checksum, OLD_030, SHIPPED_EDIT)
    with psycopg.connect(empty_url) as conn:  # any other checksum is still an edit
        conn.execute(
            "UPDATE roboco_sql.history SET checksum = %s WHERE revision = %s",
            ("0" * 64, "030_rag_chunks_content_schema"),
        )
    with pytest.raises(ChecksumMismatch, match="was edited after"):
        migrate(empty_url, CHAIN)


def test_supersedes_takes_checksums_only(tmp_path: Path) -> None:
    directory = write_chain(
        tmp_path / "c", {"001_base.sql": "-- supersedes: not-a-checksum\nSELECT 1;\n"}
    )
    with pytest.raises(MigrationError, match="supersedes takes sha256 checksums"):
        load_chain(directory)


def test_030_reshapes_roboco_s_new_chunk_tables(empty_url: str) -> None:
    """RoboCo's 030 (as edited upstream) reshapes chunks_playbooks and chunks_vault_notes made
    by an older app, and no longer knows chunks_conversations (060 drops it)."""
    migrate(empty_url, CHAIN, "029_project_quality_command")
    with psycopg.connect(empty_url) as conn:
        for table in ("chunks_playbooks", "chunks_vault_notes", "chunks_conversations"):
            conn.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, text text NOT NULL)")
    migrate(empty_url, CHAIN, "030_rag_chunks_content_schema")
    columns = dict(
        rows(
            empty_url,
            "SELECT table_name, string_agg(column_name, ',' ORDER BY column_name) "
            "FROM information_schema.columns WHERE table_name LIKE 'chunks%' GROUP BY 1",
        )
    )
    assert columns == {
        "chunks_playbooks": "content,created_at,id",
        "chunks_vault_notes": "content,created_at,id",
        "chunks_conversations": "id,text",
    }


# --- going back --------------------------------------------------------------------------

BACK = Options(go_back=True)


def reverted_rows(url: str) -> list[tuple[Any, ...]]:
    return rows(
        url, "SELECT revision, parent, data_lost, was_how FROM roboco_sql.reverted ORDER BY id"
    )


def test_going_back_runs_downs_newest_first_with_their_bookkeeping(
    tmp_path: Path, empty_url: str
) -> None:
    chain = load_chain(write_chain(tmp_path / "m", SMALL))
    migrate(empty_url, chain)
    lines: list[str] = []
    report = migrate(empty_url, chain, "002_b", options=BACK, echo=lines.append)
    assert [r.revision for r in report.reverted] == ["003_c"]
    assert report.from_revision == "003_c" and report.to_revision == "002_b"
    assert lines[0].startswith("reverted 003_c in ")
    assert one(empty_url, "SELECT to_regclass('ix_t_a')") is None
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "002_b"
    assert history_rows(empty_url) == [("001_t", "applied"), ("002_b", "applied")]
    assert reverted_rows(empty_url) == [("003_c", "002_b", None, "applied")]
    # the irreversible 002 is refused, naming it and why; nothing runs, not even 003's down
    migrate(empty_url, chain)
    with pytest.raises(DataLossRefused, match=r"past irreversible revisions \(002_b: t.b goes"):
        migrate(empty_url, chain, "001_t", options=BACK)
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "003_c"
    assert one(empty_url, "SELECT to_regclass('ix_t_a') IS NOT NULL") is True
    # allowed: to the base, an empty schema, with every step logged
    report = migrate(empty_url, chain, "base", options=Options(go_back=True, allow_data_loss=True))
    assert [r.revision for r in report.reverted] == ["003_c", "002_b", "001_t"]
    assert report.to_revision is None
    assert one(empty_url, "SELECT to_regclass('t')") is None
    assert one(empty_url, "SELECT count(*) FROM alembic_version") == 0
    assert history_rows(empty_url) == []
    assert reverted_rows(empty_url)[1:] == [
        ("003_c", "002_b", None, "applied"),
        ("002_b", "001_t", "t.b goes with its values", "applied"),
        ("001_t", None, None, "applied"),
    ]
    assert [a.revision for a in migrate(empty_url, chain).applied] == ["001_t", "002_b", "003_c"]
    hows = [(r["revision"], r["how"]) for r in history(empty_url)]
    assert hows.count(("003_c", "reverted")) == 2 and hows.count(("003_c", "applied")) == 3
    assert hows[-3:] == [("001_t", "applied"), ("002_b", "applied"), ("003_c", "applied")]


def test_a_failing_down_section_is_named_and_changes_nothing(
    tmp_path: Path, empty_url: str
) -> None:
    files = {
        **SMALL,
        "003_c.sql": SMALL["003_c.sql"].replace("DROP INDEX ix_t_a;", "DROP INDEX nope;"),
    }
    chain = load_chain(write_chain(tmp_path / "m", files))
    migrate(empty_url, chain)
    result = run_cli(
        "migrate",
        "--to",
        "002_b",
        "--migrations-dir",
        str(chain.directory),
        "--database-url",
        empty_url,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'error: the down section of 003_c failed at 003_c.sql:7:1: index "nope" does not exist '
        "[42704]; nothing of the down section of 003_c was applied"
    )
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "003_c"
    assert reverted_rows(empty_url) == []


def test_a_blocked_down_section_waits_its_lock_timeout_and_names_the_blocker(
    tmp_path: Path, empty_url: str
) -> None:
    chain = load_chain(write_chain(tmp_path / "m", SMALL))
    migrate(empty_url, chain)
    lines: list[str] = []
    with psycopg.connect(empty_url, application_name="stuck-reader") as blocker:
        blocker.execute("SELECT * FROM t")  # ACCESS SHARE on t, held: DROP INDEX must wait
        with pytest.raises(MigrationError) as caught:
            migrate(
                empty_url,
                chain,
                "002_b",
                options=Options(go_back=True, lock_retries=1, backoff=0.01),
                echo=lines.append,
            )
        blocker.rollback()
    message = str(caught.value)
    assert message.startswith(
        "the down section of 003_c (003_c.sql) gave up after 2 tries (lock_timeout 150ms)"
    )
    assert "stuck-reader" in message
    assert message.endswith("nothing of the down section of 003_c was applied")
    assert any(line.startswith("  003_c: waited 150ms for a lock; retrying") for line in lines)
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "003_c"
    assert [r.revision for r in migrate(empty_url, chain, "002_b", options=BACK).reverted] == [
        "003_c"
    ]


def test_a_file_without_down_section_stops_going_back_before_anything_runs(
    tmp_path: Path, empty_url: str
) -> None:
    files = {**SMALL, "002_b.sql": "ALTER TABLE t ADD COLUMN b int;\n"}
    chain = load_chain(write_chain(tmp_path / "m", files))
    migrate(empty_url, chain)
    with pytest.raises(MigrationError, match=r"cannot go back past 002_b: 002_b\.sql has no down"):
        migrate(empty_url, chain, "001_t", options=BACK)
    assert one(empty_url, "SELECT to_regclass('ix_t_a') IS NOT NULL") is True


def test_a_pinned_target_never_goes_back_only_an_explicit_to(
    tmp_path: Path, empty_url: str
) -> None:
    chain_dir = write_chain(tmp_path / "m", SMALL)
    migrate(empty_url, load_chain(chain_dir))
    common = ("--migrations-dir", str(chain_dir), "--database-url", empty_url)
    pinned = run_cli("migrate", *common, env={"ROBOCO_DATABASE_TARGET_REVISION": "002_b"})
    assert pinned.returncode == 1
    assert "past 002_b; going back runs down sections and is done only when asked" in (
        pinned.stderr
    )
    explicit = run_cli("migrate", "--to", "002_b", *common)
    assert explicit.returncode == 0, explicit.stderr
    assert explicit.stdout.splitlines()[-1].startswith("went back past 1 revision in ")
    assert explicit.stdout.strip().endswith("at 002_b")
    listed = run_cli("history", "--database-url", empty_url)
    assert listed.stdout.splitlines()[-1].startswith(f"{'003_c':<32} reverted ")


def test_concurrent_downs_take_turns_under_the_lock(tmp_path: Path, empty_url: str) -> None:
    """Four processes go back at once: one runs the down sections, the others then find
    nothing to do; each revision is reverted exactly once."""
    chain_dir = write_chain(tmp_path / "m", SMALL)
    migrate(empty_url, load_chain(chain_dir))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "roboco_sql",
                "migrate",
                "--json",
                "--to",
                "base",
                "--allow-data-loss",
                "--migrations-dir",
                str(chain_dir),
                "--database-url",
                empty_url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in outputs]
    reverted = sorted(len(json.loads(out)["reverted"]) for out, _ in outputs)
    assert reverted == [0, 0, 0, 3]
    assert [r for r, *_ in reverted_rows(empty_url)] == ["003_c", "002_b", "001_t"]


def test_additions_leave_before_the_chain_goes_below_them_and_come_back(
    empty_url: str,
) -> None:
    both = frozenset({"default", "task_scope_check"})
    migrate(empty_url, CHAIN, options=Options(additions=both))

    def ours() -> set[str]:
        return names(
            empty_url,
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'rsql%%' UNION "
            "SELECT conname FROM pg_constraint WHERE conname LIKE 'rsql%%'",
        )

    assert ours() == OURS_AT_HEAD
    back = Options(additions=both, go_back=True, allow_data_loss=True)
    # above their requires (044) they stay, maintained: below 069 the parent index is ours again
    report = migrate(empty_url, CHAIN, "068_tasks_constraints_column", options=back)
    assert report.removed == [] and ours() == OURS_AT_HEAD | {"rsql_tasks_parent_task_id"}
    lines: list[str] = []
    report = migrate(empty_url, CHAIN, "043_conventions_cache", options=back, echo=lines.append)
    assert report.removed == ["task_graph_indexes", "task_scope_check", "task_lookup_indexes"]
    assert "removed addition task_graph_indexes before going below 044_convention_findings" in lines
    assert lines.index(
        "removed addition task_graph_indexes before going below 044_convention_findings"
    ) < next(i for i, line in enumerate(lines) if line.startswith("reverted 044_"))
    assert ours() == set()
    assert one(empty_url, "SELECT count(*) FROM roboco_sql.additions") == 0
    assert diff(reference()["catalogs"]["043_conventions_cache"], dump(empty_url)) == []
    report = migrate(empty_url, CHAIN, options=Options(additions=both))
    assert report.additions == ["task_graph_indexes", "task_scope_check", "task_lookup_indexes"]
    assert ours() == OURS_AT_HEAD
    assert diff(reference()["catalogs"][CHAIN.head], dump(empty_url)) == []


def test_the_standby_check_runs_and_a_standby_is_named(empty_url: str) -> None:
    """On a primary pg_is_in_recovery() is false and nothing is refused; the refusal names
    the server (the real standby is issue 22's test)."""
    with psycopg.connect(empty_url, autocommit=True) as conn:
        assert in_recovery(conn) is False
        refuse_standby(conn)  # a primary passes
        assert read_state(conn).standby is False
        with pytest.raises(StandbyRefused) as caught:
            refuse_standby(conn, standby=True)
    dbname = psycopg.conninfo.conninfo_to_dict(empty_url)["dbname"]
    assert str(caught.value).endswith(
        f", database {dbname} is a hot standby (read-only): migrate the primary"
    )
    assert caught.value.exit_code == 1
