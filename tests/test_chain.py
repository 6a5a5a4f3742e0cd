"""Every rule of `python -m roboco_sql check`, on small chains built in tmp_path; no database.

Each rule has a failing chain (the exact problem, with file:line) and a passing chain that
differs from it as little as possible.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from roboco_sql import sqllex
from roboco_sql.errors import ChainError
from roboco_sql.migrate.chain import Chain, default_dir, load_chain, validate
from tests.conftest import ROOT, run_python

Files = Mapping[str, str | bytes]
TX_NONE = "\n-- transaction: none"


def mig(rev: str, down: str = "", body: str = "SELECT 1;\n", *, extra: str = "") -> str:
    """A migration file: the two required headers, then extra header lines, then body."""
    return f"-- revision: {rev}\n-- down_revision: {down}{extra}\n{body}"


BASE: Files = {"001_a.sql": mig("a"), "002_b.sql": mig("b", "a"), "003_c.sql": mig("c", "b")}


def with_b(body: str, *, extra: str = "") -> Files:
    """BASE with 002_b.sql's body replaced; its first body line is line 3 (plus extra lines)."""
    return {**BASE, "002_b.sql": mig("b", "a", body, extra=extra)}


def write(directory: Path, files: Files) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return directory


def problems_of(tmp_path: Path, files: Files) -> list[str]:
    chain, problems = validate(write(tmp_path / "bad", files))
    assert (chain is None) == bool(problems)
    return problems


def valid(tmp_path: Path, files: Files) -> Chain:
    chain, problems = validate(write(tmp_path / "good", files))
    assert problems == []
    assert chain is not None
    return chain


# -- the rules: a failing chain, its exact problems, and the closest passing chain ------------

ID32 = "a" * 32
ID33 = "a" * 33
MOVED = "cannot be reached from the base"

