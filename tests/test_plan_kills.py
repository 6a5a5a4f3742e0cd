"""Behaviour of the runner's reading parts that mutation testing found unpinned (slice
migrate-plan): status and history, the report, the data-loss refusal, going back, and plan."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from roboco_sql import sqllex
from roboco_sql.errors import ChainError, DataLossRefused, MigrationError
from roboco_sql.migrate import dataloss, load_chain, migrate
from roboco_sql.migrate import steps as steps_module
from roboco_sql.migrate.bookkeeping import LOCK_KEY
from roboco_sql.migrate.chain import Chain
from roboco_sql.migrate.down import back_steps
from roboco_sql.migrate.fingerprint import FILENAME
from roboco_sql.migrate.plan import plan
from roboco_sql.migrate.report import Applied, MigrationReport, Options
from roboco_sql.migrate.scratch import build_fingerprints
from roboco_sql.migrate.standing import history, status, to_json
from tests.fix_migrate import (
    NO_ADDITIONS,
    SMALL,
    TABLE,
    chain_of,
    forget_runner,
    one,
    small,
    small_at_head,
    ticking_clock,
    write_chain,
)

CHAIN = load_chain()


# -- status and history ----------------------------------------------------------------------


def test_status_at_each_stage_of_a_small_chain(tmp_path: Path, empty_url: str) -> None:
    chain = small(tmp_path)
    fresh = status(empty_url, chain)
    assert fresh.as_dict() == {
        "current": None,
        "head": "003_c",
        "pending": ["001_t", "002_b", "003_c"],
        "mismatched": [],
        "partial": {},
        "unknown": None,
        "adoptable": False,
        "drift": None,
        "exit_code": 1,
    }
    migrate(empty_url, chain, "002_b", options=NO_ADDITIONS)
    part = status(empty_url, chain)
    assert (part.current, part.pending, part.exit_code, part.drift) == (
        "002_b",
        ["003_c"],
        1,
        None,  # the small chain stores no fingerprints
    )
    migrate(empty_url, chain, options=NO_ADDITIONS)
    assert status(empty_url, chain).exit_code == 0
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO roboco_sql.progress (revision, step, checksum) VALUES ('x', 1, 'c')"
        )
    assert status(empty_url, chain).partial == {"x": 1}
    assert status(empty_url, chain).exit_code == 4
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE roboco_sql.history SET checksum = 'edited' WHERE revision = '001_t'")
    edited = status(empty_url, chain)
    assert (edited.mismatched, edited.exit_code) == (["001_t"], 2)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'zz_unknown'")
    unknown = status(empty_url, chain)
    assert (unknown.unknown, unknown.pending, unknown.exit_code) == ("zz_unknown", [], 2)


def test_status_finds_drift_and_an_adoptable_database(db_url: str, empty_url: str) -> None:
    assert status(db_url, CHAIN).drift == []
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE pitches ADD COLUMN by_hand text")
    drifted = status(db_url, CHAIN)
    assert drifted.exit_code == 8
    assert drifted.as_dict()["drift"] == ["extra column pitches.by_hand: text"]
    migrate(empty_url, CHAIN, "010_audit_log_details_jsonb", options=NO_ADDITIONS)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA roboco_sql CASCADE")  # as RoboCo's Alembic leaves it
    alembic = status(empty_url, CHAIN)
    assert alembic.adoptable and alembic.current == "010_audit_log_details_jsonb"
    assert alembic.drift == []


def test_history_lists_applied_then_reverted_revisions(tmp_path: Path, empty_url: str) -> None:
    assert history(empty_url) == []
    chain = small_at_head(tmp_path, empty_url)
    listed = history(empty_url)
    assert [(r["revision"], r["parent"], r["how"]) for r in listed] == [
        ("001_t", None, "applied"),
        ("002_b", "001_t", "applied"),
        ("003_c", "002_b", "applied"),
    ]
    assert set(listed[0]) == {
        "revision",
        "parent",
        "how",
        "applied_at",
        "duration_ms",
        "applied_by",
        "checksum",
        "accepted_at",
    }
    migrate(empty_url, chain, "002_b", options=Options(go_back=True, additions=frozenset({"none"})))
    hows = [(r["revision"], r["how"]) for r in history(empty_url)]
    assert ("003_c", "reverted") in hows and ("003_c", "applied") in hows
    assert to_json({"at": 1}) == '{\n  "at": 1\n}'
    when = listed[0]["applied_at"]
    assert to_json([when]) == f'[\n  "{when}"\n]'  # what JSON cannot hold, as text


def test_a_runs_report_as_a_dict() -> None:
    report = MigrationReport(
        "a",
        "b",
        applied=[Applied("b", "b.sql", 0.123456, resumed_at=2, notices=("n",))],
        adopted="x",
        stamped="y",
        relaid="z",
        additions=["add"],
        rag_enabled=False,
        rag_reason="why",
        reverted=[Applied("c", "c.sql", 1.234567)],
        removed=["gone"],
    )
    assert report.as_dict() == {
        "from": "a",
        "to": "b",
        "applied": [
            {"revision": "b", "file": "b.sql", "seconds": 0.1235, "resumed_at": 2, "notices": ["n"]}
        ],
        "adopted": "x",
        "stamped": "y",
        "relaid": "z",
        "additions": ["add"],
        "reverted": [{"revision": "c", "file": "c.sql", "seconds": 1.2346}],
        "removed_additions": ["gone"],
        "rag_enabled": False,
        "rag_reason": "why",
    }
    defaults = Options()
    assert (defaults.lock_deadline, defaults.lock_retries, defaults.backoff) == (60.0, 5, 0.25)
    assert (defaults.additions, defaults.allow_data_loss, defaults.go_back) == (
        frozenset({"default"}),
        False,
        False,
    )


# -- the data-loss refusal -------------------------------------------------------------------


def drops(text: str) -> list[tuple[str, str | None]]:
    (stmt,) = sqllex.split(text)
    return list(dataloss.targets(stmt))


def test_what_a_statement_drops() -> None:
    assert drops('DROP TABLE IF EXISTS a, s.b, "Q" CASCADE') == [
        ("a", None),
        ("s.b", None),
        ("Q", None),
    ]
    assert drops("ALTER TABLE ONLY s.t DROP COLUMN IF EXISTS c, DROP d, ADD e int") == [
        ("s.t", "c"),
        ("s.t", "d"),
    ]
    assert drops("ALTER TABLE t DROP CONSTRAINT k, ALTER x DROP DEFAULT") == []
    assert drops("ALTER TABLE t DROP COLUMN c") == [("t", "c")]
    assert drops("ALTER TABLE t DROP c") == [("t", "c")]  # the column last
    assert drops("ALTER TABLE t DROP CONSTRAINT k, DROP c") == [("t", "c")]
    assert drops("ALTER TABLE IF EXISTS -- drop") == []  # cut short: read without error
    assert drops("ALTER TABLE t DROP COLUMN IF EXISTS") == []
    assert drops('DROP TABLE s.b, "a""b"') == [("s.b", None), ('a"b', None)]
    assert drops("DROP TABLE s.b") == [("s.b", None)]
    assert drops("DROP TABLE s.")  # cut after the dot: read without error (the server refuses it)
    assert drops("ALTER TABLE IF EXISTS") == []
    assert drops("CREATE TABLE t (a int)") == []
    assert drops("ALTER TABLE t ADD COLUMN dropped int") == []


def test_losses_are_counted_and_worded(tmp_path: Path, empty_url: str) -> None:
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA s; CREATE TABLE s.kept (a int, b int)")
        conn.execute("INSERT INTO s.kept VALUES (1, NULL), (2, 3)")
        conn.execute("CREATE TABLE one_row (x int); INSERT INTO one_row VALUES (1)")
        conn.execute("CREATE TABLE empty (x int)")
        chain = load_chain(
            write_chain(
                tmp_path / "d",
                {
                    "001_cols.sql": "ALTER TABLE s.kept DROP COLUMN b;\n",
                    "002_tables.sql": "ALTER TABLE s.kept DROP COLUMN b;\n"
                    "DROP TABLE one_row, empty, missing;\n",
                },
            )
        )
        losses = dataloss.find(conn, chain)
        assert dataloss.find(conn, [chain["001_cols"]]) == []  # a column alone: no refusal
        assert dataloss.find(conn, []) == []
    assert [str(loss) for loss in losses] == ["s.kept.b (non-null in 1 row)", "one_row (1 row)"]
    assert str(dataloss.Loss("r", "t", None, 2)) == "t (2 rows)"
    assert dataloss.refusal([*losses, dataloss.Loss("003_x", "t", None, 2)]) == (
        "refusing to lose data: 002_tables drops s.kept.b (non-null in 1 row), one_row (1 row); "
        "003_x drops t (2 rows). Nothing was applied. Back it up first (python -m roboco_sql "
        "backup FILE), then run migrate --allow-data-loss; or stay below it with "
        "ROBOCO_DATABASE_TARGET_REVISION / migrate --to"
    )


# -- going back ------------------------------------------------------------------------------


def test_a_table_and_one_of_its_columns_dropped_are_both_counted(
    tmp_path: Path, empty_url: str
) -> None:
    chain = chain_of(tmp_path, {"001_x.sql": "ALTER TABLE t DROP COLUMN c;\nDROP TABLE t;\n"})
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int, c int); INSERT INTO t VALUES (1, 1), (2, NULL)")
        assert [str(loss) for loss in dataloss.find(conn, chain)] == [
            "t.c (non-null in 1 row)",
            "t (2 rows)",
        ]


def test_going_back_is_refused_unless_asked_and_while_a_file_is_half_done(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small_at_head(tmp_path, empty_url)
    with pytest.raises(MigrationError) as unasked:
        migrate(empty_url, chain, "002_b", options=NO_ADDITIONS)
    assert str(unasked.value) == (
        "the database is at 003_c, past 002_b; going back runs down sections and is done only "
        "when asked: migrate --to 002_b"
    )
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO roboco_sql.progress (revision, step, checksum) VALUES ('003_c', 1, 'c')"
        )
    back = Options(go_back=True, additions=frozenset({"none"}))
    with pytest.raises(MigrationError) as half:
        migrate(empty_url, chain, "002_b", options=back)
    assert str(half.value) == "003_c is partly applied; finish it (migrate) before going back"
    with pytest.raises(MigrationError) as planned:
        plan(empty_url, chain, "002_b")
    assert str(planned.value) == str(half.value)
    with psycopg.connect(empty_url, autocommit=True) as conn:  # by hand: two half-done files
        conn.execute(
            "INSERT INTO roboco_sql.progress (revision, step, checksum) VALUES ('002_b', 1, 'c')"
        )
    with pytest.raises(MigrationError) as both:
        plan(empty_url, chain, "002_b")
    assert str(both.value).startswith(("002_b, 003_c is partly", "003_c, 002_b is partly"))


def test_the_steps_back_and_their_refusals(tmp_path: Path) -> None:
    chain = small(tmp_path)
    to_b = back_steps(chain, "003_c", "002_b", {}, allow_data_loss=False)
    assert [m.revision for m in to_b] == ["003_c"]  # type: ignore[union-attr]
    with pytest.raises(DataLossRefused) as refused:
        back_steps(chain, "003_c", None, {}, allow_data_loss=False)
    assert str(refused.value) == (
        "refusing to go back past irreversible revisions (002_b: t.b goes with its values). "
        "Nothing was applied. Back it up first (python -m roboco_sql backup FILE), then run "
        "migrate --to base --allow-data-loss"
    )
    every = back_steps(chain, "003_c", None, {}, allow_data_loss=True)
    assert [m.revision for m in every] == ["003_c", "002_b", "001_t"]  # type: ignore[union-attr]
    extra = tmp_path / "additions"
    extra.mkdir()
    (extra / "a.sql").write_text("-- addition: kept_up\n-- requires: 002_b\nSELECT 1;\n")
    with_addition = load_chain(chain.directory, extra)
    recorded: dict[str, tuple[str, str | None]] = {"kept_up": ("c", "003_c")}
    with pytest.raises(MigrationError) as no_down:
        back_steps(with_addition, "003_c", "001_t", recorded, allow_data_loss=True)
    assert str(no_down.value) == (
        "cannot go back past kept_up: a.sql has no down section; nothing was applied"
    )
    assert back_steps(with_addition, "003_c", "002_b", recorded, allow_data_loss=True) == [
        with_addition["003_c"]
    ]
    assert back_steps(with_addition, "003_c", "001_t", {}, allow_data_loss=True) == [
        with_addition["003_c"],
        with_addition["002_b"],
    ]


# -- plan ------------------------------------------------------------------------------------


def test_plan_refuses_an_unknown_target_and_says_when_nothing_is_due(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small(tmp_path)
    with pytest.raises(MigrationError) as unknown:
        plan(empty_url, chain, "009_nope")
    assert str(unknown.value) == "unknown target revision 009_nope"
    ahead = plan(empty_url, chain, "002_b", wanted=frozenset({"none"}))
    assert (ahead.current, ahead.target, ahead.revisions, ahead.reverted, ahead.empty) == (
        None,
        "002_b",
        ["001_t", "002_b"],
        [],
        False,
    )
    assert ahead.sql.startswith(
        f"-- roboco_sql plan: what `migrate` would run on database "
        f"{psycopg.conninfo.conninfo_to_dict(empty_url)['dbname']}, now at no revision\n"
        "-- replay with: psql -v ON_ERROR_STOP=1 -f THIS_FILE (each revision commits on its own;\n"
        "-- do not add -1)\n"
    )
    assert (
        f"\n-- bookkeeping schema\n-- {'-' * 93}\nBEGIN;\nCREATE SCHEMA IF NOT EXISTS roboco_sql"
        in ahead.sql
    )
    assert (
        "\n-- each revision commits without waiting for the disk; the last commit waits for all\n"
        in ahead.sql
    )
    assert "-- 003_c" not in ahead.sql
    migrate(empty_url, chain, options=NO_ADDITIONS)
    done = plan(empty_url, chain, wanted=frozenset({"none"}))
    assert done.empty and done.revisions == [] and done.target == "003_c"
    assert done.sql.endswith("-- nothing to apply: the database is at 003_c\n")
    assert "pg_try_advisory_lock" not in done.sql


def test_plan_going_back_names_each_step(tmp_path: Path, empty_url: str) -> None:
    chain = small_at_head(tmp_path, empty_url)
    back = plan(empty_url, chain, "base", wanted=frozenset({"none"}), allow_data_loss=True)
    assert (back.current, back.revisions, back.reverted, back.empty) == (
        "003_c",
        [],
        ["003_c", "002_b", "001_t"],
        False,
    )
    script = back.sql
    assert "-- irreversible: t.b goes with its values (allowed by --allow-data-loss)" in script
    assert (
        script.index("DROP INDEX ix_t_a")
        < script.index("DROP COLUMN b")
        < script.index("DROP TABLE t")
    )
    assert "-- bookkeeping\n" in script  # the schema exists: only its newer tables
    assert script.count("COMMIT;") >= 3
    with pytest.raises(DataLossRefused):
        plan(empty_url, chain, "base", wanted=frozenset({"none"}))


def test_plan_creates_pgvector_where_migrate_would(empty_url: str, tmp_path: Path) -> None:
    chain = small(tmp_path)
    wanted = frozenset({"none"})
    assert (
        "CREATE EXTENSION IF NOT EXISTS vector"
        in plan(empty_url, chain, pgvector=True, wanted=wanted).sql
    )
    assert "CREATE EXTENSION" not in plan(empty_url, chain, wanted=wanted).sql
    migrate(empty_url, chain, options=NO_ADDITIONS)
    only_vector = plan(empty_url, chain, pgvector=True, wanted=wanted).sql
    assert "CREATE EXTENSION IF NOT EXISTS vector" in only_vector
    assert "\n-- pgvector (RAG needs it, the chain does not); without it RAG is disabled\n" in (
        only_vector
    )
    assert "pg_try_advisory_lock" in only_vector and "nothing to apply" not in only_vector
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION vector")
    assert "CREATE EXTENSION" not in plan(empty_url, chain, pgvector=True, wanted=wanted).sql


# -- what a plan prints ----------------------------------------------------------------------


def test_plan_prints_the_stamp_and_the_edits_shipped_upstream(
    tmp_path: Path, empty_url: str, db_url: str
) -> None:
    old = "ab" * 32
    files = {**SMALL, "002_b.sql": f"-- supersedes: {old}\n" + SMALL["002_b.sql"]}
    chain = chain_of(tmp_path, files)
    (chain.directory / FILENAME).write_text(build_fingerprints(db_url, chain).to_json())
    migrate(empty_url, chain, "002_b", options=NO_ADDITIONS)
    forget_runner(empty_url, version_table=False)
    stamped = plan(empty_url, chain, wanted=frozenset({"none"}))
    assert (stamped.current, stamped.revisions) == ("002_b", ["003_c"])
    assert "-- bookkeeping schema\n" in stamped.sql
    assert "-- stamp a version-less database at 002_b (exact match)\n" in stamped.sql
    assert "files edited upstream" not in stamped.sql
    migrate(empty_url, chain, options=NO_ADDITIONS)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE roboco_sql.history SET checksum = %s WHERE revision = '002_b'", (old,))
    edited = plan(empty_url, chain, wanted=frozenset({"none"}))
    assert edited.revisions == [] and edited.current == "003_c"
    assert "-- files edited upstream since they were applied: their new checksums\n" in edited.sql
    assert chain["002_b"].checksum in edited.sql
    assert "'roboco_sql: an edit shipped with the chain'" in edited.sql  # who accepted it
    assert "-- no revision to apply: the database stays at 003_c\n" in edited.sql
    assert "-- bookkeeping" not in edited.sql  # it exists, and the start writes nothing


def test_plan_of_a_non_transactional_file_as_migrate_would_send_it(
    tmp_path: Path, empty_url: str
) -> None:
    concurrent = (
        "-- transaction: none\n"
        "CREATE INDEX CONCURRENTLY ix_t_a ON t (a) -- the one lookups use\n;\n"
        "CREATE UNIQUE INDEX CONCURRENTLY ux_t_b ON t (b);\n"
        "UPDATE t SET c = 0;\n"
    )
    chain = chain_of(tmp_path, {"001_t.sql": TABLE, "002_ix.sql": concurrent})
    migrate(empty_url, chain, "001_t", options=NO_ADDITIONS)
    fresh = plan(empty_url, chain, wanted=frozenset({"none"})).sql
    assert "CREATE INDEX CONCURRENTLY ix_t_a ON t (a) -- the one lookups use\n;" in fresh
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE INDEX ix_t_a ON t (a)")  # built already: recorded, not rebuilt
        conn.execute("UPDATE t SET b = a")
    script = plan(empty_url, chain, wanted=frozenset({"none"})).sql
    section = script[script.index("-- 002_ix (002_ix.sql): transaction: none") :]
    assert section.startswith(
        "-- 002_ix (002_ix.sql): transaction: none\n"
        f"-- {'-' * 93}\n"
        "-- NOT one transaction: each statement below commits on its own, with its step in\n"
        "-- roboco_sql.progress (BEGIN ... COMMIT around the two) where PostgreSQL allows;\n"
        "-- a run that stops part-way is resumed by `migrate` from the next step\n"
    )
    assert "-- statement 1 of 3 (002_ix.sql:4)\n" in section
    valid = "-- index ix_t_a is already built and valid: recorded as done\n"
    assert valid in section
    recorded = section[section.index(valid) + len(valid) :].split("\n")
    assert recorded[0] == "INSERT INTO roboco_sql.progress (revision, step, checksum)"
    assert recorded[1].startswith("VALUES ('002_ix', 1, ")
    assert "CREATE INDEX CONCURRENTLY ix_t_a" not in section
    assert "-- statement 2 of 3 (002_ix.sql:6)\nCREATE UNIQUE INDEX CONCURRENTLY ux_t_b" in section
    assert "BEGIN;\nUPDATE t SET c = 0;\nINSERT INTO roboco_sql.progress" in section
    after = section[section.index("UPDATE t SET c = 0;") :]
    assert after.split("\n")[3] == "COMMIT;"  # the statement and its step, then COMMIT
    assert "-- 002_ix done: record it\n" in section


def test_the_runner_lends_status_names_on_first_use_and_no_others() -> None:
    from roboco_sql.migrate import runner

    status_module = importlib.import_module("roboco_sql.migrate.standing")

    for name in ("Status", "history", "status", "to_json"):
        vars(runner).pop(name, None)  # as before its first use, whatever ran before this test
        assert getattr(runner, name) is getattr(status_module, name)
        assert getattr(runner, name) is getattr(status_module, name)  # kept from the first use
    with pytest.raises(AttributeError) as missing:
        runner.nope  # noqa: B018
    assert str(missing.value) == "module 'roboco_sql.migrate.runner' has no attribute 'nope'"


def test_the_packages_status_is_the_function_after_its_module_loads() -> None:
    """`roboco_sql.migrate.status` is the function whatever was imported before: a submodule
    of that name would replace the package attribute the moment anything imported it."""
    import roboco_sql.migrate as package

    vars(package).pop("status", None)  # as before its first use
    importlib.import_module("roboco_sql.migrate.standing")
    assert package.status is status and callable(package.status)


def with_t_b_index(tmp_path: Path) -> Chain:
    """SMALL with an addition, t_b_index (with a down section), that requires 002_b."""
    extra = tmp_path / "additions"
    extra.mkdir()
    (extra / "a.sql").write_text(
        "-- addition: t_b_index\n-- requires: 002_b\n"
        "CREATE INDEX IF NOT EXISTS rsql_t_b ON t (b);\n\n-- down\nDROP INDEX IF EXISTS rsql_t_b;\n"
    )
    return chain_of(tmp_path, SMALL, extra)


def test_going_back_says_each_step_and_what_it_lost(tmp_path: Path, empty_url: str) -> None:
    chain = with_t_b_index(tmp_path)
    assert migrate(empty_url, chain).additions == ["t_b_index"]
    said: list[str] = []
    back = Options(go_back=True, allow_data_loss=True)
    report = migrate(empty_url, chain, "001_t", options=back, echo=said.append)
    assert [line.split(" in ")[0] if line.startswith("reverted") else line for line in said] == [
        "reverted 003_c",
        "removed addition t_b_index before going below 002_b",
        "reverted 002_b",
    ]
    assert said[2].endswith(" ms (data lost, as allowed)") and not said[0].endswith(")")
    assert (report.from_revision, report.to_revision, report.removed) == (
        "003_c",
        "001_t",
        ["t_b_index"],
    )
    assert [a.revision for a in report.reverted] == ["003_c", "002_b"]
    assert [a.file for a in report.reverted] == ["003_c.sql", "002_b.sql"]
    assert one(empty_url, "SELECT to_regclass('rsql_t_b')") is None
    assert one(empty_url, "SELECT count(*) FROM roboco_sql.additions") == 0


def guard_of(script: str, header: str) -> tuple[str, str]:
    """The guard closing the part under header, and what follows it up to its COMMIT."""
    part = script[script.index(header) :]
    part = part[: part.index("\nCOMMIT;")]
    guard = part[part.index("DO $guard$") : part.index("$guard$;") + len("$guard$;")]
    return guard, part[part.index("$guard$;") + len("$guard$;") :]


def test_plan_guards_only_the_version_writes(tmp_path: Path, empty_url: str) -> None:
    """Each part's guard holds its version write when it moves the version (a revision going
    up or down) and checks its row count; an addition's record follows the guard."""
    chain = with_t_b_index(tmp_path)
    forward = plan(empty_url, chain).sql
    guard, after = guard_of(forward, "-- 003_c (003_c.sql): one transaction")
    assert "IF true AND changed <> 1" in guard and "UPDATE public.alembic_version" in guard
    assert "INSERT INTO roboco_sql.history" in after
    guard, after = guard_of(forward, "-- addition t_b_index (a.sql): one transaction")
    assert "IF false AND changed <> 1" in guard and "\n    NULL;\n" in guard
    assert "INSERT INTO roboco_sql.additions" in after
    migrate(empty_url, chain)
    back = plan(empty_url, chain, "001_t", allow_data_loss=True).sql
    guard, after = guard_of(back, "-- the down section of 003_c (003_c.sql): one transaction")
    assert "IF true AND changed <> 1" in guard and "UPDATE public.alembic_version" in guard
    assert "INSERT INTO roboco_sql.reverted" in after
    guard, after = guard_of(back, "-- the down section of addition t_b_index (a.sql)")
    assert "IF false AND changed <> 1" in guard and "DELETE FROM roboco_sql.additions" in after
    stays = plan(empty_url, chain, "002_b").sql
    guard, after = guard_of(stays, "-- addition t_b_index (a.sql): one transaction")
    assert "IF false AND changed <> 1" in guard and "INSERT INTO roboco_sql.additions" in after


