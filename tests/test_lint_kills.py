"""Tests that kill mutants of the linter (lint, lint_rules, lint_sql, lint_optouts) which the
other tests let live (issue 19; see mutation/results/migrate-lint-survivors.txt): each pins
one behaviour exactly. No database: a chain is written to tmp_path and linted, or lint_sql's
readers are given tokens directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roboco_sql.migrate.chain import load_chain
from roboco_sql.migrate.lint import Finding, lint_chain
from roboco_sql.migrate.lint_rules import RULES, rule_named
from roboco_sql.migrate.lint_sql import (
    Tok,
    action_kind,
    column_at,
    do_body,
    dynamic_statements,
    has,
    inner_statements,
    line_comments,
    name_at,
    tokens,
    unquote,
)
from roboco_sql.sqllex import Kind
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


# -- lint_sql: names, strings, comments --------------------------------------------------------


def test_unquote_reads_names_and_strings_as_the_server_does() -> None:
    assert [unquote(t) for t in tokens('"My""T" \'it\'\'s\' "ab" Abc')] == [
        'My"T',
        "it's",
        "ab",
        "abc",
    ]


def test_name_at_reads_a_qualified_name_up_to_the_end() -> None:
    assert name_at(tokens("public.t x"), 0) == ("t", 3)
    assert name_at(tokens("s.t"), 0) == ("s.t", 3)
    assert name_at(tokens("t"), 0) == ("t", 1)
    assert name_at(tokens("public"), 0) == ("public", 1)  # a table named public keeps its name
    assert name_at(tokens("s."), 0) == ("s", 2)  # a dot at the end: nothing more to read
    assert name_at(tokens("(a"), 0) == ("", 0)


def test_tokens_and_line_comments_keep_file_offsets() -> None:
    assert [t.start for t in tokens("a  b")] == [0, 3]
    text = "x -- c\n/* b */ y"
    assert list(line_comments(text)) == [Tok(Kind.COMMENT, "-- c", 2)]
    assert list(line_comments(text, 10)) == [Tok(Kind.COMMENT, "-- c", 12)]


def test_do_body_is_none_without_a_dollar_quoted_body() -> None:
    assert do_body([]) is None
    assert do_body(tokens("DO 'BEGIN END'")) is None
    assert do_body(tokens("SELECT $$x$$")) is None
    body = do_body(tokens("DO $b$BEGIN END$b$"))
    assert body is not None and body.text == "$b$BEGIN END$b$"


# -- lint: down sections, empty statements, unused opt-outs ------------------------------------


def test_a_down_section_finding_is_a_note_without_its_fix(tmp_path: Path) -> None:
    body = "SELECT 1;\n-- down\nALTER TABLE t ALTER a SET NOT NULL;\n"
    assert lint_files(tmp_path, body) == [
        "002_x0.sql:5: set-not-null (down section): SET NOT NULL on t.a scans the whole table "
        "under an exclusive lock"
    ]


def test_an_opt_out_in_a_down_section_covers_its_statement(tmp_path: Path) -> None:
    body = (
        "SELECT 1;\n-- down\n-- lint: allow set-not-null the column is filled\n"
        "ALTER TABLE t ALTER a SET NOT NULL;\n"
    )
    assert lint_files(tmp_path, body) == []


def test_printed_findings_show_the_fix_only_when_there_is_one_and_not_going_down() -> None:
    assert str(Finding("f.sql", 3, "drop-column", "m", "wait", True)) == (
        "f.sql:3: drop-column (down section): m"
    )
    assert str(Finding("f.sql", 3, "opt-out", "m")) == "f.sql:3: opt-out: m"
    assert str(Finding("f.sql", 3, "opt-out", "m", "fx")) == "f.sql:3: opt-out: m; fix: fx"


def test_empty_statements_do_not_end_the_file(tmp_path: Path) -> None:
    body = ";\n/* nothing */;\nALTER TABLE t ALTER a SET NOT NULL;\n"
    assert lint_files(tmp_path, body) == [
        "002_x0.sql:5: set-not-null: SET NOT NULL on t.a scans the whole table under an "
        "exclusive lock; fix: " + rule_named("set-not-null").fix
    ]


def test_an_unused_opt_out_is_named_with_its_rules_and_fix(tmp_path: Path) -> None:
    body = "-- lint: allow drop-table,set-not-null reason\nSELECT 1;\n"
    assert lint_files(tmp_path, body) == [
        "002_x0.sql:3: opt-out: allow drop-table,set-not-null covers no finding; fix: remove "
        "it, or move it onto the statement's first line or the line above"
    ]


# -- lint: DO blocks ---------------------------------------------------------------------------


def test_a_block_rule_reads_a_do_block_once_not_each_inner_statement(tmp_path: Path) -> None:
    body = (
        "ALTER TYPE e ADD VALUE 'c';\nDO $$\nBEGIN\n"
        "  CREATE INDEX i ON t (a) WHERE v = 'c';\nEND\n$$;\n"
    )
    assert lint_files(tmp_path, body) == [
        fixed(
            "enum-value-used",
            6,
            "'c' is used in the transaction that adds it to e (line 3); PostgreSQL refuses a "
            "new label before it commits",
        ),
        fixed(
            "index-not-concurrent",
            6,
            "CREATE INDEX i on existing table t blocks writes to it while the index builds",
        ),
    ]


DROP_P = (
    "drop-table: DROP TABLE p breaks code that still uses it; fix: " + rule_named("drop-table").fix
)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        pytest.param("DO $$BEGIN DROP TABLE p; END$$;\n", 3, id="no-blank-after-the-tag"),
        pytest.param("DO $b$BEGIN DROP TABLE p; END$b$;\n", 3, id="a-named-tag"),
        pytest.param("DO $$\nBEGIN\nDROP TABLE p;\nEND $$;\n", 5, id="own-line"),
    ],
)
def test_a_statement_inside_a_do_body_is_found_on_its_line(
    tmp_path: Path, body: str, line: int
) -> None:
    assert lint_files(tmp_path, body) == [f"002_x0.sql:{line}: {DROP_P}"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            "DO $$\nBEGIN\n  -- lint: allow drop-table p goes\n  DROP TABLE p;\nEND $$;\n",
            id="above-the-inner-statement",
        ),
        pytest.param(
            "SELECT 1;\nDO $$\nBEGIN\n  -- lint: allow drop-table p goes\n"
            "  DROP TABLE p;\nEND $$;\n",
            id="above-the-inner-statement-of-a-do-below-another-statement",
        ),
        pytest.param(
            "ALTER TYPE e ADD VALUE 'c';\n-- lint: allow enum-value-used a test of the scope\n"
            "DO $$\nBEGIN\n  UPDATE t SET v = 'c';\nEND\n$$;\n",
            id="above-the-do-of-its-body",
        ),
        pytest.param(
            "DO $$\nBEGIN\n-- lint: allow drop-table p goes\nDROP\nTABLE p;\nEND $$;\n",
            id="above-an-inner-statement-on-two-lines",
        ),
        pytest.param(
            "-- lint: allow drop-table p goes\nDO $$\nBEGIN\n  EXECUTE 'DROP TABLE p';\nEND $$;\n",
            id="above-the-do-of-an-executed-statement",
        ),
        pytest.param(
            "DO $$\nBEGIN\n  -- lint: allow drop-table p goes\n"
            "  EXECUTE 'DROP\nTABLE p';\nEND $$;\n",
            id="above-an-executed-statement-on-two-lines",
        ),
        pytest.param(
            "ALTER TYPE e ADD VALUE 'plpgsql';\n"
            "-- lint: allow enum-value-used a label as language\n"
            "DO LANGUAGE 'plpgsql' $$BEGIN END$$;\n",
            id="above-the-do-itself",
        ),
    ],
)
def test_an_opt_out_covers_a_do_blocks_findings(tmp_path: Path, body: str) -> None:
    assert lint_files(tmp_path, body) == []


# -- lint_rules: each message, and the token it stands on --------------------------------------


def fixed(rule: str, line: int, message: str) -> str:
    return f"002_x0.sql:{line}: {rule}: {message}; fix: {rule_named(rule).fix}"


NOT_VALID = "without NOT VALID scans the whole table while blocking writes"
NOT_NULL_Z = "ADD COLUMN p.z NOT NULL without a default fails on a table with rows"
BLOCKS = "blocks writes to it while the index builds"

# (body, the line of its one finding, rule, message); no rule: no finding
RULE_CASES = {
    "null-is-no-not-null": ("ALTER TABLE p ADD z int NULL;\n", 0, "", ""),
    "not-without-null": ("ALTER TABLE p ADD y int UNIQUE NOT DEFERRABLE;\n", 0, "", ""),
    "add-column-if-not-exists": (
        "ALTER TABLE p ADD COLUMN IF NOT EXISTS z int NOT NULL;\n",
        3,
        "add-column-not-null",
        NOT_NULL_Z,
    ),
    "add-column-on-the-add-line": (
        "ALTER TABLE p ADD\n z int NOT NULL;\n",
        3,
        "add-column-not-null",
        NOT_NULL_Z,
    ),
    "alter-column-on-the-alter-line": (
        "ALTER TABLE p ALTER\n id TYPE text;\n",
        3,
        "alter-column-type",
        "ALTER COLUMN p.id TYPE rewrites the table (and its indexes) under an exclusive lock",
    ),
    "concurrent-if-not-exists-on-the-create-line": (
        "CREATE\nINDEX CONCURRENTLY IF NOT EXISTS i ON p (id);\n",
        3,
        "concurrent-if-not-exists",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS i keeps an INVALID index from a failed build "
        "as if it were built",
    ),
    "index-on-the-create-line": (
        "CREATE\nINDEX i ON p (id);\n",
        3,
        "index-not-concurrent",
        f"CREATE INDEX i on existing table p {BLOCKS}",
    ),
    "constraint-without-body": ("ALTER TABLE p ADD CONSTRAINT c;\n", 0, "", ""),
    "a-constraint-named-valid": (
        "ALTER TABLE p ADD CONSTRAINT valid CHECK (id > 0);\n",
        3,
        "constraint-not-valid",
        f"ADD CONSTRAINT valid CHECK on p {NOT_VALID}",
    ),
    "foreign-key": (
        "ALTER TABLE p ADD FOREIGN KEY (id) REFERENCES p (id);\n",
        3,
        "constraint-not-valid",
        f"ADD CONSTRAINT FOREIGN KEY on p {NOT_VALID}",
    ),
    "named-foreign-key": (
        "ALTER TABLE p ADD CONSTRAINT c1 FOREIGN KEY (id) REFERENCES p (id);\n",
        3,
        "constraint-not-valid",
        f"ADD CONSTRAINT c1 FOREIGN KEY on p {NOT_VALID}",
    ),
    "not-deferrable-is-not-not-valid": (
        "ALTER TABLE p ADD CONSTRAINT c FOREIGN KEY (id) REFERENCES p (id) NOT DEFERRABLE;\n",
        3,
        "constraint-not-valid",
        f"ADD CONSTRAINT c FOREIGN KEY on p {NOT_VALID}",
    ),
    "constraint-on-the-add-line": (
        "ALTER TABLE p ADD\nCONSTRAINT c CHECK (id > 0);\n",
        3,
        "constraint-not-valid",
        f"ADD CONSTRAINT c CHECK on p {NOT_VALID}",
    ),
    "a-new-label-placed-by-another": (
        "ALTER TYPE e ADD VALUE 'c';\nALTER TYPE e ADD VALUE 'd' BEFORE 'c';\n",
        0,
        "",
        "",
    ),
    "set-not-null": (
        "ALTER TABLE t ALTER a SET NOT NULL;\n",
        3,
        "set-not-null",
        "SET NOT NULL on t.a scans the whole table under an exclusive lock",
    ),
    "a-dropped-new-table-is-new-no-more": (
        "CREATE TABLE n (a int);\nDROP TABLE n;\nCREATE INDEX i ON n (a);\n",
        5,
        "index-not-concurrent",
        f"CREATE INDEX i on existing table n {BLOCKS}",
    ),
}


@pytest.mark.parametrize("case", RULE_CASES)
def test_a_rule_finds_exactly_this(tmp_path: Path, case: str) -> None:
    body, line, rule, message = RULE_CASES[case]
    assert lint_files(tmp_path, body) == ([fixed(rule, line, message)] if rule else [])


# -- lint_optouts: the header block and a statement's comment lines ----------------------------


def lint_file(tmp_path: Path, text: str) -> list[str]:
    """The findings of a one-file chain whose text is given whole (headers anywhere)."""
    (tmp_path / "001_a.sql").write_text(text, encoding="utf-8")
    return [str(f) for f in lint_chain(load_chain(tmp_path, deep=False))]


HEAD = "-- revision: a\n-- down_revision:\n"


def test_an_allow_file_on_the_last_header_line_covers_the_file(tmp_path: Path) -> None:
    text = HEAD + "-- lint: allow-file drop-table t goes\nDROP TABLE t;\n"
    assert lint_file(tmp_path, text) == []


def test_an_allow_file_on_the_first_statements_line_is_below_the_header(tmp_path: Path) -> None:
    text = HEAD + "DROP TABLE t; -- lint: allow-file drop-table on the statement's line\n"
    assert lint_file(tmp_path, text) == [
        "001_a.sql:3: drop-table: DROP TABLE t breaks code that still uses it; fix: "
        + rule_named("drop-table").fix,
        "001_a.sql:3: opt-out: allow-file drop-table is outside the header block and covers "
        "nothing; fix: move it into the comments at the top of the file, before the first "
        "statement",
    ]


def test_a_statements_opt_out_may_stand_on_the_files_first_line(tmp_path: Path) -> None:
    text = "-- lint: allow drop-table t goes\n" + HEAD + "DROP TABLE t;\n"
    assert lint_file(tmp_path, text) == []


def test_a_statements_opt_out_may_stand_several_comment_lines_above(tmp_path: Path) -> None:
    text = HEAD + "SELECT 1;\n-- lint: allow drop-table t goes\n-- a second line\nDROP TABLE t;\n"
    assert lint_file(tmp_path, text) == []


def test_each_code_breaking_action_is_named_on_its_first_line(tmp_path: Path) -> None:
    """The rules of _BreaksCode: each finding on its action's first line, with its words."""
    body = (
        "ALTER TABLE p DROP\nCOLUMN q;\nALTER TABLE t RENAME\nCOLUMN a TO a2;\n"
        "ALTER TABLE t RENAME\nTO t2;\n"
    )
    assert lint_files(tmp_path, body) == [
        fixed("drop-column", 3, "DROP COLUMN p.q breaks code that still reads or writes it"),
        fixed("rename-column", 5, "RENAME of column t.a breaks code that still uses the old name"),
        fixed(
            "rename-table", 7, "RENAME of table t to t2 breaks code that still uses the old name"
        ),
    ]