RULES = [
    pytest.param(
        {"001_a.sql": mig(ID33)},
        [
            f"001_a.sql:1: revision id '{ID33}' is 33 characters; "
            "the version column holds at most 32"
        ],
        {"001_a.sql": mig(ID32)},
        id="id-at-most-32",
    ),
    pytest.param(
        {"001_a.sql": mig("Add_users")},
        ["001_a.sql:1: revision id 'Add_users' may use only a-z, 0-9 and _"],
        {"001_a.sql": mig("add_users")},
        id="id-uppercase",
    ),
    pytest.param(
        {"001_a.sql": mig("add-users")},
        ["001_a.sql:1: revision id 'add-users' may use only a-z, 0-9 and _"],
        {"001_a.sql": mig("add_users")},
        id="id-hyphen",
    ),
    pytest.param(
        {"001_a.sql": mig("add users")},
        ["001_a.sql:1: revision id 'add users' may use only a-z, 0-9 and _"],
        {"001_a.sql": mig("add_users")},
        id="id-space",
    ),
    pytest.param(
        {"001_a.sql": mig("café")},
        ["001_a.sql:1: revision id 'café' may use only a-z, 0-9 and _"],
        {"001_a.sql": mig("cafe")},
        id="id-non-ascii",
    ),
    pytest.param(
        {"001_a.sql": "-- revision:\n-- down_revision:\nSELECT 1;\n"},
        ["001_a.sql:1: empty revision id"],
        {"001_a.sql": "-- revision: a\n-- down_revision:\nSELECT 1;\n"},
        id="id-empty",
    ),
    pytest.param(
        {**BASE, "002_b.sql": mig("b", "A")},
        ["002_b.sql:2: down_revision 'A' is not a valid id"],
        BASE,
        id="down-revision-bad-id",
    ),
    pytest.param(
        {**BASE, "003_c.sql": mig("b", "b")},
        ["003_c.sql:1: revision 'b' is also declared by 002_b.sql"],
        BASE,
        id="unique-ids",
    ),
    pytest.param(
        {**BASE, "003_c.sql": mig("c", "bb")},
        ["003_c.sql:2: down_revision 'bb' names no revision in this chain"],
        BASE,
        id="parent-exists",
    ),
    pytest.param(
        {**BASE, "003_c.sql": mig("c")},
        ["003_c.sql:2: 2 base revisions: 001_a.sql, 003_c.sql"],
        BASE,
        id="one-base",
    ),
    pytest.param(
        {**BASE, "004_d.sql": mig("d"), "005_e.sql": mig("e", "d")},
        ["004_d.sql:2: 2 base revisions: 001_a.sql, 004_d.sql"],
        {**BASE, "004_d.sql": mig("d", "c"), "005_e.sql": mig("e", "d")},
        id="one-head",
    ),
    pytest.param(
        {**BASE, "003_c.sql": mig("c", "a")},
        ["003_c.sql:2: fork: 002_b.sql, 003_c.sql all follow 'a'"],
        BASE,
        id="no-fork",
    ),
    pytest.param(
        {**BASE, "002_b.sql": mig("b", "c")},
        [f"002_b.sql:2: cycle: b, c {MOVED}"],
        BASE,
        id="no-cycle",
    ),
    pytest.param(
        {"001_a.sql": mig("a"), "002_b.sql": mig("b", "b")},
        [f"002_b.sql:2: cycle: b {MOVED}"],
        {"001_a.sql": mig("a"), "002_b.sql": mig("b", "a")},
        id="no-self-cycle",
    ),
    pytest.param(
        {**BASE, "001_a.sql": mig("a", "c")},
        ["001_a.sql:2: no base revision (a file with an empty down_revision)"],
        BASE,
        id="no-base-all-cycle",
    ),
    pytest.param(
        {"001_a.sql": mig("a"), "002_x.sql": mig("c", "b"), "003_y.sql": mig("b", "a")},
        ["002_x.sql:1: file order differs from chain order: position 2 in the chain is 003_y.sql"],
        {"001_a.sql": mig("a"), "002_x.sql": mig("b", "a"), "003_y.sql": mig("c", "b")},
        id="file-order-is-chain-order",
    ),
    pytest.param(
        {**BASE, "002_b.sql": b"-- revision: b\n-- down_revision: a\n-- caf\xe9\nSELECT 1;\n"},
        ["002_b.sql:3: not valid UTF-8"],
        {**BASE, "002_b.sql": "-- revision: b\n-- down_revision: a\n-- café\nSELECT 1;\n"},
        id="utf8-header",
    ),
    pytest.param(
        {**BASE, "002_b.sql": b"-- revision: b\xff\n-- down_revision: a\nSELECT 1;\n"},
        ["002_b.sql:1: not valid UTF-8"],
        BASE,
        id="utf8-revision-line",
    ),
    pytest.param(
        {**BASE, "002_b.sql": b"-- revision: b\n-- down_revision: a\nSELECT '\xe2\x82';\n"},
        ["002_b.sql:3: not valid UTF-8"],
        {**BASE, "002_b.sql": b"-- revision: b\n-- down_revision: a\nSELECT '\xe2\x82\xac';\n"},
        id="utf8-truncated-sequence",
    ),
    pytest.param(
        {**BASE, "002_b.sql": "-- down_revision: a\nSELECT 1;\n"},
        ["002_b.sql:1: missing '-- revision:' header"],
        BASE,
        id="missing-revision",
    ),
    pytest.param(
        {**BASE, "002_b.sql": "-- revison: b\n-- down_revision: a\nSELECT 1;\n"},
        ["002_b.sql:1: missing '-- revision:' header"],
        BASE,
        id="misspelt-revision",
    ),
    pytest.param(
        {**BASE, "002_b.sql": "SELECT 1;\n-- revision: b\n-- down_revision: a\n"},
        [
            "002_b.sql:1: missing '-- revision:' header",
            "002_b.sql:1: missing '-- down_revision:' header (leave it empty for the base)",
        ],
        {**BASE, "002_b.sql": "\n-- a note\n-- revision: b\n\n-- down_revision: a\nSELECT 1;\n"},
        id="headers-after-sql",
    ),
    pytest.param(
        {**BASE, "002_b.sql": "-- revision: b\nSELECT 1;\n"},
        ["002_b.sql:1: missing '-- down_revision:' header (leave it empty for the base)"],
        BASE,
        id="missing-down-revision",
    ),
    pytest.param(
        {**BASE, "002_b.sql": "-- revision: b\n-- revision: b\n-- down_revision: a\n"},
        ["002_b.sql:2: header 'revision' given twice"],
        BASE,
        id="duplicate-revision",
    ),
    pytest.param(
        {**BASE, "002_b.sql": mig("b", "a", extra="\n-- down_revision: a")},
        ["002_b.sql:3: header 'down_revision' given twice"],
        BASE,
        id="duplicate-down-revision",
    ),
    pytest.param(
        with_b("SELECT 1;\n", extra="\n-- transaction: none\n-- transaction: none"),
        ["002_b.sql:4: header 'transaction' given twice"],
        with_b("SELECT 1;\n", extra=TX_NONE),
        id="duplicate-transaction",
    ),
    pytest.param(
        with_b("SELECT 1;\n", extra="\n-- lock_timeout: 5s\n-- lock_timeout: 9s"),
        ["002_b.sql:4: header 'lock_timeout' given twice"],
        with_b("SELECT 1;\n", extra="\n-- lock_timeout: 9s"),
        id="duplicate-lock-timeout",
    ),
    pytest.param(
        with_b("SELECT 'it''s;\nfine;\n"),
        ["002_b.sql:3:8: unterminated quoted string"],
        with_b("SELECT 'it''s;\nfine';\n"),
        id="unterminated-string",
    ),
    pytest.param(
        with_b("DO $body$ BEGIN NULL; END $bdy$;\n"),
        ["002_b.sql:3:4: unterminated dollar quote $body$"],
        with_b("DO $body$ BEGIN NULL; END $body$;\n"),
        id="unterminated-dollar-quote",
    ),
    pytest.param(
        with_b("SELECT 1;\n/* outer /* inner */\nSELECT 2;\n"),
        ["002_b.sql:4:1: unterminated block comment"],
        with_b("SELECT 1;\n/* outer /* inner */ */\nSELECT 2;\n"),
        id="unterminated-nested-comment",
    ),
    pytest.param(
        {
            **BASE,
            "002_b.sql": mig("B", "a"),
            "003_c.sql": "-- revision: c\nBEGIN;\n",
            "004_d.sql": mig("d", "c", "VACUUM;\nCOMMIT;\n"),
        },
        [
            "002_b.sql:1: revision id 'B' may use only a-z, 0-9 and _",
            "003_c.sql:1: missing '-- down_revision:' header (leave it empty for the base)",
            "003_c.sql:2:1: BEGIN is not allowed; the runner owns the transactions",
            "004_d.sql:3:1: VACUUM cannot run inside a transaction; "
            "put it in a file marked '-- transaction: none'",
            "004_d.sql:4:1: COMMIT is not allowed; the runner owns the transactions",
        ],
        {**BASE, "004_d.sql": mig("d", "c", "VACUUM;\n", extra=TX_NONE)},
        id="every-problem-listed",
    ),
]


