"""Behaviour of the runner's outer parts that mutation testing found unpinned: verify, the
scratch database, `new`, our additions' files and setting, and pgvector's creation."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

import roboco_sql
from roboco_sql import sqllex
from roboco_sql.errors import (
    ChainError,
    ChecksumMismatch,
    ConfigError,
    DataLossRefused,
    LockTimeout,
    MigrationError,
    ValidationError,
)
from roboco_sql.migrate import additions, dataloss, load_chain, lock, migrate
from roboco_sql.migrate.additions import Addition, parse_wanted, selected
from roboco_sql.migrate.chain import Chain
from roboco_sql.migrate.down import back_steps
from roboco_sql.migrate.extensions import ensure_pgvector
from roboco_sql.migrate.fingerprint import FILENAME, Fingerprints
from roboco_sql.migrate.plan import plan
from roboco_sql.migrate.report import Applied, MigrationReport, Options
from roboco_sql.migrate.runner import accept, stamp
from roboco_sql.migrate.scaffold import new_revision
from roboco_sql.migrate.scratch import build_fingerprints, scratch_database
from roboco_sql.migrate.status import history, status, to_json
from roboco_sql.migrate.verify import verify
from tests.fix_migrate import names, one, write_chain
from tests.fix_migrate import row as row_of
from tests.fix_migrate import rows as rows_of

CHAIN = load_chain()

SCRATCHES = "SELECT datname FROM pg_database WHERE datname LIKE 'roboco_sql_scratch_%'"


def chain_of(tmp_path: Path, files: dict[str, str], additions_dir: Path | None = None) -> Chain:
    """A chain of small files (write_chain's) in tmp_path/m, with additions_dir's additions."""
    return load_chain(write_chain(tmp_path / "m", files), additions_dir)


# -- verify ----------------------------------------------------------------------------------


def test_verify_at_head_finds_no_drift_then_counts_each_change(db_url: str) -> None:
    clean = verify(db_url, CHAIN)
    assert (clean.revision, clean.changes, clean.partial, clean.exit_code) == (
        CHAIN.head,
        [],
        {},
        0,
    )
    assert clean.describe() == f"no drift: the schema is exactly {CHAIN.head}'s"
    assert clean.as_dict() == {
        "revision": CHAIN.head,
        "drift": [],
        "partial": {},
        "exit_code": 0,
    }
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE pitches ADD COLUMN by_hand text")
    one_change = verify(db_url, CHAIN)
    assert one_change.exit_code == 8
    assert one_change.describe().splitlines() == [
        f"drift at {CHAIN.head}: 1 difference from the schema the chain builds",
        "  extra column pitches.by_hand: text",
    ]
    assert one_change.as_dict()["drift"] == [
        {
            "kind": "extra",
            "object": "column pitches.by_hand",
            "expected": None,
            "live": "column pitches.by_hand text",
        }
    ]
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DROP INDEX ix_tasks_status")
    assert verify(db_url, CHAIN).describe().splitlines()[0] == (
        f"drift at {CHAIN.head}: 2 differences from the schema the chain builds"
    )


def test_verify_notes_a_partly_applied_file(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO roboco_sql.progress (revision, step, checksum) VALUES (%s, 1, 'x'),"
            " (%s, 2, 'y')",
            ("999_next", "999_next"),
        )
    found = verify(db_url, CHAIN)
    assert found.partial == {"999_next": 2}
    assert found.describe().splitlines()[-1] == (
        "note: 999_next is partly applied (2 statements); what they built shows as extra"
    )
    assert found.as_dict()["partial"] == {"999_next": 2}


def test_verify_refuses_what_it_cannot_compare(db_url: str, empty_url: str, tmp_path: Path) -> None:
    with pytest.raises(MigrationError) as nothing:
        verify(empty_url, CHAIN)
    assert str(nothing.value) == "the database records no revision; nothing to verify against"
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('a1'), ('b2')")
    with pytest.raises(MigrationError) as forked:
        verify(empty_url, CHAIN)
    assert str(forked.value) == (
        "alembic_version holds 2 revisions (a1, b2); roboco_sql needs a linear history"
    )
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("DELETE FROM alembic_version WHERE version_num = 'b2'")
    with pytest.raises(MigrationError) as unknown:
        verify(empty_url, CHAIN)
    assert str(unknown.value) == (
        f"the database is at revision a1, which no file in {CHAIN.directory} declares"
    )

    small = write_chain(tmp_path / "small", {"001_a.sql": "SELECT 1;\n"})
    with pytest.raises(MigrationError) as unbuilt:
        verify(db_url, load_chain(small))
    assert str(unbuilt.value) == (
        f"{small / FILENAME} does not exist; build it with `python -m roboco_sql fingerprint`"
    )
    (small / FILENAME).write_text(Fingerprints({"001_a": frozenset()}).to_json())
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '001_a'")
    assert verify(empty_url, load_chain(small)).revision == "001_a"
    write_chain(small, {"001_a.sql": "SELECT 1;\n", "002_b.sql": "SELECT 2;\n"})
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '002_b'")
    with pytest.raises(MigrationError) as missing:
        verify(empty_url, load_chain(small))
    assert str(missing.value) == (
        f"{small / FILENAME} has no fingerprint of 002_b; "
        "regenerate it with `python -m roboco_sql fingerprint`"
    )


# -- the scratch database --------------------------------------------------------------------


def test_a_scratch_database_is_empty_and_dropped_even_after_a_failure(db_url: str) -> None:
    before = names(db_url, SCRATCHES)
    with pytest.raises(RuntimeError), scratch_database(db_url) as url:
        assert psycopg.conninfo.conninfo_to_dict(url)["dbname"] in names(db_url, SCRATCHES)
        # template0: none of the template1 extras a server may carry
        assert one(url, "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'") == 0
        raise RuntimeError
    assert names(db_url, SCRATCHES) == before


def test_fingerprints_are_built_revision_by_revision(db_url: str, tmp_path: Path) -> None:
    chain = load_chain(
        write_chain(
            tmp_path / "c",
            {
                "001_a.sql": "CREATE TABLE t (a int);\n",
                "002_b.sql": "ALTER TABLE t ADD COLUMN b text;\n",
            },
        )
    )
    before = names(db_url, SCRATCHES)
    prints = build_fingerprints(db_url, chain)
    assert list(prints.revisions) == ["001_a", "002_b"]
    first, second = prints.revisions["001_a"], prints.revisions["002_b"]
    assert any(line.startswith("column t.a ") for line in first)
    assert not any(line.startswith("column t.b ") for line in first)
    assert any(line.startswith("column t.b ") for line in second)
    assert names(db_url, SCRATCHES) == before


# -- new -------------------------------------------------------------------------------------


def test_new_in_an_empty_directory_starts_the_chain(tmp_path: Path) -> None:
    directory = tmp_path / "empty"
    directory.mkdir()
    path = new_revision(directory, "first")
    assert path.name == "001_first.sql"
    assert path.read_text(encoding="utf-8") == (
        "-- revision: 001_first\n"
        "-- down_revision: \n"
        "-- What this revision changes and why (the header comments are its documentation).\n"
        "-- Add '-- transaction: none' for CREATE INDEX CONCURRENTLY and the like.\n"
        "\n"
        "\n"
        "-- down\n"
        "-- Below: the SQL that undoes this file, run when an operator goes back past it (in\n"
        "-- one transaction). Going back loses data? Say what, as the line after '-- down':\n"
        "-- '-- irreversible: REASON'. Nothing to undo? Leave a comment saying why.\n"
    )
    chain = load_chain(directory)
    assert chain.head == "001_first" and chain["001_first"].down_revision is None
    assert chain["001_first"].has_down


def test_new_refuses_a_fourth_digit(tmp_path: Path) -> None:
    directory = write_chain(tmp_path / "full", {"998_a.sql": "", "999_b.sql": ""})
    with pytest.raises(ValidationError) as refused:
        new_revision(directory, "more")
    assert str(refused.value) == (
        "the chain has reached 999; 3-digit file numbers would no longer sort in chain order"
    )
    directory = write_chain(tmp_path / "almost", {"997_a.sql": "", "998_b.sql": ""})
    assert new_revision(directory, "last").name == "999_last.sql"


def test_new_names_the_longest_name_allowed(tmp_path: Path) -> None:
    directory = write_chain(tmp_path / "m", {"001_a.sql": ""})
    with pytest.raises(ValidationError) as refused:
        new_revision(directory, "x" * 29)
    assert str(refused.value) == (
        f"revision id '002_{'x' * 29}' would be 33 characters; the version column holds at "
        "most 32, so the name may have at most 28"
    )
    with pytest.raises(ValidationError) as odd:
        new_revision(directory, "a-b")
    assert str(odd.value) == (
        "revision name 'a-b' may use only a-z, 0-9 and _ (the file is NNN_name.sql)"
    )
    assert sorted(p.name for p in directory.iterdir()) == ["001_a.sql"]


# -- our additions ---------------------------------------------------------------------------


def load_additions(tmp_path: Path, files: dict[str, str]) -> tuple[Addition, ...]:
    """The additions of a directory holding files, against a chain of one revision, r."""
    directory = tmp_path / "additions"
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return additions.load(directory, ["r"])


def problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(ChainError) as refused:
        load_additions(tmp_path, files)
    return list(refused.value.problems)


def test_the_shipped_additions_are_read_from_the_package() -> None:
    assert additions.default_dir() == Path(roboco_sql.__file__).parent / "sql" / "additions"
    shipped = additions.load(None, [m.revision for m in CHAIN])
    assert [(a.name, a.default_on) for a in shipped] == [
        ("task_graph_indexes", True),
        ("task_scope_check", False),
        ("task_lookup_indexes", True),
    ]


def test_an_addition_is_read_with_its_parts(tmp_path: Path) -> None:
    up = "-- addition: x\n-- requires: r\n-- default: off\nSELECT 1;\n"
    (found,) = load_additions(tmp_path, {"a.sql": up + "\n-- down\nSELECT 2;\n"})
    assert (found.name, found.requires, found.default_on) == ("x", "r", False)
    assert found.up_text == up
    assert [s.text for s in found.statements] == ["SELECT 1"]
    assert found.text[found.down_start :] == "SELECT 2;\n"
    (plain,) = load_additions(
        tmp_path / "p", {"a.sql": "-- addition: y\n-- requires: r\nSELECT 1;"}
    )
    assert plain.default_on and plain.down_start is None
    assert plain.up_text == plain.text
    other = {"a.txt": "not sql", "b.sql": "-- addition: z\n-- requires: r\n"}
    assert [a.name for a in load_additions(tmp_path / "q", other)] == ["z"]
    assert additions.load(tmp_path / "nowhere", ["r"]) == ()


def test_an_additions_problems_are_worded_exactly(tmp_path: Path) -> None:
    assert problems(
        tmp_path, {"a.sql": "-- addition: Bad-Name\n-- default: maybe\nSELECT 1;\n"}
    ) == [
        "a.sql:1: '-- addition:' must name it with a-z, 0-9 and _",
        "a.sql:1: '-- requires:' must name the chain revision it needs",
        "a.sql:1: '-- default:' must be on or off, got 'maybe'",
    ]


def test_an_additions_sql_must_run_in_one_transaction(tmp_path: Path) -> None:
    head = "-- addition: x\n-- requires: r\n"
    assert problems(tmp_path / "1", {"a.sql": head + "COMMIT;\n"}) == [
        "a.sql:3:1: COMMIT is not allowed in an addition (each part runs in one transaction "
        "of the runner's)"
    ]
    assert problems(
        tmp_path / "2",
        {"a.sql": head + "SELECT 1;\n-- down\nCREATE INDEX CONCURRENTLY i ON t (a);\n"},
    ) == [
        "a.sql:5:1: CREATE INDEX CONCURRENTLY is not allowed in an addition (each part runs in "
        "one transaction of the runner's)"
    ]
    assert problems(tmp_path / "3", {"a.sql": head + "SELECT 1;\n\\i other.sql\n"}) == [
        "a.sql:4:1: a psql meta-command is not allowed"
    ]
    unlexed = problems(tmp_path / "4", {"a.sql": head + "SELECT 1;\n-- down\nSELECT 'open;\n"})
    assert len(unlexed) == 1 and unlexed[0].startswith("a.sql:5:8: ")


def test_additions_are_named_once_and_need_a_revision_of_the_chain(tmp_path: Path) -> None:
    assert problems(
        tmp_path,
        {
            "a.sql": "-- addition: x\n-- requires: r\n",
            "b.sql": "-- addition: x\n-- requires: gone\n",
        },
    ) == [
        "b.sql:1: addition 'x' is declared twice",
        "b.sql:1: requires 'gone', not in the chain",
    ]


def test_headers_are_read_only_from_the_opening_comments(tmp_path: Path) -> None:
    text = "\n--  addition :  x \n-- requires: r\nSELECT 1;\n-- default: maybe\n"
    (found,) = load_additions(tmp_path, {"a.sql": text})
    assert (found.name, found.default_on) == ("x", True)


def addition(name: str, default_on: bool) -> Addition:
    return Addition(name, "r", default_on, Path(f"{name}.sql"), "", "c")


def test_which_additions_are_kept_applied() -> None:
    on, off, kept = addition("on", True), addition("off", False), addition("kept", False)
    every = (on, off, kept)
    assert selected(every, {"default"}, set()) == [on]
    assert selected(every, {"none"}, {"kept"}) == [kept]
    assert selected(every, {"none", "off"}, set()) == [off]
    assert selected(every, {"off"}, {"kept"}) == [on, off, kept]


def test_the_additions_setting_is_parsed_and_checked() -> None:
    known = ["b_one", "a_two"]
    assert parse_wanted(" b_one , ,none", known) == frozenset({"b_one", "none"})
    assert parse_wanted(" , ", known) == frozenset({"default"})
    assert parse_wanted("default", known) == frozenset({"default"})
    with pytest.raises(ConfigError) as unknown:
        parse_wanted("zz, b_one, yy", known)
    assert str(unknown.value) == (
        "ROBOCO_DATABASE_ADDITIONS names no addition yy, zz; known: a_two, b_one (or default, none)"
    )


# -- pgvector --------------------------------------------------------------------------------


class Turns:
    """A stand-in for the migration lock that counts how often it is taken."""

    def __init__(self) -> None:
        self.taken = 0

    def __call__(self) -> Turns:
        self.taken += 1
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_pgvector_is_created_under_the_lock_once(empty_url: str) -> None:
    turns = Turns()
    with psycopg.connect(empty_url, autocommit=True) as conn:
        created = ensure_pgvector(conn, turns)
        version = one(empty_url, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert (created.enabled, created.reason, created.version, turns.taken) == (
            True,
            None,
            version,
            1,
        )
        again = ensure_pgvector(conn, turns)
    assert (again.enabled, again.reason, again.version, turns.taken) == (True, None, version, 1)


def test_pgvector_needs_a_superuser_to_create(empty_url: str) -> None:
    role = "rsql_kills_plain"
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
                sql.Identifier(conn.info.dbname), sql.Identifier(role)
            )
        )
    plain = psycopg.conninfo.make_conninfo(empty_url, user=role)
    try:
        with psycopg.connect(plain, autocommit=True) as conn:
            refused = ensure_pgvector(conn)
        assert (refused.enabled, refused.version) == (False, None)
        assert refused.reason == (
            "creating the pgvector extension needs a superuser (or a trusted-extension grant): "
            "run CREATE EXTENSION vector once as one"
        )
    finally:
        with psycopg.connect(empty_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP OWNED BY {}; DROP ROLE {}").format(
                    sql.Identifier(role), sql.Identifier(role)
                )
            )


# -- status and history ----------------------------------------------------------------------

SMALL = {
    "001_t.sql": "CREATE TABLE t (a int);\n\n-- down\nDROP TABLE t;\n",
    "002_b.sql": "ALTER TABLE t ADD COLUMN b int;\n\n-- down\n"
    "-- irreversible: t.b goes with its values\nALTER TABLE t DROP COLUMN b;\n",
    "003_c.sql": "CREATE INDEX ix_t_a ON t (a);\n\n-- down\nDROP INDEX ix_t_a;\n",
}
NO_ADDITIONS = Options(additions=frozenset({"none"}))


def small(tmp_path: Path) -> Chain:
    return load_chain(write_chain(tmp_path / "small", SMALL))


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
    chain = small(tmp_path)
    migrate(empty_url, chain, options=NO_ADDITIONS)
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


def test_going_back_is_refused_unless_asked_and_while_a_file_is_half_done(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small(tmp_path)
    migrate(empty_url, chain, options=NO_ADDITIONS)
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
    assert [m.revision for m in back_steps(chain, "003_c", "002_b", {}, allow_data_loss=False)] == [
        "003_c"
    ]
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
    recorded = {"kept_up": ("c", "003_c")}
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
    chain = small(tmp_path)
    migrate(empty_url, chain, options=NO_ADDITIONS)
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


# -- one transactional part: where a failure is, and the replay that pins it ------------------


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
    chain = chain_of(
        tmp_path,
        {
            "001_base.sql": "CREATE SEQUENCE s;\nCREATE TABLE t (x int);\n",
            "002_bad.sql": "SELECT nextval('s');\n/* a comment */\nINSERT INTO t (x)\n"
            "  VALUES (1), ('one');\n",
        },
    )
    assert failed_migrate(empty_url, chain) == (
        '002_bad failed at 002_bad.sql:6:16: invalid input syntax for type integer: "one" '
        "[22P02]; nothing of 002_bad was applied"
    )
    assert one(empty_url, "SELECT last_value FROM s") == 1
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_base"


def test_a_failure_at_the_first_character_of_a_part(tmp_path: Path, empty_url: str) -> None:
    chain = chain_of(tmp_path, {"001_a.sql": "SELEC 1;\n"})
    assert failed_migrate(empty_url, chain) == (
        '001_a failed at 001_a.sql:3:1: syntax error at or near "SELEC" [42601]; '
        "nothing of 001_a was applied"
    )


def test_a_failure_past_the_end_of_the_part_is_pinned_by_the_replay(
    tmp_path: Path, empty_url: str
) -> None:
    """An unfinished last statement fails at the ';' the runner adds after the part: outside
    the file's text, so the replay sends the statement alone and names its own end."""
    chain = chain_of(tmp_path, {"001_a.sql": "CREATE TABLE u (y int);\nSELECT 1 +"})
    assert failed_migrate(empty_url, chain) == (
        "001_a failed at 001_a.sql:4:11: syntax error at end of input [42601]; "
        "nothing of 001_a was applied"
    )


def test_the_replay_runs_under_the_files_lock_timeout(tmp_path: Path, empty_url: str) -> None:
    """The statement-by-statement replay sets the file's lock_timeout as the first try did:
    the first statement passes under it both times, the second fails (no position) both
    times, and the replay names the second."""
    chain = chain_of(
        tmp_path,
        {
            "001_a.sql": "-- lock_timeout: 150ms\n"
            "SELECT 1 / (current_setting('lock_timeout') = '150ms')::int;\n"
            "SELECT 1 / 0;\n",
        },
    )
    assert failed_migrate(empty_url, chain) == (
        "001_a failed at 001_a.sql:5:1: division by zero [22012]; nothing of 001_a was applied"
    )


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
    chain = chain_of(
        tmp_path,
        {
            "001_a.sql": "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'no %', 'way'; END $$;\n"
            "DO $$ BEGIN PERFORM f(); END $$;\n"
        },
    )
    assert failed_migrate(empty_url, chain) == (
        "001_a failed at 001_a.sql:4:1: no way [P0001] (PL/pgSQL function inline_code_block "
        "line 1 at PERFORM); nothing of 001_a was applied"
    )


def test_the_version_moved_during_a_replay_is_refused(tmp_path: Path, empty_url: str) -> None:
    chain = chain_of(
        tmp_path,
        {
            "001_a.sql": "CREATE SEQUENCE s;\nCREATE TABLE t (x int);\n",
            "002_b.sql": "UPDATE alembic_version SET version_num = 'elsewhere';\n"
            "INSERT INTO t SELECT 1 / (nextval('s') - 1);\n",
        },
    )
    assert failed_migrate(empty_url, chain) == (
        "alembic_version moved under us while applying 002_b"
    )
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_a"
    assert one(empty_url, "SELECT count(*) FROM t") == 0


def test_a_part_that_ends_its_own_session_is_named_without_a_replay(
    tmp_path: Path, empty_url: str
) -> None:
    """No position and no session left to replay on: the failure names the file (its part's
    start), and nothing of it stays."""
    chain = chain_of(
        tmp_path,
        {"001_a.sql": "CREATE TABLE t (x int);\nSELECT pg_terminate_backend(pg_backend_pid());\n"},
    )
    message = failed_migrate(empty_url, chain)
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
TABLE = "CREATE TABLE t (a int, b int, c int);\nINSERT INTO t VALUES (1, 1, 1), (2, 1, 2);\n"


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


def forget_runner(url: str, *, version_table: bool) -> None:
    """Leave the database as RoboCo's Alembic (or a restore without alembic_version) would."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA roboco_sql CASCADE")
        if not version_table:
            conn.execute("DROP TABLE alembic_version")


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
    chain = small(tmp_path)
    migrate(empty_url, chain, options=NO_ADDITIONS)
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


def test_pgvector_that_cannot_be_created_says_why(empty_url: str) -> None:
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = on")
        refused = ensure_pgvector(conn)
    assert (refused.enabled, refused.version) == (False, None)
    assert refused.reason == (
        "could not create the pgvector extension: cannot execute CREATE EXTENSION in a "
        "read-only transaction"
    )


def test_the_runner_lends_status_names_on_first_use_and_no_others() -> None:
    from roboco_sql.migrate import runner

    # the module, by its full name: the package lends a function of the same name
    status_module = importlib.import_module("roboco_sql.migrate.status")

    for name in ("Status", "history", "status", "to_json"):
        vars(runner).pop(name, None)  # as before its first use, whatever ran before this test
        assert getattr(runner, name) is getattr(status_module, name)
        assert getattr(runner, name) is getattr(status_module, name)  # kept from the first use
    with pytest.raises(AttributeError) as missing:
        runner.nope  # noqa: B018
    assert str(missing.value) == "module 'roboco_sql.migrate.runner' has no attribute 'nope'"


def test_going_back_says_each_step_and_what_it_lost(tmp_path: Path, empty_url: str) -> None:
    extra = tmp_path / "additions"
    extra.mkdir()
    (extra / "a.sql").write_text(
        "-- addition: t_b_index\n-- requires: 002_b\n"
        "CREATE INDEX IF NOT EXISTS rsql_t_b ON t (b);\n\n-- down\nDROP INDEX IF EXISTS rsql_t_b;\n"
    )
    chain = chain_of(tmp_path, SMALL, extra)
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


def test_a_part_run_on_a_backend_other_than_the_locks_is_refused(
    tmp_path: Path, empty_url: str
) -> None:
    """Both ways a part can commit (the one string, and the replay after a failure without a
    position) check the backend against the one that holds the lock, and commit nothing else."""
    from roboco_sql.migrate import atomic

    chain = chain_of(
        tmp_path,
        {
            "001_a.sql": "INSERT INTO t VALUES (5);\n",
            "002_b.sql": "INSERT INTO t SELECT 1 / (nextval('s') - 1);\n",
        },
    )
    expected = (
        "this connection goes through a pooler (its backend changed); migrations need a session "
        "of their own: set ROBOCO_MIGRATION_DATABASE_URL to a direct URL"
    )
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("CREATE SEQUENCE s; CREATE TABLE t (x int)")
        elsewhere = conn.info.backend_pid + 1
        for m in chain:  # 001_a in one string; 002_b fails once, then passes in the replay
            with pytest.raises(MigrationError) as refused:
                atomic.run(conn, m, atomic.Record([]), elsewhere, "nothing was applied")
            assert str(refused.value) == expected
        assert one(empty_url, "SELECT count(*) FROM t") == 0


def test_a_run_without_the_right_to_create_pgvector_goes_on_without_rag(
    tmp_path: Path, empty_url: str
) -> None:
    role = "rsql_kills_owner"
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}; GRANT ALL ON SCHEMA public TO {}").format(
                sql.Identifier(conn.info.dbname), sql.Identifier(role), sql.Identifier(role)
            )
        )
    owner = psycopg.conninfo.make_conninfo(empty_url, user=role)
    reason = (
        "creating the pgvector extension needs a superuser (or a trusted-extension grant): "
        "run CREATE EXTENSION vector once as one"
    )
    try:
        chain = small(tmp_path)
        for _ in range(2):  # applying the chain, then at its head (a no-op run)
            said: list[str] = []
            report = migrate(owner, chain, options=NO_ADDITIONS, echo=said.append, pgvector=True)
            assert (report.rag_enabled, report.rag_reason) == (False, reason)
            assert f"warning: {reason}; RAG is disabled, everything else runs" in said
        assert report.applied == [] and (report.from_revision, report.to_revision) == (
            "003_c",
            "003_c",
        )
    finally:
        with psycopg.connect(empty_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP OWNED BY {}; DROP ROLE {}").format(
                    sql.Identifier(role), sql.Identifier(role)
                )
            )


def test_pgvector_at_head_is_created_under_the_migration_lock(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small(tmp_path)
    migrate(empty_url, chain, options=NO_ADDITIONS)
    with psycopg.connect(empty_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock.LOCK_KEY,))
        waits = Options(lock_deadline=0.2, additions=frozenset({"none"}))
        with pytest.raises(LockTimeout):
            migrate(empty_url, chain, options=waits, pgvector=True)
    assert one(empty_url, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'") == 0
    assert migrate(empty_url, chain, options=waits, pgvector=True).rag_enabled is True


def test_a_step_that_gives_up_names_every_blocker(tmp_path: Path, empty_url: str) -> None:
    chain = chain_of(
        tmp_path,
        {
            "001_t.sql": "CREATE TABLE t (a int);\n",
            "002_alter.sql": "-- lock_timeout: 100ms\nALTER TABLE t ADD COLUMN b int;\n",
        },
    )
    migrate(empty_url, chain, "001_t", options=NO_ADDITIONS)
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
    chain = chain_of(
        tmp_path,
        {
            "001_a.sql": "CREATE TABLE t (x int);\n",
            "002_b.sql": "-- transaction: none\n"
            "UPDATE alembic_version SET version_num = 'elsewhere';\n",
        },
    )
    assert failed_migrate(empty_url, chain) == (
        "alembic_version moved under us while applying 002_b"
    )
    assert names(empty_url, "SELECT revision FROM roboco_sql.history") == {"001_a"}
    assert one(empty_url, "SELECT count(*) FROM roboco_sql.progress") == 1  # kept for a resume


def test_a_non_transactional_file_stopped_after_its_last_statement_is_only_recorded(
    tmp_path: Path, empty_url: str
) -> None:
    """Every statement done, the run cut before its record: the next run runs none again."""
    from roboco_sql.migrate import bookkeeping

    chain = chain_of(
        tmp_path,
        {
            "001_t.sql": "CREATE TABLE t (x int);\n",
            "002_b.sql": "-- transaction: none\nINSERT INTO t VALUES (1);\n"
            "INSERT INTO t VALUES (2);\n",
        },
    )
    migrate(empty_url, chain, "001_t", options=NO_ADDITIONS)
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


def test_plan_going_back_removes_an_addition_before_its_revision(
    tmp_path: Path, empty_url: str
) -> None:
    extra = tmp_path / "additions"
    extra.mkdir()
    (extra / "a.sql").write_text(
        "-- addition: t_b_index\n-- requires: 002_b\n"
        "CREATE INDEX IF NOT EXISTS rsql_t_b ON t (b);\n\n-- down\nDROP INDEX IF EXISTS rsql_t_b;\n"
    )
    chain = chain_of(tmp_path, SMALL, extra)
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


def test_a_non_transactional_statement_that_gives_up_says_what_is_applied(
    tmp_path: Path, empty_url: str
) -> None:
    chain = chain_of(
        tmp_path,
        {
            "001_t.sql": "CREATE TABLE t (a int);\n",
            "002_b.sql": "-- transaction: none\n-- lock_timeout: 100ms\n"
            "INSERT INTO t VALUES (1);\nALTER TABLE t ADD COLUMN b int;\n",
        },
    )
    migrate(empty_url, chain, "001_t", options=NO_ADDITIONS)
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
    chain = small(tmp_path)
    migrate(empty_url, chain, options=NO_ADDITIONS)
    waits = Options(lock_deadline=0.3)
    seen: list[str] = []
    with psycopg.connect(empty_url, autocommit=True, application_name="the-holder") as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock.LOCK_KEY,))
        real_sleep = lock.time.sleep

        def sleep(seconds: float) -> None:
            seen.extend(
                names(
                    empty_url,
                    "SELECT application_name FROM pg_stat_activity WHERE application_name "
                    "LIKE 'roboco_sql %'",
                )
            )
            real_sleep(seconds)

        monkeypatch.setattr(lock.time, "sleep", sleep)
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


def test_a_failing_addition_is_named_as_one(tmp_path: Path, empty_url: str) -> None:
    extra = tmp_path / "additions"
    extra.mkdir()
    (extra / "a.sql").write_text("-- addition: broken\n-- requires: 001_t\nSELECT 1 / 0;\n")
    chain = chain_of(tmp_path, {"001_t.sql": SMALL["001_t.sql"]}, extra)
    with pytest.raises(MigrationError) as failed:
        migrate(empty_url, chain)
    assert str(failed.value) == (
        "addition broken failed at a.sql:3:1: division by zero [22012]; nothing of addition "
        "broken was applied"
    )
    assert one(empty_url, "SELECT version_num FROM alembic_version") == "001_t"


def test_chatter_goes_to_the_debug_log_under_its_step_and_nothing_else_is_heard(
    tmp_path: Path, empty_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A step's NOTICE is logged under the step's name; the runner's own statements outside a
    step (the bookkeeping's IF NOT EXISTS, on every run) are not heard at all."""
    chain = chain_of(
        tmp_path, {"001_q.sql": "SELECT 1;\n", "002_r.sql": "DROP TABLE IF EXISTS nope;\n"}
    )
    migrate(empty_url, chain, "001_q", options=NO_ADDITIONS)
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

    chain = small(tmp_path)
    migrate(empty_url, chain, options=NO_ADDITIONS)
    seen: list[str] = []
    real = db.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        conn = real(*args, **kwargs)
        seen.append(conn.execute("SELECT current_setting('application_name')").fetchone()[0])
        return conn

    for module in ("status", "plan", "verify", "start"):
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


def test_an_additions_parts_are_checked_where_they_stand(tmp_path: Path) -> None:
    head = "-- addition: x\n-- requires: r\n"
    assert problems(tmp_path / "1", {"a.sql": head + "SELECT 1;\n-- down\n\\i other.sql\n"}) == [
        "a.sql:5:1: a psql meta-command is not allowed"
    ]
    # an up part that does not lex is the one problem: the down part is not read after it
    unlexed = problems(tmp_path / "2", {"a.sql": head + "SELECT 'open;\n-- down\nCOMMIT;\n"})
    assert len(unlexed) == 1 and unlexed[0].startswith("a.sql:3:8: ")
    assert problems(tmp_path / "3", {"a.sql": "-- requires: r\nSELECT 1;\n"}) == [
        "a.sql:1: '-- addition:' must name it with a-z, 0-9 and _"
    ]


def test_an_addition_that_is_not_utf8_is_read_with_replacements(tmp_path: Path) -> None:
    directory = tmp_path / "additions"
    directory.mkdir()
    (directory / "a.sql").write_bytes(b"-- addition: x\n-- requires: r\n-- caf\xe9\nSELECT 1;\n")
    (found,) = additions.load(directory, ["r"])
    assert "-- caf\ufffd\n" in found.text


def test_pgvector_created_by_another_process_meanwhile_is_taken_as_it_is(empty_url: str) -> None:
    """Waiting for the lock, another process created pgvector: this one finds it there."""

    @contextmanager
    def another_process_first() -> Iterator[None]:
        with psycopg.connect(empty_url, autocommit=True) as other:
            other.execute("CREATE EXTENSION vector")
        yield

    with psycopg.connect(empty_url, autocommit=True) as conn:
        found = ensure_pgvector(conn, another_process_first)
    version = one(empty_url, "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
    assert (found.enabled, found.reason, found.version) == (True, None, version)


def test_a_server_without_pgvector_says_so(pg15_url: str, tmp_path: Path) -> None:
    with psycopg.connect(pg15_url, autocommit=True) as conn:
        missing = ensure_pgvector(conn)
    assert (missing.enabled, missing.reason, missing.version) == (
        False,
        "pgvector is not installed on the server",
        None,
    )


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
