"""docs/roboco-parity.md against RoboCo's operation inventory.

The inventory (tests/fixtures/roboco-operations.md, a copy of the reference RoboCo's call sites
were read into) names 184 operation groups by id. The parity table must give every one of them,
and every group of the tables RoboCo added later, a function that exists and a test that exists,
and say `covered`: a group that drops out, a renamed function or a deleted test fails here.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "tests" / "fixtures" / "roboco-operations.md"
PARITY = ROOT / "docs" / "roboco-parity.md"

_ID = re.compile(r"^[A-Z]{1,3}\d{2}$")
_NAME = re.compile(r"`([a-z_]\w*(?:\.\w+)+)`")
_TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _rows(text: str) -> list[list[str]]:
    """The cells of every markdown table row whose first cell is an operation id."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells and _ID.match(cells[0]):
                rows.append(cells)
    return rows


def _reference_ids() -> set[str]:
    inventory = INVENTORY.read_text().split("## 2. Inventory", 1)[1].split("\n## 3.")[0]
    return {cells[0] for cells in _rows(inventory)}


def _section(title: str) -> list[list[str]]:
    text = PARITY.read_text()
    assert f"## {title}" in text, f"docs/roboco-parity.md has no section '## {title}'"
    body = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return _rows(body)


REFERENCE = "Reference groups"
NEWER = "Newer tables"


def test_the_inventory_has_its_184_groups() -> None:
    assert len(_reference_ids()) == 184


def test_every_reference_group_has_one_row() -> None:
    ids = [cells[0] for cells in _section(REFERENCE)]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicated, f"ids given twice: {duplicated}"
    missing = sorted(_reference_ids() - set(ids))
    assert not missing, f"groups without a row: {missing}"
    unknown = sorted(set(ids) - _reference_ids())
    assert not unknown, f"rows for ids the inventory does not have: {unknown}"


def test_the_newer_tables_have_groups() -> None:
    rows = _section(NEWER)
    ids = [cells[0] for cells in rows]
    assert len(rows) >= 50 and len(ids) == len(set(ids))
    assert not set(ids) & _reference_ids(), "newer ids must not reuse the inventory's"


def _resolve(dotted: str) -> object:
    module, _, attr = dotted.rpartition(".")
    return getattr(importlib.import_module(f"roboco_sql.{module}"), attr)


@pytest.mark.parametrize("title", [REFERENCE, NEWER])
def test_every_row_is_covered_by_a_function_and_a_test_that_exist(title: str) -> None:
    problems = []
    for cells in _section(title):
        if len(cells) != 5:
            problems.append(f"{cells[0]}: {len(cells)} cells, want 5")
            continue
        gid, _purpose, serves, proved, status = cells
        if status != "covered":
            problems.append(f"{gid}: status {status!r}")
        names = _NAME.findall(serves)
        if not names:
            problems.append(f"{gid}: names no function")
        for name in names:
            try:
                if not callable(_resolve(name)):
                    problems.append(f"{gid}: {name} is not callable")
            except (ImportError, AttributeError, ValueError):
                problems.append(f"{gid}: no function roboco_sql.{name}")
        tests = _TEST.findall(proved)
        if not tests:
            problems.append(f"{gid}: names no test")
        for path, test in tests:
            source = ROOT / path
            if not source.exists() or not re.search(
                rf"^\s*(async )?def {test}\(", source.read_text(), re.M
            ):
                problems.append(f"{gid}: no test {path}::{test}")
    assert not problems, "\n".join(problems)
