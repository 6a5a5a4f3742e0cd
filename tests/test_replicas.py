"""Read replicas against a real hot standby of the test server.

The module's standby is a ``pg_basebackup -R`` of the test server, made with the server's own
binaries in a temporary folder and started with pg_ctl on its own port and socket; it streams
from the primary like any production standby, so every database a test creates there shows up
on it once replayed.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from roboco_sql import cli, embedded, replicas
from roboco_sql.config import Settings, split_urls
from roboco_sql.db import connection
from roboco_sql.errors import ConfigError, DatabaseUnavailable, StandbyRefused, ValidationError
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.replicas import Cluster, Lsn, open_cluster, read_connection

STANDBY_PORT = 5433


@dataclass
class Standby:
    """A hot standby of the test server, run by pg_ctl as the data directory's owner."""

    base: Path
    data: Path
    owner: str | None  # the system user to run as (we are root), else None

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(embedded.bin_dir() / program), *args]
        if self.owner is not None:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> None:
        self.run(
            "pg_ctl",
            *("-D", str(self.data), "-w", "-l", str(self.base / "standby.log")),
            *("-o", f"-k {self.base} -c listen_addresses='' -p {STANDBY_PORT}", "start"),
        )

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, primary_url: str) -> str:
        """The same database and user as primary_url, on the standby."""
        return make_conninfo(primary_url, host=str(self.base), port=STANDBY_PORT)

    def caught_up(self, primary_url: str, timeout: float = 30) -> Lsn:
        """Wait until the standby has replayed everything the primary has written so far."""
        with psycopg.connect(primary_url, autocommit=True) as p:
            row = p.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
        assert row is not None
        target = Lsn.parse(row[0])
        url = make_conninfo(self.url(primary_url), dbname="postgres")
        deadline = time.monotonic() + timeout
        with psycopg.connect(url, autocommit=True) as s:
            while True:
                got = s.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
                assert got is not None
                if Lsn.parse(got[0]) >= target:
                    return target
                assert time.monotonic() < deadline, f"standby stuck at {got[0]} < {target}"
                time.sleep(0.01)