def test_plan_going_back_removes_an_addition_before_its_revision(
    tmp_path: Path, empty_url: str
) -> None:
    chain = with_t_b_index(tmp_path)
    forward = plan(empty_url, chain).sql
    assert "-- addition t_b_index (a.sql): one transaction\n" in forward
    assert forward.index("-- 003_c (003_c.sql)") < forward.index("-- addition t_b_index (a.sql)")
    added = forward[forward.index("-- addition t_b_index (a.sql)") :]
    assert "'003_c'" in added[: added.index("COMMIT;")]  # recorded at the revision reached
    migrate(empty_url, chain)
    back = plan(empty_url, chain, "001_t", allow_data_loss=True).sql
    removed = back.index("-- addition t_b_index: removed before going below 002_b\n")
    assert (
        back.index("-- the down section of 003_c (003_c.sql): one transaction\n")
        < removed
        < back.index("-- the down section of addition t_b_index (a.sql): one transaction\n")
        < back.index("-- the down section of 002_b (002_b.sql): one transaction\n")
    )
    assert "DROP INDEX IF EXISTS rsql_t_b" in back[removed:]
    stays = plan(empty_url, chain, "002_b").sql
    assert "removed before going below" not in stays
    assert stays.count("-- addition t_b_index (a.sql): one transaction\n") == 1  # re-applied
    who = one(empty_url, "SELECT applied_by FROM roboco_sql.history WHERE revision = '003_c'")
    reverting = stays[stays.index("-- the down section of 003_c") :]
    assert f"'{who}'" in reverting[: reverting.index("COMMIT;")]  # who reverted it
    readded = stays[stays.index("-- addition t_b_index (a.sql)") :]
    readded = readded[: readded.index("COMMIT;")]
    assert f"'{who}'" in readded and "'002_b'" in readded  # by whom, at which revision


