"""The wheel carries the SQL, and an installed copy finds it without the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

_BYTECODE = shutil.ignore_patterns("__pycache__", "*.pyc")


def test_wheel_ships_every_module_the_chain_queries_and_fingerprints(tmp_path: Path) -> None:
    # built from a copy of the sources: setuptools reuses the tree's build/ directory, where a
    # file deleted since the last build would linger and ship
    source = tmp_path / "src"
    for name in ("roboco_sql", "sql"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=_BYTECODE)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("roboco_sql-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.removeprefix("roboco_sql/") for n in names if n.startswith("roboco_sql/sql/")}
    on_disk = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "sql").rglob("*")
        if p.is_file() and p.suffix in (".sql", ".json")
    }
    assert shipped == on_disk
    assert "roboco_sql/py.typed" in names
    # every module ships (the package list is explicit: a new subpackage must be added to it)
    modules = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "roboco_sql").rglob("*.py")
        if "sql" not in p.relative_to(ROOT / "roboco_sql").parts[:1]
    }
    assert modules <= names, sorted(modules - names)


def test_import_loads_the_public_names_on_first_use() -> None:
    """`import roboco_sql` costs the orchestrator nothing but the error classes; each public
    name still resolves (and `dir` lists it) when first used."""
    probe = (
        "import sys, roboco_sql\n"
        "heavy = ('psycopg', 'pydantic', 'roboco_sql.')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(heavy))\n"
        "print(','.join(loaded))\n"
        "missing = [n for n in roboco_sql.__all__ if n not in dir(roboco_sql)]\n"
        "print(','.join(missing))\n"
        "print(all(getattr(roboco_sql, n) is not None for n in roboco_sql.__all__))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert out == ["roboco_sql.errors", "", "True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    import roboco_sql

    with pytest.raises(AttributeError, match="no_such_name"):
        roboco_sql.no_such_name  # noqa: B018


def test_migrate_loads_only_what_it_runs(empty_url: str) -> None:
    """A whole `migrate` (a fresh build, pgvector and the additions included) never imports
    the models, pydantic, numpy, pgvector-python, cryptography, the linter or the planner, nor
    platformdirs when it is given a URL."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['roboco_sql', 'migrate', '--database-url', sys.argv[1]]\n"
        "try:\n"
        "    runpy.run_module('roboco_sql', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "unused = ('pydantic', 'numpy', 'pgvector', 'cryptography', 'platformdirs',\n"
        "          'roboco_sql.models', 'roboco_sql.migrate.lint', 'roboco_sql.migrate.plan')\n"
        "print(sorted(m for m in sys.modules if m.startswith(unused)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, empty_url], check=True, capture_output=True, text=True
    )
    assert run.stdout.splitlines()[-1] == "[]"


def test_the_command_line_freezes_what_it_loaded_before_it_exits() -> None:
    """`python -m roboco_sql` ends through console(), which freezes the heap so the teardown
    does not walk it again; main() alone does not (tests and embedders go on after it)."""
    probe = (
        "import gc, sys\n"
        "from roboco_sql.cli.run import console, main\n"
        "assert main(['check']) == 0 and gc.get_freeze_count() == 0\n"
        "sys.argv = ['roboco_sql', 'check']\n"
        "try:\n"
        "    console()\n"
        "except SystemExit as exit:\n"
        "    print(exit.code, gc.get_freeze_count() > 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert run.stdout.splitlines()[-1] == "0 True"
