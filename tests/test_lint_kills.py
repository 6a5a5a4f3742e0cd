"""Tests that kill mutants of the linter (lint, lint_rules, lint_sql, lint_optouts) which the
other tests let live (issue 19; see mutation/results/migrate-lint-survivors.txt): each pins
one behaviour exactly. No database: a chain is written to tmp_path and linted, or lint_sql's
readers are given tokens directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roboco_sql.migrate.lint import Finding
from roboco_sql.migrate.lint_rules import RULES, rule_named
from roboco_sql.migrate.lint_sql import (
    Tok,
    action_kind,
    column_at,
    dynamic_statements,
    has,
    inner_statements,
    tokens,
)
from tests.test_lint_rules import lint_files

KNOWN = ", ".join(rule.id for rule in RULES if rule.check is not None)
UNKNOWN_FIX = "fix: name one of: " + KNOWN


def words(statements: list[list[Tok]]) -> list[list[str]]:
    return [[t.word for t in toks] for toks in statements]


# -- lint --json -------------------------------------------------------------------------------


def test_a_finding_as_json_has_its_six_fields() -> None:
    finding = Finding("002_x.sql", 7, "drop-table", "DROP TABLE t breaks code", "wait", True)
    assert finding.as_dict() == {
        "file": "002_x.sql",
        "line": 7,
        "rule": "drop-table",
        "message": "DROP TABLE t breaks code",
        "fix": "wait",
        "down": True,
    }
    assert json.loads(json.dumps(Finding("a.sql", 1, "opt-out", "m").as_dict())) == {
        "file": "a.sql",
        "line": 1,
        "rule": "opt-out",
        "message": "m",
        "fix": "",
        "down": False,
    }


# -- opt-out misuses: each message and fix, exactly --------------------------------------------


@pytest.mark.parametrize(
    ("body", "finding"),
    [
        pytest.param(
            "-- lint: permit drop-table x\n",
            "002_x0.sql:3: opt-out: unknown lint directive 'permit'; fix: write "
            "'-- lint: allow RULE REASON' or '-- lint: allow-file RULE REASON'",
            id="unknown-directive",
        ),
        pytest.param(
            "-- lint: allow set-not-null, drop-table the list has a space after its comma\n",
            "002_x0.sql:3: opt-out: opt-out names no known rule (a list with spaces; write "
            "RULE1,RULE2); " + UNKNOWN_FIX,
            id="space-after-comma",
        ),
        pytest.param(
            "-- lint: allow set-not-null ,drop-table the list has a space before its comma\n",
            "002_x0.sql:3: opt-out: opt-out names no known rule (a list with spaces; write "
            "RULE1,RULE2); " + UNKNOWN_FIX,
            id="space-before-comma",
        ),
        pytest.param(
            "-- lint: allow foo,bar neither is a rule\n",
            "002_x0.sql:3: opt-out: opt-out names no known rule (foo, bar); " + UNKNOWN_FIX,
            id="two-unknown-rules",
        ),
        pytest.param(
            "-- lint: allow\n",
            "002_x0.sql:3: opt-out: opt-out names no known rule (none given); " + UNKNOWN_FIX,
            id="no-rule",
        ),
        pytest.param(
            "SELECT 1;\n-- lint: allow-file drop-table below the first statement\n",
            "002_x0.sql:4: opt-out: allow-file drop-table is outside the header block and "
            "covers nothing; fix: move it into the comments at the top of the file, before "
            "the first statement",
            id="allow-file-below-the-header",
        ),
    ],
)
def test_a_misused_opt_out_is_one_exact_finding(tmp_path: Path, body: str, finding: str) -> None:
    assert lint_files(tmp_path, body + "SELECT 2;\n") == [finding]


# -- file lines --------------------------------------------------------------------------------


def test_enum_value_used_names_the_line_of_the_label_not_its_column(tmp_path: Path) -> None:
    body = "SELECT 1;\n    ALTER TYPE e ADD VALUE 'c';\nINSERT INTO t (v) VALUES ('c');\n"
    assert lint_files(tmp_path, body) == [
        "002_x0.sql:5: enum-value-used: 'c' is used in the transaction that adds it to e "
        "(line 4); PostgreSQL refuses a new label before it commits; fix: "
        + rule_named("enum-value-used").fix
    ]


# -- lint_sql: parentheses and word sequences --------------------------------------------------


def test_has_reads_only_the_words_outside_every_parenthesis() -> None:
    nested = tokens("a ((b) c) d")
    assert has(nested, "C") is None  # still inside the outer parenthesis
    assert has(nested, "B") is None
    assert has(tokens("x (a) b"), "A") is None
    found = has(nested, "A", "D")  # adjacent once the group between is left out
    assert found is not None and found.start == 0


def test_has_never_returns_a_parenthesis() -> None:
    assert has(tokens("(a)"), ")") is None
    assert has(tokens("(a)"), "(") is None
    assert has(tokens(") ( a"), "(") is None  # unbalanced: the "(" is at depth 0


# -- lint_sql: ALTER TABLE actions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("RENAME TO q", "rename-table"),
        ("RENAME CONSTRAINT c TO d", ""),
        ("DROP CONSTRAINT c", ""),
        ("ALTER CONSTRAINT c DEFERRABLE", ""),
        ("ADD CONSTRAINT c CHECK (a > 0)", "add-constraint"),
        ("ADD z int", "add-column"),
        ("RENAME a TO b", "rename-column"),
        ("DROP COLUMN a", "drop-column"),
        ("ALTER a SET DEFAULT 0", "alter-column"),
        ("OWNER TO x", ""),
    ],
)
def test_action_kind_tells_each_action_apart(action: str, kind: str) -> None:
    assert action_kind(tokens(action)) == kind


def test_column_at_steps_past_each_optional_word_run() -> None:
    action = tokens("DROP COLUMN IF EXISTS q CASCADE")
    assert column_at(action, 1, ("IF", "EXISTS")) == ("q", 5)
    assert column_at(tokens("ADD COLUMN IF NOT EXISTS z int"), 1, ("IF", "NOT", "EXISTS")) == (
        "z",
        6,
    )


# -- lint_sql: the statements of a DO body -----------------------------------------------------


def test_inner_statements_starts_at_the_first_token() -> None:
    assert words(list(inner_statements(tokens("DROP TABLE p; DROP TABLE q")))) == [
        ["DROP", "TABLE", "P"],
        ["DROP", "TABLE", "Q"],
    ]


def test_inner_statements_finds_create_and_a_statement_without_its_semicolon() -> None:
    body = tokens("BEGIN CREATE INDEX i ON p (a); ALTER TABLE p DROP COLUMN q END")
    assert words(list(inner_statements(body))) == [
        ["CREATE", "INDEX", "I", "ON", "P", "(", "A", ")"],
        ["ALTER", "TABLE", "P", "DROP", "COLUMN", "Q", "END"],
    ]


@pytest.mark.parametrize(
    "first",
    [
        "ALTER TABLE p ADD CHECK (a > 0)",
        "ALTER TABLE p ADD CHECK ((a) > (0))",
        "ALTER TABLE p ADD CHECK (a; b)",  # a semicolon inside parentheses ends nothing
    ],
)
def test_inner_statements_ends_a_statement_at_a_semicolon_outside_parentheses(first: str) -> None:
    found = words(list(inner_statements(tokens(f"BEGIN {first}; DROP TABLE q; END"))))
    assert found == [[t.word for t in tokens(first)], ["DROP", "TABLE", "Q"]]


# -- lint_sql: DDL held in strings -------------------------------------------------------------


def test_dynamic_statements_reads_only_strings_that_start_with_ddl() -> None:
    assert list(dynamic_statements(tokens("'hello' ALTER TABLE p"))) == []
    assert words(list(dynamic_statements(tokens("EXECUTE 'DROP TABLE'")))) == [["DROP", "TABLE"]]


def test_a_ddl_string_behind_a_comment_is_not_read(tmp_path: Path) -> None:
    assert lint_files(tmp_path, "DO $$ BEGIN EXECUTE '/* why */ DROP TABLE p'; END $$;\n") == []


def test_dynamic_statements_keep_the_last_word_and_the_file_offsets() -> None:
    src = "EXECUTE format('ALTER TABLE %I DROP COLUMN q', 'p');"
    (stmt,) = dynamic_statements(tokens(src))
    assert [t.word for t in stmt] == ["ALTER", "TABLE", "\u00a7I", "DROP", "COLUMN", "Q"]
    assert [src[t.start : t.start + len(t.text)] for t in stmt if "\u00a7" not in t.text] == [
        "ALTER",
        "TABLE",
        "DROP",
        "COLUMN",
        "q",
    ]


def test_a_string_that_is_not_sql_is_skipped_and_the_next_is_read() -> None:
    src = "EXECUTE 'ALTER TABLE \"p'; EXECUTE 'DROP TABLE q';"
    assert words(list(dynamic_statements(tokens(src)))) == [["DROP", "TABLE", "Q"]]