@pytest.mark.parametrize(("bad", "expected", "good"), RULES)
def test_rule_is_flagged_with_file_and_line(
    tmp_path: Path, bad: Files, expected: list[str], good: Files
) -> None:
    assert problems_of(tmp_path, bad) == expected


@pytest.mark.parametrize(("bad", "expected", "good"), RULES)
def test_closest_valid_chain_passes(
    tmp_path: Path, bad: Files, expected: list[str], good: Files
) -> None:
    chain = valid(tmp_path, good)
    assert [m.name for m in chain] == sorted(good)


def test_load_chain_raises_every_problem(tmp_path: Path) -> None:
    d = write(
        tmp_path, {**BASE, "002_b.sql": mig("b", "x"), "004_d.sql": "-- note\n" + mig("d", "b")}
    )
    with pytest.raises(ChainError) as info:
        load_chain(d)
    assert info.value.problems == [
        "002_b.sql:2: down_revision 'x' names no revision in this chain",
        "004_d.sql:3: fork: 003_c.sql, 004_d.sql all follow 'b'",
    ]
    assert str(info.value) == f"{info.value.problems[0]} (and 1 more)"


def test_missing_and_empty_directories(tmp_path: Path) -> None:
    assert validate(tmp_path / "nope") == (
        None,
        [f"{tmp_path / 'nope'}: no such migrations directory"],
    )
    empty = write(tmp_path / "empty", {"README.md": "not a migration", "fingerprints.json": "{}"})
    assert validate(empty) == (None, [f"no revisions in {empty}: it holds no .sql files"])
    with pytest.raises(
        ChainError, match=re.escape(f"no revisions in {empty}: it holds no .sql files")
    ):
        load_chain(empty)
    chain, problems = validate(empty, empty_ok=True)  # `new` starts a chain there
    assert problems == []
    assert chain is not None
    assert len(chain) == 0
    assert chain.head is None


# -- headers: transaction and lock_timeout values --------------------------------------------


@pytest.mark.parametrize("value", ["None", "NONE", "per_file", "perfile", "off", "", "none -- x"])
def test_bad_transaction_header(tmp_path: Path, value: str) -> None:
    files = with_b("SELECT 1;\n", extra=f"\n-- transaction: {value}")
    assert problems_of(tmp_path, files) == [
        f"002_b.sql:3: transaction must be 'per-file' or 'none', got '{value.strip()}'"
    ]


@pytest.mark.parametrize(("value", "transactional"), [("none", False), ("per-file", True)])
def test_good_transaction_header(tmp_path: Path, value: str, transactional: bool) -> None:
    chain = valid(tmp_path, with_b("SELECT 1;\n", extra=f"\n--transaction:{value}  "))
    assert chain["b"].transactional is transactional
    assert chain["a"].transactional is True  # the default


@pytest.mark.parametrize("value", ["5 seconds", "abc", "-1s", "", "5S", "1.5s", "5s;", "'5s'"])
def test_bad_lock_timeout_header(tmp_path: Path, value: str) -> None:
    files = with_b("SELECT 1;\n", extra=f"\n-- lock_timeout: {value}")
    assert problems_of(tmp_path, files) == [
        f"002_b.sql:3: lock_timeout '{value}' is not a duration like 5s, 500ms or 1min"
    ]