@pytest.fixture(scope="module")
def standby(admin_url: str) -> Iterator[Standby]:
    """A hot standby of the test server for this module, stopped when it ends (so the rest of
    the suite does not pay for its replay)."""
    with psycopg.connect(admin_url, autocommit=True) as c:
        row = c.execute("SHOW data_directory").fetchone()
    assert row is not None
    primary_data = Path(row[0])
    if not primary_data.is_dir():
        pytest.skip("the test server's data directory is not on this machine")
    owner_uid = primary_data.stat().st_uid
    owner = pwd.getpwuid(owner_uid).pw_name if os.geteuid() == 0 and owner_uid != 0 else None
    base = Path(tempfile.mkdtemp(prefix="roboco-sql-standby-"))
    os.chmod(base, 0o755)
    if owner is not None:
        shutil.chown(base, owner, owner)
    node = Standby(base, base / "data", owner)
    params = conninfo_to_dict(admin_url)
    node.run(
        "pg_basebackup",
        *("-D", str(node.data), "-R", "-X", "stream", "-c", "fast"),
        *("-h", str(params["host"]), "-p", str(params.get("port") or 5432)),
        *("-U", str(params.get("user") or "postgres")),
    )
    node.start()
    try:
        yield node
    finally:
        node.run("pg_ctl", "-D", str(node.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pair(db_url: str, standby: Standby) -> tuple[str, str]:
    """A fresh database at head on the primary, and the same database on the standby."""
    standby.caught_up(db_url)
    return db_url, standby.url(db_url)


def _settings(**env: str) -> Settings:
    return Settings.from_env({f"ROBOCO_DATABASE_{k.upper()}": v for k, v in env.items()})


def _cluster(
    primary: str,
    *replicas: str,
    settings: Settings | None = None,
    min_size: int = 1,
    max_size: int = 2,
    **timing: float,
) -> Coroutine[Any, Any, Cluster]:
    """open_cluster on primary with these replicas (none: the settings' list, empty), small
    pools, the default settings unless given; timing: check, retry and checkout seconds."""
    return open_cluster(
        primary,
        settings or _settings(),
        replica_urls=list(replicas) or None,
        min_size=min_size,
        max_size=max_size,
        **timing,
    )


async def _on_standby(conn: psycopg.AsyncConnection[Any]) -> bool:
    cur = await conn.execute("SELECT pg_is_in_recovery()")
    row = await cur.fetchone()
    assert row is not None
    return bool(row[0])


def _psql(url: str, query: str) -> Any:
    with psycopg.connect(url, autocommit=True) as c:
        cur = c.execute(query)
        row = cur.fetchone() if cur.description else None
    return None if row is None else row[0]


# -- configuration -----------------------------------------------------------------------------


def test_replica_settings_are_read_and_checked() -> None:
    s = Settings.from_env({})
    assert (s.replica_urls, s.replica_max_lag, s.replica_wait) == ((), 5.0, 0.5)
    s = _settings(
        replica_urls="postgresql+asyncpg://u:pw@a,b/db, host=/tmp port=5433,",
        replica_max_lag="2.5",
        replica_wait="0",
    )
    assert s.replica_urls == ("postgresql+asyncpg://u:pw@a,b/db", "host=/tmp port=5433")
    assert (s.replica_max_lag, s.replica_wait) == (2.5, 0.0)
    assert split_urls("host=a, host=b") == ("host=a", "host=b")
    for name, value, says in [
        ("replica_max_lag", "nan", "finite"),
        ("replica_max_lag", "inf", "finite"),
        ("replica_max_lag", "0", "positive"),
        ("replica_wait", "-1", "0 or more"),
        ("replica_wait", "soon", "a number of seconds"),
        ("replica_urls", "postgresql://u:s3cret@h/d b, host=a", "not a valid PostgreSQL URL"),
    ]:
        with pytest.raises(ConfigError) as err:
            _settings(**{name: value})
        text = str(err.value)
        assert f"ROBOCO_DATABASE_{name.upper()}" in text and says in text
        assert "\n" not in text and "s3cret" not in text


def test_lsn_reads_and_writes_postgres_notation() -> None:
    lsn = Lsn.parse("16/B374D848")
    assert int(lsn) == (0x16 << 32) | 0xB374D848 and str(lsn) == "16/B374D848"
    assert Lsn.parse("0/10") < Lsn.parse("1/0")
    with pytest.raises(ValidationError, match="after: not a WAL position"):
        Lsn.parse("12345")


# -- routing -----------------------------------------------------------------------------------


async def test_without_replicas_reads_are_the_primarys_pool(db_url: str) -> None:
    async with await _cluster(db_url) as cluster:
        async with read_connection(cluster) as conn:
            assert not await _on_standby(conn)
        assert await cluster.read(_on_standby) is False
        assert cluster.replicas == []
    with pytest.raises(ValidationError, match="cluster: expected a Cluster"):
        read_connection(object())  # type: ignore[arg-type]


async def test_reads_go_to_the_replica_and_writes_to_the_primary(
    pair: tuple[str, str],
) -> None:
    primary, replica = pair
    async with await _cluster(primary, replica, max_size=4) as cluster:
        for _ in range(5):
            async with read_connection(cluster) as conn:
                assert await _on_standby(conn)
        async with connection(cluster.primary) as conn:
            assert not await _on_standby(conn)
        [status] = cluster.replicas
        assert (status.health, status.reads, cluster.primary_reads) == ("up", 5, 0)
        assert status.lag is not None and status.lag < 5
        # a write through a read connection is refused by the standby itself
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            async with read_connection(cluster) as conn:
                await conn.execute("CREATE TABLE nope (id int)")


async def test_read_your_writes_waits_for_replay_then_falls_back(
    pair: tuple[str, str], standby: Standby
) -> None:
    primary, replica = pair
    admin = make_conninfo(replica, dbname="postgres")
    settings = _settings(replica_wait="0.3")
    async with await _cluster(primary, replica, settings=settings, max_size=4) as cluster:

        async def seen(conn: psycopg.AsyncConnection[Any]) -> tuple[bool, int]:
            cur = await conn.execute("SELECT count(*) FROM rw_probe")
            row = await cur.fetchone()
            assert row is not None
            return await _on_standby(conn), int(row[0])

        _psql(primary, "CREATE TABLE rw_probe (x int)")
        await asyncio.to_thread(standby.caught_up, primary)
        _psql(admin, "SELECT pg_wal_replay_pause()")
        try:
            async with connection(cluster.primary) as conn:
                await conn.execute("INSERT INTO rw_probe VALUES (1)")
            lsn = await cluster.write_lsn()
            # not replayed: after the bounded wait the primary answers, and sees the row
            started = time.monotonic()
            assert await cluster.read(seen, after=lsn) == (False, 1)
            waited = time.monotonic() - started
            assert 0.3 <= waited < 2.0
            # without after=, the (not yet lagging) replica answers: it has not seen it
            assert await cluster.read(seen) == (True, 0)
        finally:
            _psql(admin, "SELECT pg_wal_replay_resume()")
        # replayed within the wait: the replica answers, and sees the row
        assert await cluster.read(seen, after=str(lsn), wait=5) == (True, 1)
        assert cluster.replicas[0].replayed is not None and cluster.replicas[0].replayed >= lsn
        with pytest.raises(ValidationError, match="wait: must be a finite"):
            await cluster.read(seen, after=lsn, wait=float("nan"))


async def test_a_lagging_replica_is_skipped_until_it_catches_up(
    pair: tuple[str, str],
) -> None:
    primary, replica = pair
    admin = make_conninfo(replica, dbname="postgres")
    async with await _cluster(
        primary,
        replica,
        settings=_settings(replica_max_lag="0.2"),
        check_interval=0.05,
        retry_interval=0.1,
    ) as cluster:
        assert await cluster.read(_on_standby) is True
        _psql(admin, "SELECT pg_wal_replay_pause()")
        try:
            _psql(primary, "CREATE TABLE lag_probe AS SELECT 1 AS x")  # received, not replayed
            await asyncio.sleep(0.4)
            assert await cluster.read(_on_standby) is False
            [status] = cluster.replicas
            assert status.health == "lagging" and status.reason is not None
            assert "over the 0.2s bound" in status.reason
        finally:
            _psql(admin, "SELECT pg_wal_replay_resume()")
        deadline = time.monotonic() + 5
        while cluster.replicas[0].health != "up":
            assert time.monotonic() < deadline, cluster.replicas
            await asyncio.sleep(0.05)
        assert await cluster.read(_on_standby) is True


async def test_a_replica_down_from_the_start_costs_one_short_wait(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    gone = tempfile.mkdtemp(prefix="roboco-sql-nowhere-")
    dead = f"postgresql://postgres:s3cret@/postgres?host={gone}&port=5999"
    try:
        async with await _cluster(db_url, dead, checkout_timeout=0.3) as cluster:
            started = time.monotonic()
            assert await cluster.read(_on_standby) is False
            assert time.monotonic() - started < 1.5
            started = time.monotonic()
            for _ in range(20):  # skipped at once from now on
                assert await cluster.read(_on_standby) is False
            assert time.monotonic() - started < 1.0
            [status] = cluster.replicas
            assert status.health == "down" and "5999" in status.server
            assert cluster.primary_reads == 21
    finally:
        shutil.rmtree(gone, ignore_errors=True)
    assert "replica socket" in caplog.text and "s3cret" not in caplog.text
    assert all("s3cret" not in str(s) for s in [status, status.reason])


async def test_the_replica_stopped_mid_load_moves_reads_to_the_primary(
    pair: tuple[str, str], standby: Standby
) -> None:
    primary, replica = pair
    async with await _cluster(
        primary, replica, min_size=2, max_size=6, retry_interval=0.2, checkout_timeout=0.5
    ) as cluster:
        served: list[bool] = []
        stop = asyncio.Event()

        async def slow_read(conn: psycopg.AsyncConnection[Any]) -> bool:
            await conn.execute("SELECT pg_sleep(0.02)")
            return await _on_standby(conn)

        async def reader() -> None:
            while not stop.is_set():
                served.append(await cluster.read(slow_read))

        lost: list[DatabaseUnavailable] = []
        go_on = asyncio.Event()

        async def holder() -> None:  # read_connection itself: the loss is named, one line
            try:
                async with read_connection(cluster) as conn:
                    assert await _on_standby(conn)
                    await go_on.wait()
                    await conn.execute("SELECT 1")
            except DatabaseUnavailable as exc:
                lost.append(exc)

        workers = [asyncio.create_task(reader()) for _ in range(5)]
        held = asyncio.create_task(holder())
        await asyncio.sleep(0.3)
        before = len(served)
        await asyncio.to_thread(standby.stop, "fast")
        try:
            go_on.set()
            await held
            [error] = lost
            assert str(error).startswith(f"replica socket {standby.base} port {STANDBY_PORT}")
            assert "failed mid-call" in str(error) and "\n" not in str(error)
            await asyncio.sleep(0.8)
            stop.set()
            await asyncio.gather(*workers)  # no reader saw an error
            after = served[before:]
            assert any(served[:before]) and before > 0
            assert after and not any(after[-10:])  # the last reads all came from the primary
            assert cluster.replicas[0].health == "down"
        finally:
            await asyncio.to_thread(standby.start)
        standby.caught_up(primary)
        # the probe brings it back; the pool's reconnect backs off while the standby is down,
        # longer on a loaded machine (a CI run once needed more than 10 s)
        deadline = time.monotonic() + 30
        while cluster.replicas[0].health != "up":  # type: ignore[comparison-overlap]
            assert time.monotonic() < deadline, cluster.replicas
            await asyncio.sleep(0.05)
        assert await cluster.read(_on_standby) is True


# -- the runner, the CLI and replication of a migration ----------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_runner_and_every_writing_command_refuse_the_standby(
    pair: tuple[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, replica = pair
    with pytest.raises(StandbyRefused, match="hot standby"):
        migrate(replica, load_chain())
    from roboco_sql.crypto import generate_key

    monkeypatch.setenv("ROBOCO_ENCRYPTION_KEY", generate_key())
    for argv in (
        ["migrate"],
        ["stamp", "001_initial_schema"],
        ["db-init"],
        ["keys", "rotate"],
        ["demo"],
        ["restore", "/nonexistent.dump"],
    ):
        code, out, err = _cli(capsys, *argv, "--database-url", replica)
        lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
        assert code != 0 and len(lines) == 1, (argv, err)
        assert "hot standby (read-only)" in lines[0], (argv, err)
    # reading commands still work there
    code, out, _ = _cli(capsys, "keys", "check", "--database-url", replica)
    assert code == 0 and "none unreadable" in out


def test_a_database_without_bookkeeping_on_the_standby_is_refused_at_once(
    new_database: Any, standby: Standby
) -> None:
    """A database the runner has never touched is read by the partial state query; its
    standby flag alone refuses the run, before the lock and the bookkeeping's CREATE SCHEMA."""
    primary = new_database("bare_on_standby")
    standby.caught_up(primary)
    with pytest.raises(StandbyRefused, match="hot standby"):
        migrate(standby.url(primary), load_chain())


async def test_a_migration_on_the_primary_reaches_the_replica_and_status_reports_lag(
    new_database: Any, standby: Standby, capsys: pytest.CaptureFixture[str]
) -> None:
    primary = new_database("replicated")
    chain = load_chain()
    before = chain.migrations[-2].revision
    await asyncio.to_thread(migrate, primary, chain, before, pgvector=True)
    await asyncio.to_thread(standby.caught_up, primary)
    replica = standby.url(primary)
    code, out, _ = _cli(capsys, "status", "--json", "--database-url", replica)
    data = json.loads(out)
    assert code == 1 and data["current"] == before and data["pending"] == [chain.head]
    assert data["standby"]["streaming"] is True and data["standby"]["lag_seconds"] is not None

    await asyncio.to_thread(migrate, primary, chain, pgvector=True)
    await asyncio.to_thread(standby.caught_up, primary)
    code, out, _ = _cli(capsys, "status", "--database-url", replica)
    assert code == 0 and f"at head ({chain.head})" in out
    assert "a hot standby (streaming): replayed" in out and "lag" in out
    code, out, _ = _cli(capsys, "verify", "--database-url", replica)
    assert code == 0 and "a hot standby" in out
    assert replicas.standby_state(primary) is None


def test_cluster_checks_its_arguments(pair: tuple[str, str]) -> None:
    primary, _ = pair
    with pytest.raises(ValidationError, match="max_lag"):
        Cluster(None, max_lag=float("inf"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="replica_urls"):
        asyncio.run(open_cluster(primary, replica_urls="host=x"))


# -- the documented replica-safe functions -----------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "scale-out.md"
_WRITES = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|CREATE|ALTER|DROP|COPY|NOTIFY|nextval|setval"
    r"|pg_(try_)?advisory\w*)\b|\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE)\b",
    re.IGNORECASE,
)


def _documented() -> dict[str, list[str]]:
    """module -> functions, from the doc's list (a wrapped item continues indented)."""
    section = DOC.read_text(encoding="utf-8").split("### Replica-safe functions", 1)[1]
    items: list[str] = []
    for line in section.split("\n## ", 1)[0].splitlines():
        if line.startswith("- `"):
            items.append(line)
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
    found: dict[str, list[str]] = {}
    for item in items:
        head, _, rest = item.partition(": ")
        module = head.strip("- `").removeprefix("repos.")
        found[module] = re.findall(r"`(\w+)`", rest.split(" (", 1)[0])
    return found


def _queries_of(module: str) -> dict[str, set[str]]:
    """Each public async function of repos/<module>.py -> the named queries it (or a private
    helper it calls) runs; a query given by a computed name counts as '?'."""
    path = Path(__file__).resolve().parent.parent / "roboco_sql" / "repos" / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    consts: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript):
            key = node.value.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                consts.update({t.id: key.value for t in node.targets if isinstance(t, ast.Name)})
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}

    def used(fn: ast.AST, seen: set[str]) -> set[str]:
        names: set[str] = set()
        for n in ast.walk(fn):
            if isinstance(n, ast.Name) and n.id in consts:
                names.add(consts[n.id])
            elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name):
                if n.value.id == "_Q":
                    key = n.slice
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        names.add(key.value)
                    else:
                        names.add("?")
            elif isinstance(n, ast.Attribute) and n.attr in ("execute", "copy", "cursor"):
                names.add("?")  # SQL not from a named query: not provably read-only
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
                callee = n.func.id
                if callee in funcs and callee not in seen:
                    seen.add(callee)
                    names |= used(funcs[callee], seen)
        return names

    found = {
        name: used(fn, {name})
        for name, fn in funcs.items()
        if isinstance(fn, ast.AsyncFunctionDef) and not name.startswith("_")
    }
    for node in tree.body:  # a split module re-exports its parts' functions under its name
        if not isinstance(node, ast.ImportFrom):
            continue
        part = node.module
        if part and part.startswith("roboco_sql.repos."):
            theirs = _queries_of(part.rsplit(".", 1)[1])
            found.update(
                {a.asname or a.name: theirs[a.name] for a in node.names if a.name in theirs}
            )
    return found


def test_every_documented_replica_safe_function_only_reads() -> None:
    from roboco_sql import queries, rag

    documented = _documented()
    assert len(documented) > 30 and sum(map(len, documented.values())) > 150
    loaded = queries.load()
    problems = []
    for module, functions in documented.items():
        if module == "rag":
            problems += [f"rag.{f} does not exist" for f in functions if not hasattr(rag, f)]
            continue
        used = _queries_of(module)
        for function in functions:
            names = used.get(function)
            if not names:
                problems.append(f"repos.{module}.{function}: no such function or no query")
                continue
            for name in sorted(names):
                sql = "" if name == "?" else re.sub(r"--[^\n]*", "", loaded[name].sql)
                if name == "?" or _WRITES.search(sql):
                    problems.append(f"repos.{module}.{function}: {name} may write or lock")
    assert problems == []
    # the check itself notices a writer
    assert any(_WRITES.search(loaded[q].sql) for q in _queries_of("tasks")["update_task"])


async def test_rag_searches_run_on_the_replica(pair: tuple[str, str]) -> None:
    from roboco_sql import rag
    from roboco_sql.rag import ChunkIn, IndexType

    primary, replica = pair
    async with await psycopg.AsyncConnection.connect(primary, autocommit=True) as conn:
        await rag.ensure_indexes(conn, 3, [IndexType.DOCUMENTATION])
        pad = " about the release pipeline, padded past the knowledge base's minimum length" * 2
        chunks = [
            ChunkIn(content=f"{word} notes{pad}", embedding=vector)
            for word, vector in (
                ("alpha", [1.0, 0.0, 0.0]),
                ("beta", [0.0, 1.0, 0.0]),
                ("gamma", [0.0, 0.0, 1.0]),
            )
        ]
        await rag.replace_source(conn, IndexType.DOCUMENTATION, "doc://replicated", chunks)
    async with await _cluster(primary, replica) as cluster:
        lsn = await cluster.write_lsn()

        async def search(conn: psycopg.AsyncConnection[Any]) -> tuple[bool, list[str], int]:
            hits = await rag.search(conn, IndexType.DOCUMENTATION, [0.1, 1, 0], 2)
            words = await rag.keyword_search(conn, IndexType.DOCUMENTATION, "gamma", 5)
            return await _on_standby(conn), [h.content.split()[0] for h in hits], len(words)

        assert await cluster.read(search, after=lsn, wait=10) == (True, ["beta", "alpha"], 1)
