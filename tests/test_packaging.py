"""The wheel carries the SQL, and an installed copy finds it without the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_ships_the_chain_queries_and_fingerprints(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
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