@pytest.mark.parametrize("value", ["10s", "500ms", "1min", "2h", "0", "30"])
def test_good_lock_timeout_header(tmp_path: Path, value: str) -> None:
    chain = valid(tmp_path, with_b("SELECT 1;\n", extra=f"\n-- lock_timeout: {value}"))
    assert chain["b"].lock_timeout == value
    assert chain["a"].lock_timeout == "5s"  # the default


def test_header_lines_are_where_they_are(tmp_path: Path) -> None:
    """Headers may sit behind comments and blank lines; problems name their real line."""
    text = "\n-- intro\n\n-- down_revision: zz\n-- revision: b\n-- lock_timeout: soon\nSELECT 1;\n"
    assert problems_of(tmp_path, {**BASE, "002_b.sql": text}) == [
        "002_b.sql:6: lock_timeout 'soon' is not a duration like 5s, 500ms or 1min"
    ]
    text = text.replace("soon", "5s")
    assert problems_of(tmp_path / "2", {**BASE, "002_b.sql": text}) == [
        "002_b.sql:4: down_revision 'zz' names no revision in this chain"
    ]
    text = text.replace("zz", "a")
    assert valid(tmp_path / "3", {**BASE, "002_b.sql": text})["b"].lock_timeout == "5s"
    text = text.replace("-- revision: b\n", "-- revision: a\n")
    assert problems_of(tmp_path / "4", {**BASE, "002_b.sql": text}) == [
        "002_b.sql:5: revision 'a' is also declared by 001_a.sql",
        "003_c.sql:2: down_revision 'b' names no revision in this chain",
    ]


# -- transaction control statements ----------------------------------------------------------

TX_CONTROL = [
    ("BEGIN", "BEGIN"),
    ("begin transaction isolation level serializable", "BEGIN"),
    ("BEGIN WORK", "BEGIN"),
    ("START TRANSACTION", "START"),
    ("COMMIT", "COMMIT"),
    ("commit and chain", "COMMIT"),
    ("COMMIT PREPARED 'x'", "COMMIT"),
    ("ROLLBACK", "ROLLBACK"),
    ("ROLLBACK TO SAVEPOINT s", "ROLLBACK"),
    ("END", "END"),
    ("ABORT", "ABORT"),
    ("SAVEPOINT s", "SAVEPOINT"),
    ("RELEASE SAVEPOINT s", "RELEASE"),
    ("PREPARE TRANSACTION 'x'", "PREPARE"),
]


@pytest.mark.parametrize(("stmt", "word"), TX_CONTROL)
@pytest.mark.parametrize("extra", ["", TX_NONE], ids=["per-file", "none"])
def test_transaction_control_is_flagged(tmp_path: Path, stmt: str, word: str, extra: str) -> None:
    line = 4 + extra.count("\n")
    files = with_b(f"CREATE TABLE t (id int);\n{stmt};\nSELECT 1;\n", extra=extra)
    assert problems_of(tmp_path, files) == [
        f"002_b.sql:{line}:1: {word} is not allowed; the runner owns the transactions"
    ]


def test_transaction_control_without_semicolon_at_end_of_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path, with_b("SELECT 1;\n  /* done */ COMMIT")) == [
        "002_b.sql:4:14: COMMIT is not allowed; the runner owns the transactions"
    ]


NOT_TX_CONTROL = {
    "do-block": "DO $$\nBEGIN\n  PERFORM 1;\nEXCEPTION WHEN others THEN\n  NULL;\nEND\n$$;\n",
    "tagged-do-block": "DO $x$ BEGIN COMMIT; END $x$ LANGUAGE plpgsql;\n",
    "function-body": (
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        "BEGIN\n  RETURN NEW;\nEND;\n$fn$;\n"
    ),
    "string": "SELECT 'BEGIN; COMMIT;\nROLLBACK;';\n",
    "escape-string": "SELECT E'it\\'s; BEGIN;';\n",
    "doubled-quote": "SELECT 'it''s; BEGIN;';\n",
    "line-comment": "-- BEGIN;\nSELECT 1; -- COMMIT;\n",
    "block-comment": "/* BEGIN;\n  /* nested; */ COMMIT;\n*/ SELECT 1;\n",
    "quoted-identifier": 'CREATE TABLE "begin;" ("commit" int);\n',
    "column-named-end": "SELECT CASE WHEN true THEN 1 END AS ok;\n",
    "prepared-statement": "PREPARE q AS SELECT 1;\nDEALLOCATE q;\n",
    "set-transaction": "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\n",
    "begin-atomic": (
        "CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT CASE WHEN i > 0 THEN i + 1 ELSE 0 END;\nEND;\n"
    ),
    "begin-atomic-or-replace": (
        "create or replace procedure p() language sql\n"
        "begin atomic\n  insert into t values (1);\n  insert into t values (2);\nend;\n"
    ),
    "rule-with-parenthesised-actions": (
        "CREATE RULE r AS ON INSERT TO t DO ALSO (\n"
        "  INSERT INTO a VALUES (1);\n  INSERT INTO b VALUES (2)\n);\n"
    ),
}


