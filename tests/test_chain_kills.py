"""Tests that kill mutants of the chain reader (chain, fileformat, migration, linear,
soundness) and of fingerprint.py which the other tests let live (issue 19; see
mutation/results/migrate-core-survivors.txt): each pins one behaviour exactly."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import cast

import psycopg
import pytest

from roboco_sql import sqllex
from roboco_sql.errors import ChainError, MigrationError
from roboco_sql.migrate import fileformat, fingerprint
from roboco_sql.migrate.chain import load_chain, missing_downs
from roboco_sql.migrate.fingerprint import Fingerprints, Match
from roboco_sql.migrate.runner import migrate, stamp
from roboco_sql.migrate.soundness import autocommit_only, statement_problems
from tests.conftest import run_python
from tests.fix_migrate import NO_ADDITIONS, write_chain
from tests.test_chain import BASE, mig, problems_of, valid, with_b, write

UP = "-- revision: b\n-- down_revision: a\nCREATE TABLE t (id int);\n"
EMPTY = "empty down section; when nothing is to be undone, say why in a comment"
NONE = "\n-- transaction: none"


def down_problems(tmp_path: Path, text: str) -> list[str]:
    return problems_of(tmp_path, {"001_a.sql": mig("a"), "002_b.sql": text})


# -- down sections -----------------------------------------------------------------------------


def test_a_block_comment_alone_does_not_say_why_a_down_section_is_empty(tmp_path: Path) -> None:
    block = UP + "\n-- down\n/* nothing -- to undo */\n"
    assert down_problems(tmp_path / "x", block) == [f"002_b.sql:5:1: {EMPTY}"]
    said = UP + "\n-- down\n/* a block */\n-- nothing to undo: the table goes with b's parent\n"
    assert valid(tmp_path / "y", {"001_a.sql": mig("a"), "002_b.sql": said})["b"].has_down


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("\n" + UP + "\n-- down\n", 6, id="file-opens-with-a-blank-line"),
        pytest.param(UP + "\n-- down\n\n\n\n", 5, id="down-of-blank-lines"),
        pytest.param(UP + "-- down\n", 4, id="no-blank-line-above"),
    ],
)
def test_an_empty_down_section_names_its_marker_line(tmp_path: Path, text: str, line: int) -> None:
    assert down_problems(tmp_path, text) == [f"002_b.sql:{line}:1: {EMPTY}"]


def test_reverse_without_a_down_section_is_refused_exactly(tmp_path: Path) -> None:
    chain = valid(tmp_path, {"001_a.sql": mig("a")})
    with pytest.raises(ChainError) as info:
        chain["a"].reverse()
    assert info.value.problems == ["001_a.sql:1: a has no down section"]
    assert chain["a"].label == "a"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(UP + "\n-- down\n-- why: a note\n-- irreversible:\n", 7, id="second-comment"),
        pytest.param("\n" + UP + "\n-- down\n-- irreversible:\n", 7, id="file-opens-blank"),
        pytest.param(UP + "-- down\n--\n--\n-- irreversible:\nDROP TABLE t;\n", 7, id="third"),
    ],
)
def test_an_empty_irreversible_reason_names_its_own_line(
    tmp_path: Path, text: str, line: int
) -> None:
    assert down_problems(tmp_path, text) == [
        f"002_b.sql:{line}: '-- irreversible:' must say what is lost"
    ]


# -- additions given with a chain ------------------------------------------------------------


def test_additions_come_from_the_directory_given(tmp_path: Path) -> None:
    chain_dir = write(tmp_path / "chain", {"001_a.sql": mig("a") + "\n-- down\nSELECT 1;\n"})
    extra = write(
        tmp_path / "additions",
        {
            "001_x.sql": "-- addition: x_only\n-- requires: a\nSELECT 1;\n",
            "002_y.sql": "-- addition: y_too\n-- requires: a\nSELECT 1;\n\n-- down\nSELECT 2;\n",
        },
    )
    chain = load_chain(chain_dir, extra)
    assert [a.name for a in chain.additions] == ["x_only", "y_too"]
    assert missing_downs(chain) == ["001_x.sql:1: no down section"]
    assert load_chain(chain_dir).additions == ()  # another directory: none unless named


# -- statements that commit on their own, in a transaction: none file -------------------------


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (
            "CREATE INDEX CONCURRENTLY ON t (a);\n",
            "an unnamed CREATE INDEX CONCURRENTLY would be built twice after a crash; name it",
        ),
        (
            "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;\n",
            "a DETACH PARTITION CONCURRENTLY cut short must be finished with FINALIZE",
        ),
    ],
)
def test_resume_unsafe_statements_are_worded_exactly(
    tmp_path: Path, statement: str, problem: str
) -> None:
    assert problems_of(tmp_path, with_b(statement, extra=NONE)) == [f"002_b.sql:4:1: {problem}"]


# -- the chain's walks -----------------------------------------------------------------------


def test_the_walks_along_the_chain(tmp_path: Path) -> None:
    chain = valid(tmp_path, BASE)
    assert [m.revision for m in chain.between(None, None)] == ["a", "b", "c"]
    assert [m.revision for m in chain.between("a", "b")] == ["b"]
    assert [m.revision for m in chain.between("c", None)] == []
    assert [m.revision for m in chain.back("c", "a")] == ["c", "b"]
    assert [m.revision for m in chain.back("b", None)] == ["b", "a"]
    assert (chain.position(None), chain.position("c"), chain.head) == (-1, 2, "c")
    assert ("b" in chain, "z" in chain, len(chain), chain["b"].name) == (
        True,
        False,
        3,
        "002_b.sql",
    )


# -- fingerprints ----------------------------------------------------------------------------

A, B, SEED = "table a", "table b", "seed provider_configs anthropic|anthropic||true"


def prints(*steps: tuple[str, frozenset[str]]) -> Fingerprints:
    return Fingerprints.from_steps(steps)


def test_closest_ties_go_to_the_earliest_and_an_exact_match_is_its_own_closest() -> None:
    same = prints(("r1", frozenset({A})), ("r2", frozenset({A})), ("r3", frozenset({A, B})))
    assert fingerprint.closest(frozenset({A}), same) == Match("r1", "r1")
    assert fingerprint.closest(frozenset(), same) == Match(None, "r1", [A], [])
    assert fingerprint.closest(frozenset({B, "table c"}), same) == Match(
        None, "r3", [A], ["table c"]
    )
    assert fingerprint.closest(frozenset({A}), prints()) == Match(None)


def test_only_the_seeds_a_revision_knows_are_compared() -> None:
    known = prints(("r1", frozenset({A, SEED})))
    mine = "seed provider_configs my_own|openai||true"
    assert fingerprint.comparable(frozenset({A, SEED, mine, B}), known) == {A, SEED, B}
    assert fingerprint.closest(frozenset({A, SEED, mine}), known) == Match("r1", "r1")


def test_a_seed_is_known_by_what_comes_before_its_first_bar() -> None:
    assert fingerprint.seed_key(SEED) == "seed provider_configs anthropic"


def write_prints(directory: Path, revisions: dict[str, frozenset[str]]) -> Path:
    text = Fingerprints(revisions).to_json()
    (directory / fingerprint.FILENAME).write_text(text, encoding="utf-8")
    return directory


def test_identify_refuses_fingerprints_of_another_chain_exactly(tmp_path: Path) -> None:
    d = write(tmp_path / "m", BASE)
    chain = load_chain(write_prints(d, {"a": frozenset({A}), "b": frozenset({A, B})}))
    with pytest.raises(MigrationError) as info:
        fingerprint.identify(cast(fingerprint.Conn, None), chain)  # refused before a query
    assert str(info.value) == (
        f"{d / fingerprint.FILENAME} is out of date with the chain; "
        "regenerate it with `python -m roboco_sql fingerprint`"
    )


def test_drift_is_none_without_a_fingerprint_for_the_revision(tmp_path: Path) -> None:
    no_conn = cast(fingerprint.Conn, None)  # neither case sends a query
    bare = load_chain(write(tmp_path / "bare", BASE))
    assert fingerprint.drift(no_conn, bare, "c") is None
    d = write_prints(write(tmp_path / "m", BASE), {"a": frozenset({A})})
    assert fingerprint.drift(no_conn, load_chain(d), "c") is None


def test_drift_of_the_shipped_chain_at_its_head_is_none_found(db_url: str) -> None:
    chain = load_chain()
    assert chain.head is not None
    with psycopg.connect(db_url) as conn:
        assert fingerprint.drift(conn, chain, chain.head) == []
        conn.execute("ALTER TABLE public.tasks ADD COLUMN drift_probe int")
        changes = fingerprint.drift(conn, chain, chain.head)
        conn.rollback()
    assert [str(c) for c in changes or []] == ["extra column tasks.drift_probe: integer"]


def test_fingerprints_are_read_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """A default like 'café' in a fingerprint line: read under an ASCII locale too."""
    line = "column t.c text default 'café'::text"
    write_prints(tmp_path, {"a": frozenset({line})})
    env = {**os.environ, "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "LC_ALL": "C"}
    code = (
        "import sys; from pathlib import Path; from roboco_sql.migrate import fingerprint; "
        "p = fingerprint.load(Path(sys.argv[1])); "
        "print(ascii(sorted(p.revisions['a'])))"
    )
    run = run_python("-c", code, str(tmp_path), env=env, timeout=60)
    assert (run.returncode, run.stdout.strip()) == (0, ascii([line])), run.stderr
    assert json.loads((tmp_path / fingerprint.FILENAME).read_text(encoding="utf-8"))


# -- the chain's shape -------------------------------------------------------------------------


def test_no_base_names_the_down_revision_line_of_the_first_file(tmp_path: Path) -> None:
    """Two files that follow each other: the problem is on the first file's own line."""
    b = "-- revision: b\n-- the parent is named below\n-- down_revision: a\nSELECT 1;\n"
    assert problems_of(tmp_path, {"001_a.sql": mig("a", "b"), "002_b.sql": b}) == [
        "001_a.sql:2: no base revision (a file with an empty down_revision)"
    ]


