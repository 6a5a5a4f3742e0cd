"""The suite's servers and databases.

One throwaway PostgreSQL 16 (embedded, with pgvector) per session, or the server named by
ROBOCO_TEST_DATABASE_URL. pytest-postgresql's noproc factories prepare a migrated template
once and clone a fresh database from it for every test.
"""

from __future__ import annotations

import os

# every row a repository reads is validated by its model in the suite (see repos/_rows.py)
os.environ.setdefault("ROBOCO_SQL_VALIDATE_ROWS", "1")
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pytest_postgresql import factories

from roboco_sql.migrate import load_chain, migrate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG15_BIN = Path("/usr/lib/postgresql/15/bin")

_server: Any = None
_server_dir: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Point pytest-postgresql at our server before any fixture needs it."""
    global _server, _server_dir
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller runs no test: each worker starts its own server
    url = os.environ.get("ROBOCO_TEST_DATABASE_URL")
    if url:
        params = conninfo_to_dict(url)
    else:
        from roboco_sql import embedded

        _server_dir = tempfile.mkdtemp(prefix="roboco-sql-test-")
        pgserver = embedded._pgserver()
        _server = pgserver.get_server(
            Path(_server_dir) / "pg", cleanup_mode="delete", postgres_version=embedded.MAJOR
        )
        params = conninfo_to_dict(_server.get_uri())
    config.option.postgresql_host = params.get("host") or "localhost"
    config.option.postgresql_port = str(params.get("port") or 5432)
    config.option.postgresql_user = params.get("user") or "postgres"
    config.option.postgresql_password = params.get("password") or ""
    config.option.postgresql_maintenance_dbname = params.get("dbname") or "postgres"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _server is not None:
        _server.cleanup()
    if _server_dir:
        shutil.rmtree(_server_dir, ignore_errors=True)


def _url(host: str, port: Any, user: str, dbname: str, password: str | None) -> str:
    return make_conninfo(host=host, port=port, user=user, dbname=dbname, password=password or None)


def _migrated_template(
    host: str, port: Any, user: str, dbname: str, password: str | None = None, **_: Any
) -> None:
    url = _url(host, port, user, dbname, password)
    migrate(url, load_chain(), pgvector=True)


MESSAGING_REVISION = "059_x_credentials"
"""The last revision with RoboCo's messaging tables (060_drop_messaging drops them)."""


def _migrated_template_059(
    host: str, port: Any, user: str, dbname: str, password: str | None = None, **_: Any
) -> None:
    url = _url(host, port, user, dbname, password)
    migrate(url, load_chain(), MESSAGING_REVISION, pgvector=True)


# under pytest-xdist, workers sharing a ROBOCO_TEST_DATABASE_URL server keep their databases apart
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
postgresql_proc = factories.postgresql_noproc(
    dbname=f"roboco_test{_WORKER}", load=[_migrated_template]
)
postgresql = factories.postgresql("postgresql_proc")
postgresql059_proc = factories.postgresql_noproc(
    dbname=f"roboco_test059{_WORKER}", load=[_migrated_template_059]
)
postgresql059 = factories.postgresql("postgresql059_proc")
postgresql_empty_proc = factories.postgresql_noproc(dbname=f"roboco_empty{_WORKER}")
postgresql_empty = factories.postgresql("postgresql_empty_proc")


def _conn_url(conn: psycopg.Connection[Any]) -> str:
    """The URL of the fixture's database; its own connection is closed so it can be cloned."""
    info = conn.info
    url = _url(info.host, info.port, info.user, info.dbname, info.password)
    conn.close()
    return url


Conn = psycopg.AsyncConnection[Any]


def _url_fixture(database: str, holds: str) -> Any:
    """A fixture giving the URL of a fresh database made by the pytest-postgresql fixture
    ``database`` (each kind of database is then one line below)."""

    def url(request: pytest.FixtureRequest) -> str:
        return _conn_url(request.getfixturevalue(database))

    url.__doc__ = f"A fresh database {holds}."
    return pytest.fixture(url)


def _conn_fixture(url_fixture: str, *, autocommit: bool = False) -> Any:
    """A fixture giving an async connection to the database of the URL fixture ``url_fixture``;
    in autocommit each statement stands alone, so what a refused call left is there to count."""

    async def conn(request: pytest.FixtureRequest) -> AsyncIterator[Conn]:
        url = request.getfixturevalue(url_fixture)
        async with await psycopg.AsyncConnection.connect(url, autocommit=autocommit) as c:
            yield c

    mode = ", in autocommit" if autocommit else ""
    conn.__doc__ = f"An async connection to the database of {url_fixture}{mode}."
    return pytest.fixture(conn)


db_url = _url_fixture("postgresql", "at head, cloned from the migrated template")
db059_url = _url_fixture(
    "postgresql059", "at 059_x_credentials (messaging tables still there), from its template"
)
empty_url = _url_fixture("postgresql_empty", "with nothing in it")
conn = _conn_fixture("db_url")
conn059 = _conn_fixture("db059_url")
aconn = _conn_fixture("db_url", autocommit=True)
aconn059 = _conn_fixture("db059_url", autocommit=True)


@pytest.fixture(scope="session")
def admin_url(postgresql_empty_proc: Any) -> str:
    """The maintenance database, for tests that create databases of their own."""
    p = postgresql_empty_proc
    return _url(p.host, p.port, p.user, p.maintenance_dbname, p.password)


@pytest.fixture
def new_database(admin_url: str) -> Iterator[Any]:
    """A factory of extra empty databases, dropped after the test."""
    made: list[str] = []

    def make(name: str, template: str | None = None) -> str:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            c.execute(query)
        made.append(name)
        return make_conninfo(admin_url, dbname=name)

    yield make
    with psycopg.connect(admin_url, autocommit=True) as c:
        for name in made:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def server_log() -> Path | None:
    """The embedded server's log file (None on a server given by URL)."""
    return None if _server is None else Path(_server.pgdata) / "log"


def run_python(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """This interpreter in a child process at the repository root, its output kept as text;
    env is the child's whole environment (None: ours)."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """python -m roboco_sql in a child process, as an operator runs it (env is added to ours)."""
    return run_python("-m", "roboco_sql", *args, env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.fixture(scope="session")
def pg15_url() -> Iterator[str]:
    """Debian's PostgreSQL 15, which has no pgvector, run as the postgres system user."""
    if not (PG15_BIN / "postgres").exists():
        pytest.fail("Debian's postgresql-15 is not installed (make test installs it)")
    base = tempfile.mkdtemp(prefix="roboco-sql-pg15-")
    data = Path(base) / "data"
    os.chmod(base, 0o755)
    shutil.chown(base, "postgres", "postgres")

    def as_postgres(*cmd: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, text=True
        )

    as_postgres(
        str(PG15_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
    )
    as_postgres(
        str(PG15_BIN / "pg_ctl"),
        "-D",
        str(data),
        "-w",
        "-l",
        f"{base}/log",
        "-o",
        f"-k {base} -c listen_addresses='' -p 5415",
        "start",
    )
    try:
        yield make_conninfo(host=base, port=5415, user="postgres", dbname="postgres")
    finally:
        as_postgres(str(PG15_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)