@pytest.mark.parametrize("body", NOT_TX_CONTROL.values(), ids=NOT_TX_CONTROL.keys())
def test_transaction_words_in_bodies_strings_and_comments_pass(tmp_path: Path, body: str) -> None:
    valid(tmp_path, with_b(body))


@pytest.mark.parametrize("body", NOT_TX_CONTROL.values(), ids=NOT_TX_CONTROL.keys())
def test_a_real_begin_after_them_is_still_found(tmp_path: Path, body: str) -> None:
    """The same files plus a real BEGIN: found, at its line, whatever came before."""
    line = 3 + body.count("\n")
    assert problems_of(tmp_path, with_b(body + "  BEGIN;\n")) == [
        f"002_b.sql:{line}:3: BEGIN is not allowed; the runner owns the transactions"
    ]


def test_begin_atomic_is_one_statement() -> None:
    text = NOT_TX_CONTROL["begin-atomic"] + NOT_TX_CONTROL["rule-with-parenthesised-actions"]
    stmts = sqllex.split(text + "SELECT 1")
    assert [s.words[:2] for s in stmts] == [
        ("CREATE", "FUNCTION"),
        ("CREATE", "RULE"),
        ("SELECT", "1"),
    ]
    assert stmts[0].text.endswith("END")


LONG = "UPDATE t SET a = 1, b = 2, c = 3 WHERE x = "  # past the leading words: split's fast runs


@pytest.mark.parametrize(
    ("tail", "statements"),
    [
        (":p$$; not the end$$;", 1),  # a parameter ends before '$': a dollar quote follows
        ("a$$b; SELECT 2;", 2),  # a '$' inside a word opens nothing
        ("E'\\'; still'; SELECT 2;", 2),  # an E'' string's backslash escapes the quote
        ("1 -- ; comment\n; SELECT 2;", 2),
        ("f(';') /* ; */ - 1; SELECT 2;", 2),
        ('"a;b"::text; SELECT 2;', 2),
    ],
)
def test_a_long_statement_ends_where_its_tokens_say(tail: str, statements: int) -> None:
    stmts = sqllex.split(LONG + tail)
    assert len(stmts) == statements
    assert stmts[0].text.startswith(LONG)


def test_statement_positions_after_comments_and_dollar_quotes(tmp_path: Path) -> None:
    body = (
        "/* a comment\n"  # line 3
        "   over ; three\n"
        "   lines */ BEGIN;\n"  # line 5, column 13
        "DO $$\n"
        "BEGIN\n"
        "  PERFORM 1;\n"
        "END\n"
        "$$; COMMIT;\n"  # line 10, column 5
        "SELECT 'x;\n"
        "y'; ROLLBACK;\n"  # line 12, column 5
        "SELECT $tag$ $$ ; $tag$\n"
        "  /* nested /* ; */ */ ; END;\n"  # line 14, column 26
    )
    assert problems_of(tmp_path, with_b(body)) == [
        "002_b.sql:5:13: BEGIN is not allowed; the runner owns the transactions",
        "002_b.sql:10:5: COMMIT is not allowed; the runner owns the transactions",
        "002_b.sql:12:5: ROLLBACK is not allowed; the runner owns the transactions",
        "002_b.sql:14:26: END is not allowed; the runner owns the transactions",
    ]


def test_positions_in_crlf_and_bom_files(tmp_path: Path) -> None:
    body = "/* two\n lines */\nSELECT 1;\nBEGIN;\n"
    lf = mig("b", "a", body)
    for i, text in enumerate([lf, lf.replace("\n", "\r\n"), "\ufeff" + lf]):
        assert problems_of(tmp_path / str(i), {**BASE, "002_b.sql": text.encode()}) == [
            "002_b.sql:6:1: BEGIN is not allowed; the runner owns the transactions"
        ]


# -- statements that cannot run inside a transaction block -----------------------------------

