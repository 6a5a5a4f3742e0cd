"""The lint rule table (lint_rules.RULES) and the driver that runs it; no database.

test_plan_lint.py has each rule triggered and its closest safe form; here: the table's own
shape, what the driver derives from it (the down-section exemptions, --strict, the rules an
opt-out may name), and edge statements whose findings must not move when the rules do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from roboco_sql.migrate import lint, lint_rules
from roboco_sql.migrate.chain import load_chain
from roboco_sql.migrate.lint import Finding, lint_chain
from roboco_sql.migrate.lint_rules import ERROR, RULES, WARNING, FileState, Rule, rule_named
from roboco_sql.migrate.lint_sql import Statement, Tok

BASE = (
    "CREATE TYPE e AS ENUM ('a', 'b');\n"
    "CREATE TABLE p (id int PRIMARY KEY);\n"
    "CREATE TABLE t (a int, b int, v e);\n"
)


def lint_files(tmp_path: Path, *bodies: str) -> list[str]:
    """The findings (as printed) of a chain: a base making p, t and e, then one file per body."""
    parent, names = "", ["001_base", *(f"00{i + 2}_x{i}" for i in range(len(bodies)))]
    for name, body in zip(names, (BASE, *bodies), strict=True):
        header = f"-- revision: {name}\n-- down_revision: {parent}\n"
        (tmp_path / f"{name}.sql").write_text(header + body, encoding="utf-8")
        parent = name
    return [str(f) for f in lint_chain(load_chain(tmp_path, deep=False))]


def test_the_table_names_each_rule_once_with_its_severity_summary_and_fix() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)) == 12
    for rule in RULES:
        assert rule.severity in (ERROR, WARNING)
        assert rule.summary and "\n" not in rule.summary
        assert rule.reads in ("statement", "block")
        assert (rule.check is None) == (rule.id == "opt-out")
        assert bool(rule.fix) == (rule.check is not None)  # an opt-out finding has its own
    assert [r.id for r in RULES if r.severity == ERROR] == ["opt-out"]
    assert [r.id for r in RULES if r.reads == "block"] == ["enum-value-used"]


def test_every_checked_rule_has_a_case_in_test_plan_lint() -> None:
    from tests.test_plan_lint import CASES

    assert {case[0] for case in CASES} == {r.id for r in RULES if r.check is not None}


def test_the_down_exemptions_come_from_the_table() -> None:
    exempt, meta = lint.DOWN_EXEMPT, lint.META
    assert exempt == {"index-not-concurrent", "drop-column", "drop-table"}
    assert exempt == {r.id for r in RULES if not r.in_down}
    assert meta == "opt-out"


@pytest.mark.parametrize(
    ("rule", "down", "strict"),
    [
        ("set-not-null", False, True),
        ("set-not-null", True, False),
        ("drop-table", False, True),
        ("opt-out", False, True),
        ("opt-out", True, True),
    ],
)
def test_strict_follows_the_severity(rule: str, down: bool, strict: bool) -> None:
    assert Finding("f.sql", 1, rule, "m", down=down).strict is strict


def test_an_opt_out_may_name_the_checked_rules_in_table_order(tmp_path: Path) -> None:
    (finding,) = lint_files(tmp_path, "-- lint: allow opt-out it is fine\nSELECT 1;\n")
    names = ", ".join(r.id for r in RULES if r.check is not None)
    assert finding == (
        "002_x0.sql:3: opt-out: opt-out names no known rule (opt-out); fix: name one of: " + names
    )


def test_the_driver_runs_what_the_table_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule is one record: added to the table, it runs, with its fix and opt-out."""

    def truncate(state: FileState, stmt: Statement) -> Iterator[tuple[Tok, str]]:
        if stmt.lead[:1] == ["TRUNCATE"]:
            yield stmt.toks[0], "TRUNCATE empties the table under an exclusive lock"

    rule = Rule("no-truncate", WARNING, "TRUNCATE", "delete in batches", truncate)
    monkeypatch.setattr(lint_rules, "RULES", (*RULES, rule))
    body = "TRUNCATE t;\nSELECT 1;\n-- lint: allow no-truncate an opt-out reads the table\n"
    assert lint_files(tmp_path, body + "TRUNCATE p;\n") == [
        "002_x0.sql:3: no-truncate: TRUNCATE empties the table under an exclusive lock; "
        "fix: delete in batches",
    ]


EDGES = """CREATE TABLE n (a int);
DROP TABLE n, n, t;
CREATE TABLE IF NOT EXISTS public.m (a int);
ALTER TABLE m RENAME TO m2;
CREATE INDEX ON m2 (a);
ALTER TABLE IF EXISTS ONLY p * ADD CONSTRAINT c1 UNIQUE (id), ADD CHECK (id > 0), DROP CONSTRAINT x;
ALTER TABLE p ADD z int NOT NULL GENERATED ALWAYS AS IDENTITY, ADD z2 int CHECK (z2 > 0) NOT NULL;
ALTER TABLE p ALTER z SET DATA TYPE text, ALTER CONSTRAINT c DEFERRABLE, RENAME CONSTRAINT y TO w;
DO $b$
BEGIN
  IF true THEN DROP TABLE p; ELSE ALTER TABLE p DROP COLUMN q; END IF;
  EXECUTE format('CREATE INDEX %1$I ON %2$I (a)', 'i', 'p');
END $b$;
"""


def test_edge_statements_keep_their_findings(tmp_path: Path) -> None:
    assert lint_files(tmp_path, EDGES) == [
        "002_x0.sql:4: drop-table: DROP TABLE n breaks code that still uses it; fix: release "
        "code that no longer uses it first, then drop it in a later revision",
        "002_x0.sql:4: drop-table: DROP TABLE t breaks code that still uses it; fix: release "
        "code that no longer uses it first, then drop it in a later revision",
        "002_x0.sql:8: constraint-not-valid: ADD CONSTRAINT CHECK on p without NOT VALID scans "
        "the whole table while blocking writes; fix: " + rule_named("constraint-not-valid").fix,
        "002_x0.sql:9: add-column-not-null: ADD COLUMN p.z2 NOT NULL without a default fails "
        "on a table with rows; fix: " + rule_named("add-column-not-null").fix,
        "002_x0.sql:9: constraint-not-valid: ADD COLUMN p.z2 with an inline CHECK validates "
        "the whole table while blocking writes (inline constraints cannot be NOT VALID); fix: "
        + rule_named("constraint-not-valid").fix,
        "002_x0.sql:10: alter-column-type: ALTER COLUMN p.z TYPE rewrites the table (and its "
        "indexes) under an exclusive lock; fix: " + rule_named("alter-column-type").fix,
        "002_x0.sql:13: drop-column: DROP COLUMN p.q breaks code that still reads or writes "
        "it; fix: " + rule_named("drop-column").fix,
        "002_x0.sql:13: drop-table: DROP TABLE p breaks code that still uses it; fix: "
        + rule_named("drop-table").fix,
        "002_x0.sql:14: index-not-concurrent: CREATE INDEX %1$I on existing table %2$I "
        "(dynamic SQL) blocks writes to it while the index builds; fix: "
        + rule_named("index-not-concurrent").fix,
    ]
