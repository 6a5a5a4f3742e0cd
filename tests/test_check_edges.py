"""`check`'s edges an operator would expect: an empty migrations directory, a file named other
than its revision, a psql meta-command anywhere in a part; through the loader and through
`python -m roboco_sql`, and `migrate` refusing an empty directory before any bookkeeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from roboco_sql.errors import ChainError
from roboco_sql.migrate.chain import (
    check_problems,
    load_chain,
    misnamed,
    missing_downs,
    require_sound,
    validate,
)
from tests.conftest import run_cli
from tests.fix_migrate import row
from tests.test_chain import BASE, mig, problems_of, valid, with_b, write

DOWN = "\n-- down\n-- nothing to undo: SELECT 1 changes nothing\n"
META = "a psql meta-command is not allowed; the runner sends plain SQL"


def no_revisions(directory: Path) -> str:
    return f"no revisions in {directory}: it holds no .sql files"


# -- an empty directory ------------------------------------------------------------------------


def test_check_refuses_a_directory_without_revisions(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty", {"notes.txt": "SELECT 1;\n", "old.sql.bak": "SELECT 1;\n"})
    run = run_cli("check", "--migrations-dir", str(empty))
    assert run.returncode == 1
    assert run.stderr.splitlines()[0] == no_revisions(empty)
    assert run.stdout == ""


def test_migrate_refuses_an_empty_directory_before_any_bookkeeping(
    tmp_path: Path, empty_url: str
) -> None:
    empty = write(tmp_path / "empty", {})
    run = run_cli("migrate", "--migrations-dir", str(empty), "--database-url", empty_url)
    assert run.returncode == 1
    assert run.stderr.splitlines()[0] == no_revisions(empty)
    left = row(
        empty_url,
        "SELECT to_regnamespace('roboco_sql'), to_regclass('public.alembic_version'), "
        "(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast'))",
    )
    assert left == (None, None, 0)


def test_new_still_starts_a_chain_in_an_empty_directory(tmp_path: Path) -> None:
    chain, problems = validate(write(tmp_path / "empty", {}), empty_ok=True)
    assert (problems, chain is not None and len(chain)) == ([], 0)
    with pytest.raises(ChainError) as info:
        load_chain(tmp_path / "empty", deep=False)
    assert info.value.problems == [no_revisions(tmp_path / "empty")]
    assert len(load_chain(tmp_path / "empty", empty_ok=True)) == 0


# -- a file named other than its revision ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("002_b.sql", mig("c", "a"), "002_b.sql:1:14"),
        (
            "002_b.sql",
            "-- what it does\n-- revision:    c\n-- down_revision: a\n",
            "002_b.sql:2:17",
        ),
        # where the revision is: below other header lines, right after the colon, past a tab
        ("002_b.sql", "-- one\n-- two\n-- revision: c\n-- down_revision: a\n", "002_b.sql:3:14"),
        ("002_b.sql", "-- revision:c\n-- down_revision: a\n", "002_b.sql:1:13"),
        ("002_b.sql", "-- x: y\n--revision:\t c\n-- down_revision: a\n", "002_b.sql:2:14"),
        ("002_cc.sql", mig("c", "a"), "002_cc.sql:1:14"),
        ("c_x.sql", mig("c", "a"), "c_x.sql:1:14"),
        ("002_x_c.sql", mig("c", "a"), "002_x_c.sql:1:14"),
    ],
)
def test_a_file_not_named_after_its_revision(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    chain = valid(tmp_path, {"001_a.sql": mig("a") + DOWN, name: text + DOWN})
    problem = f"{where}: revision 'c' does not match the file name {name} (name the file c.sql)"
    assert misnamed(chain) == [problem]
    assert check_problems(chain) == [problem]


@pytest.mark.parametrize("name", ["c.sql", "003_c.sql", "9_c.sql", "01_c.sql"])
def test_a_file_named_after_its_revision(tmp_path: Path, name: str) -> None:
    chain = valid(tmp_path, {"001_a.sql": mig("a"), name: mig("c", "a")})
    assert misnamed(chain) == []
    assert check_problems(chain) == missing_downs(chain)  # the down sections' problems only
    assert len(check_problems(chain)) == 2


def test_the_shipped_chain_is_named_after_its_revisions() -> None:
    assert check_problems(load_chain()) == []


def test_cli_check_names_files_after_their_revision(tmp_path: Path) -> None:
    files = {"001_a.sql": mig("a") + DOWN, "002_b.sql": mig("c", "a") + DOWN}
    run = run_cli("check", "--migrations-dir", str(write(tmp_path / "m", files)))
    assert run.returncode == 1
    assert run.stderr.splitlines()[0] == (
        "002_b.sql:1:14: revision 'c' does not match the file name 002_b.sql (name the file c.sql)"
    )
    renamed = {"001_a.sql": files["001_a.sql"], "002_c.sql": files["002_b.sql"]}
    run = run_cli("check", "--migrations-dir", str(write(tmp_path / "n", renamed)))
    assert (run.returncode, run.stderr) == (0, "")


# -- psql meta-commands, anywhere in a part ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "where"),
    [
        pytest.param("\\i other.sql\n", "3:1", id="include"),
        pytest.param("\\set name 'it''s\n", "3:1", id="set-quoted"),
        pytest.param("\\set name 'unterminated\nSELECT 1;\n", "3:1", id="set-unlexable-argument"),
        pytest.param("SELECT 1 \\gset\n", "3:10", id="after-a-statement"),
        pytest.param("SELECT 1;\n  \\echo $$ open\n", "4:3", id="indented-open-dollar"),
        pytest.param("SELECT 1;\n\\connect other\nSELECT 2;\n", "4:1", id="between-statements"),
        pytest.param("CREATE TABLE u (id int);\n\\.\n", "4:1", id="copy-terminator"),
    ],
)
def test_a_meta_command_in_the_up_part(tmp_path: Path, body: str, where: str) -> None:
    assert problems_of(tmp_path, with_b(body)) == [f"002_b.sql:{where}: {META}"]


@pytest.mark.parametrize(
    ("down", "where"),
    [
        pytest.param("\\i undo.sql\n", "6:1", id="include"),
        pytest.param("DROP TABLE t;\n\\set x 'open\n", "7:1", id="set-unlexable-argument"),
        pytest.param("-- undo\nDROP TABLE t; \\g\n", "7:15", id="after-a-statement"),
    ],
)
def test_a_meta_command_in_the_down_section(tmp_path: Path, down: str, where: str) -> None:
    up = "-- revision: b\n-- down_revision: a\nCREATE TABLE t (id int);\n\n-- down\n"
    assert problems_of(tmp_path, {**BASE, "002_b.sql": up + down}) == [f"002_b.sql:{where}: {META}"]


def test_backslashes_that_are_no_meta_command(tmp_path: Path) -> None:
    body = (
        "SELECT 'C:\\dir', E'tab\\t\\'', \"odd\\name\" FROM (SELECT 1) AS \"odd\\name\";\n"
        "DO $x$ BEGIN RAISE NOTICE '\\i'; END $x$;\n"
        "-- \\i commented.sql\n"
        "/* \\set in a block comment */\n"
        "SELECT 2;\n"
    )
    chain = valid(tmp_path, with_b(body))
    assert "\\" in chain["b"].text


def test_a_lexing_error_before_a_backslash_is_the_lexing_error(tmp_path: Path) -> None:
    got = problems_of(tmp_path, with_b("SELECT 'open;\n\\i x.sql\n"))
    assert got == ["002_b.sql:3:8: unterminated quoted string"]


def test_the_runner_refuses_a_meta_command_in_a_step_it_would_run(tmp_path: Path) -> None:
    """migrate loads without reading the SQL (deep=False); the steps it runs are checked."""
    d = write(tmp_path / "m", {**BASE, "003_c.sql": mig("c", "b", "SELECT 1;\n\\i x.sql\n")})
    chain = load_chain(d, deep=False)
    with pytest.raises(ChainError) as info:
        require_sound(chain.between(None, None))
    assert info.value.problems == [f"003_c.sql:4:1: {META}"]
    require_sound(chain.between(None, "b"))  # the steps before it are sound