AUTOCOMMIT_ONLY = [
    ("CREATE INDEX CONCURRENTLY ix ON t (a)", "CREATE INDEX CONCURRENTLY"),
    ("create index concurrently if not exists ix on t (a)", "CREATE INDEX CONCURRENTLY"),
    ("CREATE UNIQUE INDEX CONCURRENTLY ix ON t (a)", "CREATE INDEX CONCURRENTLY"),
    ('CREATE INDEX CONCURRENTLY "Ix" ON t (a)', "CREATE INDEX CONCURRENTLY"),
    ("DROP INDEX CONCURRENTLY ix", "DROP INDEX CONCURRENTLY"),
    ("DROP INDEX CONCURRENTLY IF EXISTS ix", "DROP INDEX CONCURRENTLY"),
    ("REINDEX INDEX CONCURRENTLY ix", "REINDEX CONCURRENTLY"),
    ("REINDEX TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"),
    ("REINDEX (VERBOSE) TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"),
    ("REINDEX SCHEMA public", "REINDEX SCHEMA"),
    ("REINDEX DATABASE roboco", "REINDEX DATABASE"),
    ("REINDEX SYSTEM roboco", "REINDEX SYSTEM"),
    ("VACUUM", "VACUUM"),
    ("VACUUM (ANALYZE) t", "VACUUM"),
    ("vacuum full t", "VACUUM"),
    ("CREATE DATABASE other", "CREATE DATABASE"),
    ("DROP DATABASE other", "DROP DATABASE"),
    ("ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"),
    ("CREATE TABLESPACE ts LOCATION '/tmp/ts'", "CREATE TABLESPACE"),
    ("DROP TABLESPACE ts", "DROP TABLESPACE"),
    ("CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p", "CREATE SUBSCRIPTION"),
    ("DROP SUBSCRIPTION s", "DROP SUBSCRIPTION"),
    ("CLUSTER", "CLUSTER without a table"),
    ("CLUSTER VERBOSE", "CLUSTER without a table"),
    ("ALTER DATABASE roboco SET TABLESPACE ts", "ALTER DATABASE ... SET TABLESPACE"),
    ("ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", "DETACH PARTITION CONCURRENTLY"),
    ("DISCARD ALL", "DISCARD ALL"),
]


def autocommit_body(stmt: str) -> str:
    return f"SELECT 1;\n/* why:\n   it must */ {stmt};\n"


@pytest.mark.parametrize("extra", ["", "\n-- transaction: per-file"], ids=["default", "explicit"])
@pytest.mark.parametrize(("stmt", "why"), AUTOCOMMIT_ONLY)
def test_autocommit_only_statement_in_transactional_file(
    tmp_path: Path, stmt: str, why: str, extra: str
) -> None:
    line = 5 + extra.count("\n")
    files = with_b(autocommit_body(stmt), extra=extra)
    assert problems_of(tmp_path, files) == [
        f"002_b.sql:{line}:15: {why} cannot run inside a transaction; "
        "put it in a file marked '-- transaction: none'"
    ]


# In a `transaction: none` file such a statement commits before its progress row, so it must
# be written to survive a second run after a crash between the two.
RESUMABLE_FORM = {
    "DROP INDEX CONCURRENTLY ix": "DROP INDEX CONCURRENTLY IF EXISTS ix",
    "DROP DATABASE other": "DROP DATABASE IF EXISTS other",
    "DROP TABLESPACE ts": "DROP TABLESPACE IF EXISTS ts",
    "DROP SUBSCRIPTION s": "DROP SUBSCRIPTION IF EXISTS s",
}
NOT_RESUMABLE = {
    "CREATE DATABASE other": "CREATE DATABASE cannot be re-run after a crash",
    "CREATE TABLESPACE ts LOCATION '/tmp/ts'": "CREATE TABLESPACE cannot be re-run after a crash",
    "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p": "CREATE SUBSCRIPTION cannot be re-run",
    "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY": "must be finished with FINALIZE",
}


@pytest.mark.parametrize(("stmt", "why"), AUTOCOMMIT_ONLY)
def test_autocommit_only_statement_in_transaction_none_file(
    tmp_path: Path, stmt: str, why: str
) -> None:
    if stmt in NOT_RESUMABLE:
        found = problems_of(tmp_path, with_b(autocommit_body(stmt), extra=TX_NONE))
        assert len(found) == 1 and NOT_RESUMABLE[stmt] in found[0], found
        return
    stmt = RESUMABLE_FORM.get(stmt, stmt)
    chain = valid(tmp_path, with_b(autocommit_body(stmt), extra=TX_NONE))
    assert chain["b"].transactional is False
    assert [s.words[0] for s in chain["b"].statements] == ["SELECT", stmt.partition(" ")[0].upper()]


@pytest.mark.parametrize(
    "stmt",
    [
        "CREATE INDEX ix ON t (a)",
        "CREATE UNIQUE INDEX ix ON t (a)",
        "CREATE INDEX concurrently_ix ON t (a)",
        "DROP INDEX ix",
        "REINDEX INDEX ix",
        "REINDEX TABLE t",
        "ANALYZE t",
        "CLUSTER t USING ix",
        "CLUSTER VERBOSE t",
        "ALTER TABLE p DETACH PARTITION p1",
        "ALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1)",
        "ALTER DATABASE roboco SET default_tablespace = ''",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
        "DISCARD PLANS",
        "CREATE TABLE vacuum_log (id int)",
        "SELECT 'VACUUM'",
        "DO $$ BEGIN EXECUTE 'VACUUM'; END $$",
    ],
)
def test_close_statements_pass_in_transactional_file(tmp_path: Path, stmt: str) -> None:
    assert valid(tmp_path, with_b(autocommit_body(stmt)))["b"].transactional is True