def test_history_of_a_database_that_never_had_a_reverted_log(
    tmp_path: Path, empty_url: str
) -> None:
    """Bookkeeping from before going back existed (no roboco_sql.reverted): the applied rows."""
    migrate(empty_url, small(tmp_path), options=NO_ADDITIONS)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("DROP TABLE roboco_sql.reverted")
    assert [(r["revision"], r["how"]) for r in history(empty_url)] == [
        ("001_t", "applied"),
        ("002_b", "applied"),
        ("003_c", "applied"),
    ]


def test_status_checks_drift_only_on_a_clean_database(db_url: str) -> None:
    """Drift is compared only at a known revision with nothing half-done or edited; a database
    at one of roboco_sql's old in-chain revisions is shown as going on from 044."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        head = CHAIN.head
        assert head is not None
        conn.execute(
            "UPDATE roboco_sql.history SET checksum = 'edited' WHERE revision = %s", (head,)
        )
        edited = status(db_url, CHAIN)
        assert (edited.mismatched, edited.drift, edited.exit_code) == ([head], None, 2)
        conn.execute(
            "UPDATE roboco_sql.history SET checksum = %s WHERE revision = %s",
            (CHAIN[head].checksum, head),
        )
        conn.execute(
            "INSERT INTO roboco_sql.progress (revision, step, checksum) VALUES ('x', 1, 'c')"
        )
        partial = status(db_url, CHAIN)
        assert (partial.partial, partial.drift, partial.exit_code) == ({"x": 1}, None, 4)
        conn.execute("DELETE FROM roboco_sql.progress")
        conn.execute("UPDATE alembic_version SET version_num = '046_task_graph_indexes'")
        conn.execute(
            "INSERT INTO roboco_sql.history (revision, parent, checksum, how, applied_by) "
            "VALUES ('046_task_graph_indexes', '045_task_scope_check', 'c', 'applied', 'me')"
        )
    old = status(db_url, CHAIN)
    assert (old.current, old.unknown, old.mismatched, old.drift) == (
        "046_task_graph_indexes",
        None,
        [],
        None,
    )
    assert old.pending == [m.revision for m in CHAIN.between("044_convention_findings", None)]
    with psycopg.connect(db_url, autocommit=True) as conn:  # as a move-over finds it
        conn.execute("DELETE FROM roboco_sql.history WHERE revision = '046_task_graph_indexes'")
    moved = plan(db_url, CHAIN).sql
    assert (
        "\n-- bookkeeping\n"
        f"-- {'-' * 93}\n"
        "-- move a database at roboco_sql's old 046_task_graph_indexes to 044_convention_findings\n"
        "BEGIN;\n"
    ) in moved
    # the additions the old revisions held are recorded by the move and so kept, even one off
    # by default
    assert "-- addition task_scope_check (002_task_scope_check.sql): one transaction\n" in moved


def test_a_plan_to_the_base_of_an_empty_database_runs_no_revision(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small(tmp_path)
    to_base = plan(empty_url, chain, "base", wanted=frozenset({"none"}))
    assert (to_base.current, to_base.revisions, to_base.reverted, to_base.empty) == (
        None,
        [],
        [],
        True,
    )
    assert "-- 001_t (001_t.sql)" not in to_base.sql


# -- what the plan slice's run at b77bee3 found unpinned ------------------------------------


def test_two_irreversible_revisions_are_named_together(tmp_path: Path) -> None:
    files = {
        **SMALL,
        "004_d.sql": "ALTER TABLE t ADD COLUMN d int;\n\n-- down\n"
        "-- irreversible: t.d goes with its values\nALTER TABLE t DROP COLUMN d;\n",
    }
    with pytest.raises(DataLossRefused) as refused:
        back_steps(chain_of(tmp_path, files), "004_d", None, {}, allow_data_loss=False)
    assert "(004_d: t.d goes with its values; 002_b: t.b goes with its values)" in str(
        refused.value
    )


def test_going_back_refuses_every_half_done_file_by_name(tmp_path: Path, empty_url: str) -> None:
    chain = small_at_head(tmp_path, empty_url)
    with psycopg.connect(empty_url, autocommit=True) as conn:  # by hand: two half-done files
        conn.execute(
            "INSERT INTO roboco_sql.progress (revision, step, checksum) "
            "VALUES ('003_c', 1, 'c'), ('002_b', 1, 'c')"
        )
    with pytest.raises(MigrationError) as half:
        migrate(empty_url, chain, "001_t", options=replace(NO_ADDITIONS, go_back=True))
    assert str(half.value) in (
        "002_b, 003_c is partly applied; finish it (migrate) before going back",
        "003_c, 002_b is partly applied; finish it (migrate) before going back",
    )


def test_going_back_checks_the_down_sections_it_will_run(tmp_path: Path, empty_url: str) -> None:
    """The down sections are checked before any runs (their up parts were checked going up)."""
    files = {**SMALL, "003_c.sql": "CREATE INDEX ix_t_a ON t (a);\n\n-- down\nCOMMIT;\n"}
    chain = load_chain(write_chain(tmp_path / "m", files), deep=False)
    migrate(empty_url, chain, options=NO_ADDITIONS)
    with pytest.raises(ChainError) as unsound:
        migrate(empty_url, chain, "002_b", options=replace(NO_ADDITIONS, go_back=True))
    assert "003_c.sql:6:1: COMMIT is not allowed in a down section" in str(unsound.value)
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "003_c"


def test_going_back_says_each_steps_time_in_milliseconds(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = small_at_head(tmp_path, empty_url)
    ticking_clock(monkeypatch, steps_module)
    said: list[str] = []
    back = replace(NO_ADDITIONS, go_back=True, allow_data_loss=True)
    migrate(empty_url, chain, "001_t", options=back, echo=said.append)
    assert said == [
        "reverted 003_c in 2000 ms",
        "reverted 002_b in 2000 ms (data lost, as allowed)",
    ]


def test_plan_holds_the_additions_wanted_and_no_others(tmp_path: Path, empty_url: str) -> None:
    chain = with_t_b_index(tmp_path)  # t_b_index: on by default
    (tmp_path / "additions" / "x.sql").write_text(
        "-- addition: x\n-- requires: 001_t\n-- default: off\nCREATE TABLE x_made (a int);\n"
    )
    chain = load_chain(chain.directory, tmp_path / "additions")
    by_default = plan(empty_url, chain).sql
    assert "addition t_b_index" in by_default and "addition x" not in by_default
    only_x = plan(empty_url, chain, wanted=frozenset({"none", "x"})).sql
    assert "addition x" in only_x and "addition t_b_index" not in only_x
    migrate(empty_url, chain)  # the default ones: t_b_index
    at_head = plan(empty_url, chain, wanted=frozenset({"x"}))
    assert (at_head.current, at_head.revisions) == ("003_c", [])
    assert "-- addition x (x.sql): one transaction\n" in at_head.sql
    clean = plan(empty_url, chain)
    assert (clean.current, clean.empty) == ("003_c", True)


def test_plan_takes_the_lock_first_and_flushes_once_at_the_end(
    tmp_path: Path, empty_url: str
) -> None:
    script = plan(empty_url, small(tmp_path), wanted=frozenset({"none"})).sql
    assert script.split("\n")[4:6] == [
        "-- the migration lock (migrate waits for it; this script stops if it is held)",
        "DO $lock$",
    ]
    assert script.endswith(
        "\nRESET synchronous_commit;\nBEGIN;\nSELECT pg_current_xact_id();\nCOMMIT;\n\n"
        f"SELECT pg_advisory_unlock({LOCK_KEY});\n"
    )
