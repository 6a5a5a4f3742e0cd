"""Behaviour of the runner's outer parts that mutation testing found unpinned (slice
migrate-extras): verify, the scratch database, `new`, our additions' files and setting, and
pgvector's creation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import roboco_sql
from roboco_sql.errors import ChainError, ConfigError, LockTimeout, MigrationError, ValidationError
from roboco_sql.migrate import additions, load_chain, migrate
from roboco_sql.migrate.additions import Addition, parse_wanted, selected
from roboco_sql.migrate.extensions import ensure_pgvector
from roboco_sql.migrate.fingerprint import FILENAME, Fingerprints
from roboco_sql.migrate.report import Options
from roboco_sql.migrate.scaffold import new_revision
from roboco_sql.migrate.scratch import build_fingerprints, scratch_database
from roboco_sql.migrate.verify import verify
from tests import fix_migrate
from tests.fix_migrate import (
    NO_ADDITIONS,
    SMALL,
    chain_of,
    names,
    one,
    small,
    small_at_head,
    write_chain,
)

CHAIN = load_chain()


SCRATCHES = "SELECT datname FROM pg_database WHERE datname LIKE 'roboco_sql_scratch_%'"


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


def test_fingerprints_are_of_the_chain_alone(db_url: str, tmp_path: Path) -> None:
    """A default addition is ours, not the chain's: the fingerprints leave it out."""
    adds = tmp_path / "adds"
    adds.mkdir()
    (adds / "x.sql").write_text(
        "-- addition: x\n-- requires: 001_a\nCREATE TABLE x_made (a int);\n"
    )
    chain = load_chain(
        write_chain(tmp_path / "c", {"001_a.sql": "CREATE TABLE t (a int);\n"}), adds
    )
    assert [a.name for a in chain.additions if a.default_on] == ["x"]
    head = build_fingerprints(db_url, chain).revisions["001_a"]
    assert any(line.startswith("column t.a ") for line in head)
    assert not any("x_made" in line for line in head)


# -- new -------------------------------------------------------------------------------------


def test_new_in_an_empty_directory_starts_the_chain(tmp_path: Path) -> None:
    directory = tmp_path / "empty"
    directory.mkdir()
    path = new_revision(directory, "first")
    assert path.name == "001_first.sql"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[:2] == ["-- revision: 001_first\n", "-- down_revision: \n"]
    # comments only, but for the empty body the author fills above the down section
    assert [n for n, line in enumerate(lines) if not line.startswith("-- ")] == [4, 5]
    assert lines[4:7] == ["\n", "\n", "-- down\n"] and len(lines) == 10
    guidance = "".join(lines)
    for words in (  # what the comments must tell the author, in their own case
        "What this revision changes and why",
        "Add '-- transaction: none' for CREATE INDEX CONCURRENTLY",
        "Below: the SQL that undoes this file",
        "Going back loses data? Say what",
        "'-- irreversible: REASON'. Nothing to undo?",
    ):
        assert words in guidance
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


@contextmanager
def login_role(url: str, role: str, grants: str) -> Iterator[str]:
    """url as a new login role with only these grants ({db}, {role} filled in); dropped after."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL(grants).format(db=sql.Identifier(conn.info.dbname), role=sql.Identifier(role))
        )
    try:
        yield psycopg.conninfo.make_conninfo(url, user=role)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP OWNED BY {role}; DROP ROLE {role}").format(role=sql.Identifier(role))
            )


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
    with login_role(
        empty_url, "rsql_kills_plain", "GRANT CREATE ON DATABASE {db} TO {role}"
    ) as plain:
        with psycopg.connect(plain, autocommit=True) as conn:
            refused = ensure_pgvector(conn)
        assert (refused.enabled, refused.version) == (False, None)
        assert refused.reason == (
            "creating the pgvector extension needs a superuser (or a trusted-extension grant): "
            "run CREATE EXTENSION vector once as one"
        )


def test_pgvector_that_cannot_be_created_says_why(empty_url: str) -> None:
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = on")
        refused = ensure_pgvector(conn)
    assert (refused.enabled, refused.version) == (False, None)
    assert refused.reason == (
        "could not create the pgvector extension: cannot execute CREATE EXTENSION in a "
        "read-only transaction"
    )


def test_a_run_without_the_right_to_create_pgvector_goes_on_without_rag(
    tmp_path: Path, empty_url: str
) -> None:
    reason = (
        "creating the pgvector extension needs a superuser (or a trusted-extension grant): "
        "run CREATE EXTENSION vector once as one"
    )
    grants = "GRANT CREATE ON DATABASE {db} TO {role}; GRANT ALL ON SCHEMA public TO {role}"
    with login_role(empty_url, "rsql_kills_owner", grants) as owner:
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


def test_pgvector_at_head_is_created_under_the_migration_lock(
    tmp_path: Path, empty_url: str
) -> None:
    chain = small_at_head(tmp_path, empty_url)
    with fix_migrate.lock_held(empty_url):
        waits = Options(lock_deadline=0.2, additions=frozenset({"none"}))
        with pytest.raises(LockTimeout):
            migrate(empty_url, chain, options=waits, pgvector=True)
    assert one(empty_url, "SELECT count(*) FROM pg_extension WHERE extname = 'vector'") == 0
    assert migrate(empty_url, chain, options=waits, pgvector=True).rag_enabled is True


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