# -- checksums -------------------------------------------------------------------------------


def test_checksum_ignores_bom_and_crlf(tmp_path: Path) -> None:
    lf = mig("b", "a", "-- a note\nSELECT 'x\ny';\n").encode()
    variants = {
        "lf": lf,
        "crlf": lf.replace(b"\n", b"\r\n"),
        "bom": b"\xef\xbb\xbf" + lf,
        "bom-crlf": b"\xef\xbb\xbf" + lf.replace(b"\n", b"\r\n"),
    }
    sums = {
        name: valid(tmp_path / name, {**BASE, "002_b.sql": raw})["b"].checksum
        for name, raw in variants.items()
    }
    assert sums == dict.fromkeys(variants, hashlib.sha256(lf).hexdigest())
    edited = valid(tmp_path / "edited", {**BASE, "002_b.sql": lf.replace(b"x", b"z")})
    assert edited["b"].checksum != sums["lf"]
    lone_cr = valid(tmp_path / "cr", {**BASE, "002_b.sql": lf.replace(b"x\n", b"x\r")})
    assert lone_cr["b"].checksum != sums["lf"]  # only CRLF pairs fold


# -- the shipped chain -----------------------------------------------------------------------


def test_shipped_chain_validates() -> None:
    chain = load_chain()
    files = sorted(p.name for p in default_dir().glob("*.sql"))
    assert len(chain) >= 94  # RoboCo's 001-093 at the time of writing; the chain only grows
    assert [m.name for m in chain] == files
    assert chain.migrations[44].revision == "044_convention_findings"
    assert chain.head == chain.migrations[-1].revision
    assert chain.migrations[0].down_revision is None
    validated, problems = validate(default_dir())
    assert problems == [] and validated is not None
    assert validated.migrations == chain.migrations
    for parent, child in zip(chain.migrations, chain.migrations[1:], strict=False):
        assert child.down_revision == parent.revision


