"""Hand-back both ways, at every revision, with RoboCo's own Alembic chain.

RoboCo's revision files (release v0.29.0) are read from a git clone of rennf93/roboco at test
time, never copied into this repository: ROBOCO_UPSTREAM_GIT names its git directory (the
default is where this workplace's fetch puts it). Without it these tests skip, saying so.
They run RoboCo's files under tests/alembic_env (a bare env.py with RoboCo's naming
convention), as RoboCo's boot runs them: the whole upgrade in one transaction.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from io import BytesIO
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from roboco_sql.migrate import load_chain, migrate
from tests.fix_catalog import diff, dump, reference

alembic_config = pytest.importorskip("alembic.config")
alembic_command = pytest.importorskip("alembic.command")

CHAIN = load_chain()
RELEASE = "3e007603"  # RoboCo v0.29.0, whose 94 revisions our chain ports
UPSTREAM = Path(os.environ.get("ROBOCO_UPSTREAM_GIT", "/work/.mirror/rennf93+roboco/repo"))
ENV = Path(__file__).resolve().parent / "alembic_env"


@pytest.fixture(scope="module")
def roboco_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RoboCo's alembic/versions at the release, extracted from the git clone."""
    if not (UPSTREAM / "objects").is_dir():
        pytest.skip(f"no git clone of rennf93/roboco at {UPSTREAM} (set ROBOCO_UPSTREAM_GIT)")
    archive = subprocess.run(
        ["git", f"--git-dir={UPSTREAM}", "archive", RELEASE, "alembic/versions"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    out = tmp_path_factory.mktemp("roboco")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(out, filter="data")
    versions = out / "alembic" / "versions"
    assert len(list(versions.glob("*.py"))) == len(CHAIN)
    return versions


def alembic_upgrade(url: str, versions: Path, revision: str) -> None:
    """RoboCo's `alembic upgrade REV` on the database at url."""
    params = conninfo_to_dict(url)
    cfg = alembic_config.Config()
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("script_location", str(ENV))
    cfg.set_main_option("version_locations", str(versions))
    host, port = params.get("host", "localhost"), params.get("port", 5432)
    cfg.set_main_option(
        "sqlalchemy.url",
        f"postgresql+psycopg://{params.get('user', 'postgres')}@/{params['dbname']}"
        f"?host={host}&port={port}",
    )
    alembic_command.upgrade(cfg, revision)


def _version(url: str) -> Any:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchall()


def test_roboco_continues_what_we_built_at_every_revision(
    empty_url: str, new_database: Any, roboco_versions: Path
) -> None:
    """Ours to R (a real install: with our default additions), then RoboCo's Alembic to its
    head: RoboCo's head catalog, whatever R."""
    head = reference()["catalogs"][CHAIN.head]
    template = conninfo_to_dict(empty_url)["dbname"]
    for i, m in enumerate(CHAIN):
        migrate(empty_url, CHAIN, m.revision)
        assert _version(empty_url) == [(m.revision,)]
        clone = new_database(f"roboco_takes_{i}", template=template)
        alembic_upgrade(clone, roboco_versions, "head")
        assert _version(clone) == [(CHAIN.head,)]
        assert diff(head, dump(clone)) == [], m.revision


def test_we_continue_what_roboco_built_at_every_revision(
    empty_url: str, new_database: Any, roboco_versions: Path
) -> None:
    """RoboCo's Alembic to R, then our migrate: adopted at R, RoboCo's head catalog."""
    head = reference()["catalogs"][CHAIN.head]
    template = conninfo_to_dict(empty_url)["dbname"]
    for i, m in enumerate(CHAIN):
        alembic_upgrade(empty_url, roboco_versions, m.revision)
        assert diff(reference()["catalogs"][m.revision], dump(empty_url)) == [], m.revision
        clone = new_database(f"we_take_{i}", template=template)
        report = migrate(clone, CHAIN)
        assert report.adopted == m.revision
        assert [a.revision for a in report.applied] == [
            n.revision for n in CHAIN.between(m.revision, None)
        ]
        assert diff(head, dump(clone)) == [], m.revision
