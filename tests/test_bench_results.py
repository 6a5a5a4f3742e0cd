"""The README's Performance table is the committed bench results, never typed by hand.

No benchmark runs here: the committed bench/results/latest.json is read, and the README's
generated section must be exactly what ``python -m bench.readme`` makes from it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from bench import readme


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return readme.load()


def test_readme_table_is_generated_from_the_committed_results(results: dict[str, Any]) -> None:
    text = readme.README.read_text(encoding="utf-8")
    assert readme.current(text) == readme.render(results), (
        "README.md's Performance table differs from bench/results/latest.json: "
        "run python -m bench.readme"
    )


def test_every_figure_of_the_results_is_in_the_readme(results: dict[str, Any]) -> None:
    section = readme.current(readme.README.read_text(encoding="utf-8"))
    assert results["figures"]
    for figure in results["figures"]:
        assert readme._cell(figure["name"]) in section


def test_results_name_the_commit_machine_and_versions(results: dict[str, Any]) -> None:
    assert results["scale"] == 1.0
    assert {"claims", "migrate", "rag", "repos"} <= set(results["suites_run"])
    git = results["git"]
    assert re.fullmatch(r"[0-9a-f]{40}", git["commit"])
    assert isinstance(git["dirty"], bool)
    machine = results["machine"]
    assert machine["cores_logical"] >= 1 and machine["memory_gb"] > 0
    assert len(machine["load_avg_at_start"]) == 3 and len(machine["load_avg_at_end"]) == 3
    versions = results["versions"]
    assert re.match(r"\d+\.\d+", versions["postgresql_server"])
    for key in ("python", "psycopg"):
        assert versions[key]
    assert re.match(r"\d{4}-\d\d-\d\dT", results["date"])


def test_a_changed_figure_makes_the_readme_stale(results: dict[str, Any]) -> None:
    changed = copy.deepcopy(results)
    changed["figures"][0]["value"] = changed["figures"][0]["value"] * 2 + 1
    text = readme.README.read_text(encoding="utf-8")
    assert readme.current(text) != readme.render(changed)
    assert readme.current(readme.update(text, changed)) == readme.render(changed)


def test_cells_cannot_break_the_table() -> None:
    assert readme._cell("a | b <plan>") == "a \\| b &lt;plan&gt;"
    assert readme._against("x: y: raw", "x: y: repo") == "repo"
    assert readme._against("a: raw", "b: repo") == "b: repo"