def test_shipped_checksums_are_those_recorded_before_down_sections() -> None:
    """Appending a down section changes no recorded checksum: each file's checksum is still
    the sha256 of the whole file as it was at f0540ca (the last commit without any)."""
    chain = load_chain()
    before = {}
    for m in chain.migrations[:94]:
        shown = subprocess.run(
            ["git", "show", f"f0540ca:sql/migrations/{m.name}"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        before[m.name] = hashlib.sha256(shown.stdout).hexdigest()
    assert {m.name: m.checksum for m in chain.migrations[:94]} == before
    shipped = 0
    for a in chain.additions:
        assert a.down_start is not None, a.name  # ours have their way back
        shown = subprocess.run(
            ["git", "show", f"f0540ca:sql/additions/{a.path.name}"],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        if shown.returncode:  # an addition made since, born with its down section
            continue
        shipped += 1
        assert a.checksum == hashlib.sha256(shown.stdout).hexdigest(), a.name
    assert shipped == 2  # task_graph_indexes and task_scope_check


# -- down sections ----------------------------------------------------------------------------

UP = "-- revision: b\n-- down_revision: a\nCREATE TABLE t (id int);\n"


def test_down_section_is_split_off_and_not_checksummed(tmp_path: Path) -> None:
    with_down = UP + "\n\n-- down\n-- irreversible: t's rows go\nDROP TABLE t;\n"
    chain = valid(tmp_path, {"001_a.sql": mig("a"), "002_b.sql": with_down})
    m = chain["b"]
    assert m.checksum == hashlib.sha256(UP.encode()).hexdigest()
    assert [s.text for s in m.statements] == ["CREATE TABLE t (id int)"]
    assert m.has_down and m.irreversible == "t's rows go"
    down = m.reverse()
    assert [s.text for s in down.statements] == ["DROP TABLE t"]
    assert down.where(down.statements[0].start) == "002_b.sql:8:1"
    assert down.label == "the down section of b"
    assert not chain["a"].has_down and chain["a"].irreversible is None
    with pytest.raises(ChainError, match="a has no down section"):
        chain["a"].reverse()


def test_a_down_line_inside_text_is_not_the_marker(tmp_path: Path) -> None:
    body = UP + "-- downgrade notes\n--  down\n"
    chain = valid(tmp_path, {"001_a.sql": mig("a"), "002_b.sql": body})
    assert not chain["b"].has_down
    assert chain["b"].checksum == hashlib.sha256(body.encode()).hexdigest()


DOWN_RULES = [
    pytest.param(
        "COMMIT;\n",
        "002_b.sql:6:1: COMMIT is not allowed in a down section; the runner owns the transactions",
        id="down-transaction-control",
    ),
    pytest.param(
        "DROP INDEX CONCURRENTLY IF EXISTS i;\n",
        "002_b.sql:6:1: DROP INDEX CONCURRENTLY cannot run inside a transaction, and a down "
        "section runs in one",
        id="down-autocommit-only",
    ),
    pytest.param(
        "SELECT 1;\n\\set x 1\n",
        "002_b.sql:7:1: a psql meta-command is not allowed; the runner sends plain SQL",
        id="down-meta-command",
    ),
    pytest.param(
        "SELECT 'open;\n",
        "002_b.sql:6:8: unterminated quoted string",
        id="down-lexes",
    ),
    pytest.param(
        "",
        "002_b.sql:5:1: empty down section; when nothing is to be undone, say why in a comment",
        id="down-empty",
    ),
    pytest.param(
        "-- irreversible:\nDROP TABLE t;\n",
        "002_b.sql:6: '-- irreversible:' must say what is lost",
        id="down-irreversible-reason",
    ),
]


@pytest.mark.parametrize(("down", "problem"), DOWN_RULES)
def test_down_section_rules(tmp_path: Path, down: str, problem: str) -> None:
    got = problems_of(tmp_path, {"001_a.sql": mig("a"), "002_b.sql": UP + "\n-- down\n" + down})
    assert got == [problem]
    fixed = UP + "\n-- down\n-- nothing to undo: a test\n"
    assert valid(tmp_path, {"001_a.sql": mig("a"), "002_b.sql": fixed})["b"].has_down


def test_up_part_meta_command_is_refused(tmp_path: Path) -> None:
    got = problems_of(tmp_path, with_b("\\i other.sql\n"))
    assert got == ["002_b.sql:3:1: a psql meta-command is not allowed; the runner sends plain SQL"]


def test_check_requires_down_sections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from roboco_sql.migrate import chain as chain_mod

    chain = valid(tmp_path, {"001_a.sql": mig("a"), "002_b.sql": UP + "\n-- down\nDROP TABLE t;\n"})
    monkeypatch.setattr(chain_mod, "DOWN_REQUIRED", False)
    assert chain_mod.missing_downs(chain) == []
    monkeypatch.setattr(chain_mod, "DOWN_REQUIRED", True)
    assert chain_mod.missing_downs(chain) == [
        "001_a.sql:1: no down section (a '-- down' line, then the SQL that undoes the file)"
    ]


# -- the CLI: check and migrate refuse a bad chain before any database ------------------------

CLI_PROBLEM = (
    f"001_a.sql:1: revision id '{ID33}' is 33 characters; the version column holds at most 32"
)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBOCO_")}
    return run_python("-m", "roboco_sql", *args, env=env, timeout=60)


def test_cli_check(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad", {"001_a.sql": mig(ID33), "002_b.sql": mig("b", ID33)})
    run = cli("check", "--migrations-dir", str(bad))
    assert run.returncode != 0
    assert CLI_PROBLEM in run.stderr.splitlines()
    assert "no database was touched" in run.stderr
    undone = {"001_a.sql": mig("a"), "002_b.sql": mig("b", "a")}  # named after their revisions
    run = cli("check", "--migrations-dir", str(write(tmp_path / "undone", undone)))
    assert run.returncode != 0
    assert run.stderr.splitlines()[:2] == [
        f"{name}:1: no down section (a '-- down' line, then the SQL that undoes the file)"
        for name in undone
    ]
    down = "\n-- down\n-- nothing to undo: SELECT 1 changes nothing\n"
    good = write(tmp_path / "good", {name: body + down for name, body in undone.items()})
    run = cli("check", "--migrations-dir", str(good))
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == f"{good}: 2 revisions, head b, no problems\n"


def test_cli_migrate_refuses_a_bad_chain_without_connecting(tmp_path: Path) -> None:
    bad = write(tmp_path, {"001_a.sql": mig(ID33)})
    url = "postgresql://nobody@127.0.0.1:1/none"
    run = cli("migrate", "--migrations-dir", str(bad), "--database-url", url)
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert CLI_PROBLEM in output.splitlines()
    assert "connect" not in output.lower()
    assert "127.0.0.1" not in output


def test_cli_migrate_opens_no_socket_for_a_bad_chain(tmp_path: Path) -> None:
    """A live listener on the URL's port: a bad chain must not even reach it."""
    bad = write(tmp_path, {"001_a.sql": mig(ID33)})
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        url = f"postgresql://nobody@127.0.0.1:{port}/none?connect_timeout=2"
        run = cli("migrate", "--migrations-dir", str(bad), "--database-url", url)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert run.returncode != 0
    assert CLI_PROBLEM in run.stderr.splitlines()