def test_the_supersedes_header_reaches_the_migration(tmp_path: Path) -> None:
    c1, c2 = "1" * 64, "2" * 64
    files = {
        "001_a.sql": mig("a"),
        "002_b.sql": mig("b", "a", extra=f"\n-- supersedes: {c1}, {c2}"),
    }
    chain = valid(tmp_path, files)
    assert chain["b"].supersedes == (c1, c2)
    assert chain["a"].supersedes == ()


def test_a_bad_supersedes_checksum_is_reported_on_its_own_line(tmp_path: Path) -> None:
    """The problem points at the supersedes header's line (the third here), not line 1."""
    files = {"001_a.sql": mig("a"), "002_b.sql": mig("b", "a", extra="\n-- supersedes: nothex")}
    assert problems_of(tmp_path, files) == [
        "002_b.sql:3: supersedes takes sha256 checksums (64 hex digits)"
    ]


def test_the_down_marker_may_trail_blanks_but_not_lead_them() -> None:
    assert fileformat.sections("SELECT 1;\n-- down  \nSELECT 2;\n").down_start == 20
    assert fileformat.sections("SELECT 1;\n  -- down\nSELECT 2;\n").down_start is None


def test_blank_lines_before_the_down_marker_leave_the_up_part() -> None:
    assert fileformat.sections("-- down\nDROP TABLE t;\n").up_end == 0
    assert fileformat.sections("\n\n-- down\nDROP TABLE t;\n").up_end == 0
    assert fileformat.sections("SELECT 1;\n\n\n-- down\nDROP TABLE t;\n").up_end == 10


def test_an_empty_chain_allowed_keeps_its_directory(tmp_path: Path) -> None:
    assert load_chain(tmp_path, empty_ok=True).directory == tmp_path


def test_which_statements_must_run_outside_a_transaction() -> None:
    def why(text: str) -> str | None:
        return autocommit_only(sqllex.split(text)[0])

    assert why("CLUSTER t") is None
    assert why("CLUSTER") == why("CLUSTER VERBOSE") == "CLUSTER without a table"
    assert why("CLUSTER (VERBOSE)") == "CLUSTER without a table"
    assert why("ALTER TABLE t SET TABLESPACE x") is None  # only a database's moves alone
    assert why("ALTER DATABASE d SET TABLESPACE x") is not None
    assert why("ALTER TABLE p DETACH PARTITION c CONCURRENTLY") is not None
    assert why("ALTER ROLE r SET application_name = 'detach partition c concurrently'") is None


def test_a_down_section_is_not_read_when_its_up_part_does_not_lex(tmp_path: Path) -> None:
    """Only the first problem of a broken file: the down section of an up part that holds a
    meta-command is not checked too."""
    files = {"001_a.sql": "\\i somewhere.sql\n\n-- down\nCOMMIT;\n"}
    chain = load_chain(write_chain(tmp_path / "m", files), deep=False)
    assert statement_problems(chain["001_a"]) == [
        "001_a.sql:3:1: a psql meta-command is not allowed; the runner sends plain SQL"
    ]


def test_each_way_checks_only_the_sections_it_runs(tmp_path: Path, empty_url: str) -> None:
    """Going up checks the up parts it will run, going back the down sections: an unsound
    down section does not stop going up, nor a stamped file's unsound up part going back."""
    files = {
        "001_a.sql": "CREATE TABLE a (x int);\n\n-- down\nDROP TABLE a;\nCOMMIT;\n",
        "002_b.sql": "\\i somewhere.sql\n\n-- down\nSELECT 1;\n",
        "003_c.sql": "CREATE TABLE c (x int);\n\n-- down\nDROP TABLE c;\n",
    }
    chain = load_chain(write_chain(tmp_path / "m", files), deep=False)
    migrate(empty_url, chain, "001_a", options=NO_ADDITIONS)
    stamp(empty_url, chain, "002_b")
    assert [a.revision for a in migrate(empty_url, chain, options=NO_ADDITIONS).applied] == [
        "003_c"
    ]
    back = replace(NO_ADDITIONS, go_back=True)
    reverted = migrate(empty_url, chain, "001_a", options=back).reverted
    assert [a.revision for a in reverted] == ["003_c", "002_b"]


def test_a_record_that_moves_no_version_runs_after_the_guard(empty_url: str) -> None:
    """The guard holds a record's first query only when it is a version write to check; an
    addition's record (or none at all) follows the guard as it stands."""
    from roboco_sql.migrate import bookkeeping

    row = bookkeeping.Query("INSERT INTO t VALUES (1)")
    with psycopg.connect(empty_url) as conn:
        cur = psycopg.ClientCursor(conn)
        kept = bookkeeping.closing([row], cur, moves=False)
        assert kept[1:] == [row]
        assert "\n    NULL;\n" in kept[0].text and row.text not in kept[0].text
        assert bookkeeping.closing([], cur, moves=False)[1:] == []
        moved = bookkeeping.closing([row], cur, moves=True)
        assert moved[1:] == [] and f"\n    {row.text};\n" in moved[0].text
