"""Reliability under load and faults, against real servers (issue 10).

Boot storms, SIGKILLed migrations, PgBouncer in transaction mode, a server restarted under
load, pool exhaustion and size limits. The long tests are marked ``slow``: ``make test`` runs
them with small counts, ``make stress`` (ROBOCO_STRESS=1) with the full ones.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import PoolTimeout

from roboco_sql import db, embedded
from roboco_sql.config import Settings
from roboco_sql.errors import DatabaseUnavailable, MigrationError, ValidationError
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.migrate.bookkeeping import LOCK_KEY
from roboco_sql.models.a2a import A2AConversationCreate, A2AMessageCreate
from roboco_sql.models.agent import AgentCreate, AgentUpdate
from roboco_sql.models.enums import (
    AgentRole,
    ChannelType,
    Complexity,
    MessageType,
    TaskNature,
    TaskType,
    Team,
)
from roboco_sql.models.messaging import (
    Channel,
    ChannelCreate,
    Group,
    GroupCreate,
    MessageCreate,
    Session,
    SessionCreate,
)
from roboco_sql.models.project import Project, ProjectCreate
from roboco_sql.models.task import TaskCreate, TaskUpdate
from roboco_sql.repos import a2a, agents, channels, messages, projects, sessions, tasks
from tests.conftest import MESSAGING_REVISION, ROOT, run_cli
from tests.fix_catalog import diff, dump

CHAIN = load_chain()
HEAD = CHAIN.head
REVISIONS = [m.revision for m in CHAIN]

STRESS = os.environ.get("ROBOCO_STRESS", "").strip().lower() in ("1", "true", "yes", "on")
"""make stress sets ROBOCO_STRESS=1: the slow tests then run their full counts."""


def knob(default: int, stress: int) -> int:
    return stress if STRESS else default


Conn = AsyncConnection[Any]


# -- shared fixtures and helpers ---------------------------------------------------------------


def say(line: str) -> None:
    """A figure for the report (shown with -s; -q keeps quiet)."""
    print(f"[reliability] {line}")


def one(url: str, query: str, *args: Any) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query, args).fetchone()
        return None if row is None else row[0]


def dbname(url: str) -> str:
    return str(conninfo_to_dict(url)["dbname"])


def advisory_locks(url: str) -> list[tuple[Any, ...]]:
    """Who holds roboco_sql's migration lock, server-wide."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT l.pid, a.application_name FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.classid = %s AND l.objid = %s",
            (LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF),
        ).fetchall()


@dataclass(frozen=True)
class World:
    """The rows other rows point at: an agent and a project (at head), or an agent and a
    channel with a group and session (below RoboCo's 060, where the messaging tables are)."""

    agent: uuid.UUID
    project: Project | None = None
    channel: Channel | None = None
    group: Group | None = None
    session: Session | None = None

    def message(self, content: str = "hello", **kw: Any) -> MessageCreate:
        assert self.channel and self.group and self.session, "a messaging world (below 060)"
        fields: dict[str, Any] = {
            "agent_id": self.agent,
            "channel_id": self.channel.id,
            "group_id": self.group.id,
            "session_id": self.session.id,
            "type": MessageType.DIALOGUE,
            "content": content,
        }
        fields.update(kw)
        return MessageCreate(**fields)

    def task(self, **kw: Any) -> TaskCreate:
        assert self.project is not None, "a world at head"
        fields: dict[str, Any] = {
            "title": "A task",
            "description": "A description of at least twenty characters",
            "acceptance_criteria": ["it works"],
            "task_type": TaskType.CODE,
            "nature": TaskNature.TECHNICAL,
            "estimated_complexity": Complexity.LOW,
            "team": Team.BACKEND,
            "project_id": self.project.id,
            "created_by": self.agent,
        }
        fields.update(kw)
        return TaskCreate(**fields)


async def make_agent(conn: Conn, slug: str, **kw: Any) -> uuid.UUID:
    agent = await agents.create_agent(
        conn,
        AgentCreate(name=slug, slug=slug, role=AgentRole.DEVELOPER, system_prompt="p", **kw),
    )
    return agent.id


async def make_world(conn: Conn, tag: str = "w", *, messaging: bool = False) -> World:
    """Created through the repositories; ``tag`` keeps slugs unique within one database.

    With messaging (on a database below 060): the channel, group and session instead of the
    project, whose repository follows head.
    """
    agent = await make_agent(conn, f"{tag}-dev")
    if messaging:
        channel = await channels.create_channel(
            conn, ChannelCreate(name=f"#{tag}-cell", slug=f"{tag}-cell", type=ChannelType.CELL)
        )
        group = await channels.create_group(conn, GroupCreate(name="devs", channel_id=channel.id))
        # no session limits: the load tests post far more than RoboCo's defaults
        session = await sessions.open_session(
            conn,
            SessionCreate(
                group_id=group.id,
                max_time_window=None,
                max_message_count=None,
                max_content_length=None,
            ),
        )
        return World(agent, channel=channel, group=group, session=session)
    project = await projects.create_project(
        conn,
        ProjectCreate(
            name=f"{tag} project",
            slug=f"{tag}-repo",
            git_url="https://example.com/r.git",
            assigned_cell=Team.BACKEND,
            created_by=agent,
        ),
    )
    return World(agent, project)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- 1. boot storms ----------------------------------------------------------------------------

_GO = """
import os, pathlib, runpy, sys, time
import roboco_sql.cli
go, ready = sys.argv.pop(1), sys.argv.pop(1)
pathlib.Path(ready).touch()
deadline = time.monotonic() + 120
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.002)
runpy.run_module("roboco_sql", run_name="__main__", alter_sys=True)
"""


def storm(url: str, processes: int, tmp: Path) -> list[subprocess.CompletedProcess[str]]:
    """Start `processes` x `migrate --json`, wait until every one has imported everything,
    then release them at once (a file appearing), so they reach the server together."""
    go = tmp / "go"
    ready = [tmp / f"ready-{n}" for n in range(processes)]
    env = {**os.environ, "ROBOCO_MIGRATION_DATABASE_URL": ""}
    args = ("migrate", "--json", "--database-url", url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _GO, str(go), str(flag), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for flag in ready
    ]
    deadline = time.monotonic() + 120
    while not all(f.exists() for f in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    done = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


def log_offset(log: Path | None) -> int:
    return log.stat().st_size if log is not None and log.exists() else 0


def log_errors(log: Path | None, start: int) -> list[str]:
    """Server log lines since start that a racing DDL would leave (duplicate objects/keys).

    On a server given by ROBOCO_TEST_DATABASE_URL there is no log to read: the test skips,
    saying so, rather than passing a check it never made."""
    if log is None:
        pytest.skip("no server log on a ROBOCO_TEST_DATABASE_URL server: log check not made")
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    bad = ("already exists", "duplicate key", "deadlock detected", "could not serialize")
    return [ln for ln in text.splitlines() if any(b in ln for b in bad)]


@pytest.mark.slow
@pytest.mark.parametrize("start_at", [None, REVISIONS[len(REVISIONS) // 2 - 1]])
def test_boot_storm_applies_each_revision_once(
    empty_url: str, server_log: Path | None, tmp_path: Path, start_at: str | None
) -> None:
    """N processes boot at once (16; 32 under stress) on an empty database, or one with half
    the chain pending: all exit 0, one applies everything, nobody trips over another's DDL."""
    processes = knob(16, 32)
    if start_at is not None:
        migrate(empty_url, CHAIN, start_at)
    pending = REVISIONS[REVISIONS.index(start_at) + 1 :] if start_at else REVISIONS
    offset = log_offset(server_log)
    started = time.monotonic()
    results = storm(empty_url, processes, tmp_path)
    took = time.monotonic() - started
    assert [r.returncode for r in results] == [0] * processes, [r.stderr for r in results]
    applied = [json.loads(r.stdout)["applied"] for r in results]
    counts = sorted(len(a) for a in applied)
    assert counts == [0] * (processes - 1) + [len(pending)]
    assert [a["revision"] for a in max(applied, key=len)] == pending
    assert all(json.loads(r.stdout)["to"] == HEAD for r in results)
    with psycopg.connect(empty_url) as conn:
        rows = conn.execute("SELECT revision, how FROM roboco_sql.history").fetchall()
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        vector = conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'vector'")
        assert vector.fetchone() == (1,)
    assert Counter(rev for rev, _ in rows) == Counter(REVISIONS)  # each revision once
    assert sorted(rev for rev, how in rows if how == "applied") == sorted(REVISIONS)
    assert log_errors(server_log, offset) == []
    assert advisory_locks(empty_url) == []
    say(
        f"boot storm: {processes} processes, {len(pending)} pending revisions, "
        f"all exit 0 in {took:.1f}s, {sum(counts)} applications"
    )


# -- 2. crashes --------------------------------------------------------------------------------


def _poll_version(conn: psycopg.Connection[Any]) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return None if row is None else str(row[0])


def kill_at(url: str, reach: int, extra: float, *, hold: bool = False) -> tuple[str | None, bool]:
    """Run `migrate`, SIGKILL it `extra` seconds after it records revision index `reach`
    (-1: once it has connected); what alembic_version said then and whether it was still
    running.

    hold: at that moment open a REPEATABLE READ transaction, which the next file's CREATE
    INDEX CONCURRENTLY must wait out, so the kill lands inside that non-transactional file
    (a build left INVALID, maybe some of its statements recorded as done).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "roboco_sql", "migrate", "--database-url", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, "ROBOCO_MIGRATION_DATABASE_URL": ""},
    )
    deadline = time.monotonic() + 60
    with (
        psycopg.connect(url, autocommit=True) as watch,
        psycopg.connect(url, autocommit=True) as holder,
    ):
        while proc.poll() is None and time.monotonic() < deadline:
            if reach < 0:
                busy = watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'roboco_sql migrate'"
                ).fetchone()
                if busy and busy[0]:
                    break
            else:
                version = _poll_version(watch)
                if version is not None and REVISIONS.index(version) >= reach:
                    break
            time.sleep(0.003)
        if hold:
            holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            holder.execute("SELECT 1")  # takes the snapshot the index builds wait for
        time.sleep(extra)
        running = proc.poll() is None
        if running:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        if hold:
            holder.execute("ROLLBACK")
        # the killed client's backend may still be finishing a COMMIT it had already sent;
        # read the state only once that backend is gone, so it cannot change under the reads
        gone_by = time.monotonic() + 30
        while time.monotonic() < gone_by:
            left = watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'roboco_sql migrate'"
            ).fetchone()
            if not (left and left[0]):
                break
            time.sleep(0.01)
        return _poll_version(watch), running


def empty_again(url: str) -> None:
    """Back to an empty database, as CREATE DATABASE makes one, without DROP DATABASE's
    checkpoint (seconds each on a busy server)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS roboco_sql CASCADE")
        conn.execute("DROP SCHEMA public CASCADE")  # the vector extension with it
        conn.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
        conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
        left = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace NOT IN "
            "('pg_catalog'::regnamespace, 'information_schema'::regnamespace, "
            "'pg_toast'::regnamespace)"
        ).fetchone()
        assert left == (0,)


@pytest.mark.slow
def test_sigkilled_migrations_resume_to_a_fresh_build(db_url: str, empty_url: str) -> None:
    """SIGKILL `migrate` at random points of a fresh build (8; 20 under stress), one of them
    inside each non-transactional file: each time the database is left at a recorded revision
    with at most the next file's finished statements recorded, and the next run reaches head
    with a catalog equal to a fresh build's and no INVALID index."""
    points = knob(8, 20)
    rng = random.Random(int(os.environ.get("ROBOCO_STRESS_SEED", "20261127")))
    fresh = dump(db_url)
    forced = [REVISIONS.index(m.revision) - 1 for m in CHAIN if not m.transactional]
    seen: list[tuple[int, float, str | None]] = []
    kills = inside = invalid = 0
    url = empty_url
    for n in range(points):
        if n:
            empty_again(url)
        hold = n < len(forced)
        reach = forced[n] if hold else rng.randrange(-1, len(REVISIONS) - 1)
        extra = rng.uniform(0.2, 0.3) if hold else rng.uniform(0.0, 0.03)
        version, killed = kill_at(url, reach, extra, hold=hold)
        kills += killed
        seen.append((reach, extra, version))
        done = REVISIONS.index(version) + 1 if version else 0
        if version is not None:
            with psycopg.connect(url) as conn:
                hist = conn.execute("SELECT count(*) FROM roboco_sql.history").fetchone()
                steps = conn.execute("SELECT DISTINCT revision FROM roboco_sql.progress").fetchall()
            assert hist == (done,), (n, version, hist)
            if steps:  # killed inside a non-transactional file, after some of its statements
                assert steps == [(REVISIONS[done],)] and not CHAIN[REVISIONS[done]].transactional
            if killed and version != HEAD and not CHAIN[REVISIONS[done]].transactional:
                inside += 1
            invalid += one(url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid")
        report = migrate(url, CHAIN, pgvector=True)
        assert report.to_revision == HEAD
        assert len(report.applied) == len(REVISIONS) - done
        assert diff(fresh, dump(url)) == [], f"kill point {n}: {seen[-1]}"
        assert one(url, "SELECT count(*) FROM pg_index WHERE NOT indisvalid") == 0
        assert one(url, "SELECT count(*) FROM roboco_sql.progress") == 0
        assert advisory_locks(url) == []
    states = sorted({v or "-" for _, _, v in seen})
    assert kills >= points // 2, seen  # most kills landed mid-build, not after it finished
    say(
        f"crashes: {points} kill points, {kills} SIGKILLs mid-build ({inside} inside a "
        f"non-transactional file, {invalid} INVALID index left to rebuild), left at "
        f"{len(states)} distinct revisions; every resume equal to a fresh build"
    )


# -- 3. PgBouncer ------------------------------------------------------------------------------


@dataclass
class Bouncer:
    port: int
    user: str
    log: Path

    def url(self, database: str) -> str:
        return make_conninfo(host="127.0.0.1", port=self.port, user=self.user, dbname=database)


def _runas(host: str) -> str | None:
    """PgBouncer refuses to run as root; run it as whoever can reach the server's socket."""
    if os.geteuid() != 0:
        return None
    if host.startswith("/"):
        owner = Path(host).owner()
        return owner if owner != "root" else "postgres"
    return "postgres"


@pytest.fixture(scope="module")
def bouncer(request: pytest.FixtureRequest) -> Iterator[Bouncer]:
    """Debian's PgBouncer in transaction mode on 127.0.0.1, two server connections per
    database, in front of the suite's server."""
    binary = Path("/usr/sbin/pgbouncer")
    if not binary.exists():
        pytest.fail("PgBouncer is not installed (make test installs Debian's pgbouncer)")
    opt = request.config.option
    host, port = str(opt.postgresql_host), int(opt.postgresql_port)
    user = str(opt.postgresql_user)
    base = Path(tempfile.mkdtemp(prefix="roboco-bouncer-"))
    runas = _runas(host)
    listen = free_port()
    server = f"host={host} port={port}"
    if opt.postgresql_password:
        server += f" password={opt.postgresql_password}"
    (base / "users.txt").write_text(f'"{user}" ""\n')
    (base / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = {server}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {listen}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {base}/users.txt\n"
        "pool_mode = transaction\n"
        "default_pool_size = 2\n"
        "max_client_conn = 200\n"
        "server_reset_query =\n"
        "ignore_startup_parameters = extra_float_digits\n"
        f"logfile = {base}/pgbouncer.log\n"
        f"pidfile = {base}/pgbouncer.pid\n"
    )
    if runas is not None:
        os.chmod(base, 0o755)
        for path in [base, *base.iterdir()]:
            shutil.chown(path, runas)
    proc = subprocess.Popen(
        [str(binary), str(base / "pgbouncer.ini")],
        user=runas,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = make_conninfo(host="127.0.0.1", port=listen, user=user, dbname="postgres")
        deadline = time.monotonic() + 15
        while True:
            try:
                with psycopg.connect(probe, autocommit=True, prepare_threshold=None) as c:
                    c.execute("SELECT 1")
                break
            except psycopg.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    logfile = base / "pgbouncer.log"
                    log = logfile.read_text() if logfile.exists() else ""
                    pytest.fail(f"PgBouncer did not come up (exit {proc.poll()}): {log}")
                time.sleep(0.05)
        yield Bouncer(listen, user, base / "pgbouncer.log")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
async def test_repositories_work_through_pgbouncer_without_prepared_statements(
    db_url: str, bouncer: Bouncer
) -> None:
    """Pool of 4 client connections over PgBouncer's 2 server connections, 8 workers, every
    query run far past psycopg's prepare threshold: no prepared-statement errors, every row
    written is there. The messages are A2A ones, RoboCo's only channel past 060."""
    url = bouncer.url(dbname(db_url))
    settings = Settings.from_env({"ROBOCO_DATABASE_PREPARED_STATEMENTS": "false"})
    workers, rounds = 8, knob(12, 60)
    pool = await db.open_pool(url, settings, min_size=4, max_size=4)
    try:
        async with db.connection(pool) as conn:
            world = await make_world(conn)
            await make_agent(conn, "w-peer")
            talk = await a2a.create_conversation(
                conn, A2AConversationCreate(agent_a="w-dev", agent_b="w-peer")
            )
        backends: set[int] = set()
        made: list[uuid.UUID] = []

        async def worker(w: int) -> None:
            for i in range(rounds):
                async with db.connection(pool) as conn:
                    assert conn.prepare_threshold is None
                    slug = f"bw{w}-{i}"
                    agent = await make_agent(conn, slug)
                    assert (await agents.get_agent_by_slug(conn, slug)) is not None
                    await agents.update_agent(conn, agent, AgentUpdate(description=f"round {i}"))
                    task = await tasks.create_task(conn, world.task(title=f"t {w} {i}"))
                    await tasks.update_task(conn, task.id, TaskUpdate(dev_notes="n"))
                    await a2a.add_message(
                        conn,
                        A2AMessageCreate(
                            conversation_id=talk.id, from_agent="w-dev", content=f"m {w} {i}"
                        ),
                    )
                    assert len(await agents.list_agents(conn, limit=5)) == 5 or i == 0
                    cur = await conn.execute("SELECT pg_backend_pid()")
                    row = await cur.fetchone()
                    assert row is not None
                    backends.add(int(row[0]))
                    made.append(agent)

        await asyncio.gather(*(worker(w) for w in range(workers)))
        async with db.connection(pool) as conn:
            cur = await conn.execute("SELECT count(*) FROM pg_prepared_statements")
            assert await cur.fetchone() == (0,)
    finally:
        await pool.close()
    calls = workers * rounds
    with psycopg.connect(db_url) as direct:
        assert direct.execute(
            "SELECT count(*) FROM agents WHERE id = ANY(%s)", (made,)
        ).fetchone() == (calls,)
        assert direct.execute("SELECT count(*) FROM tasks").fetchone() == (calls,)
        assert direct.execute("SELECT count(*) FROM a2a_messages").fetchone() == (calls,)
    assert len(backends) <= 2  # 4 client connections multiplexed onto PgBouncer's 2
    say(
        f"pgbouncer: {workers} workers x {rounds} rounds, {calls * 8} repo calls over "
        f"{len(backends)} server backends, no prepared statements"
    )


@pytest.mark.slow
def test_runner_refuses_pgbouncer_and_uses_the_direct_url(empty_url: str, bouncer: Bouncer) -> None:
    """Through a transaction pooler the runner refuses with a clear message before taking its
    lock (even while other clients keep the pooled backends busy, so none is left holding it);
    ROBOCO_MIGRATION_DATABASE_URL then gives it the direct session it needs."""
    via = bouncer.url(dbname(empty_url))
    refused = run_cli(
        "migrate", env={"ROBOCO_DATABASE_URL": via, "ROBOCO_MIGRATION_DATABASE_URL": ""}
    )
    assert refused.returncode == 1, refused.stderr
    last = refused.stderr.strip().splitlines()[-1]
    assert "goes through a pooler" in last and "ROBOCO_MIGRATION_DATABASE_URL" in last, last
    assert "Traceback" not in refused.stderr

    stop = False

    def busy() -> None:
        with psycopg.connect(via, autocommit=True, prepare_threshold=None) as c:
            while not stop:
                c.execute("SELECT 1")

    threads = [threading.Thread(target=busy) for _ in range(6)]
    for t in threads:
        t.start()
    tries = knob(10, 50)
    try:
        for _ in range(tries):
            with pytest.raises(MigrationError, match="goes through a pooler"):
                migrate(via, CHAIN, pgvector=True)
            assert advisory_locks(empty_url) == []
    finally:
        stop = True
        for t in threads:
            t.join()
    assert one(empty_url, "SELECT to_regnamespace('roboco_sql')") is None  # nothing written

    env = {"ROBOCO_DATABASE_URL": via, "ROBOCO_MIGRATION_DATABASE_URL": empty_url}
    done = run_cli("migrate", env=env)
    assert done.returncode == 0, done.stderr
    assert f"applied {len(REVISIONS)} revisions" in done.stdout
    assert one(empty_url, "SELECT version_num FROM alembic_version") == HEAD
    again = run_cli("status", env=env)
    assert again.returncode == 0, again.stderr
    say(f"pgbouncer: runner refused {tries + 1} times, no lock left; direct URL migrated")


# -- 4. server restart mid-load ----------------------------------------------------------------


@dataclass
class OwnServer:
    server: Any
    url: str

    def restart(self) -> None:
        embedded._pgserver().pgexec.pgexec(
            "pg_ctl",
            (
                "-w",
                "-D",
                str(self.server.pgdata),
                "-l",
                str(self.server.log),
                "-m",
                "fast",
                "restart",
            ),
            bin_path=self.server.bin_path,
            user=self.server.system_user,
            timeout=60,
        )


@pytest.fixture
def own_server() -> Iterator[OwnServer]:
    """A PostgreSQL 16 of this test's own, at 059_x_credentials (the load posts messages, whose
    tables 060 drops), so restarting it disturbs nobody else."""
    base = Path(tempfile.mkdtemp(prefix="roboco-restart-"))
    server = embedded._pgserver().get_server(
        base / "pg", cleanup_mode="delete", postgres_version=embedded.MAJOR
    )
    try:
        admin = server.get_uri()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE roboco")
        url = server.get_uri(database="roboco")
        migrate(url, CHAIN, MESSAGING_REVISION, pgvector=True)
        yield OwnServer(server, url)
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Ledger:
    """What the workers were told: committed ids, unknown outcomes, errors, last writes."""

    committed: set[uuid.UUID] = field(default_factory=set)
    batches: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    batch_ok: set[uuid.UUID] = field(default_factory=set)
    unknown: set[uuid.UUID] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    ok_after: Counter[int] = field(default_factory=Counter)
    last_ok: dict[int, int] = field(default_factory=dict)
    last_tried: dict[int, int] = field(default_factory=dict)
    calls: int = 0


@pytest.mark.slow
async def test_server_restart_mid_load_loses_nothing(own_server: OwnServer) -> None:
    """Workers post single messages, COPY batches of 5 and update their agent while the
    server is restarted (pg_ctl restart -m fast; 2 restarts, 5 under stress): in-flight calls
    fail as DatabaseUnavailable, every acknowledged write is there, no batch is half there,
    counters match rows, and every worker carries on after each restart."""
    restarts, n_workers, batch = knob(2, 5), 4, 5
    settings = Settings.from_env({"ROBOCO_DATABASE_POOL_TIMEOUT": "15"})
    pool = await db.open_pool(own_server.url, settings, min_size=n_workers, max_size=n_workers + 2)
    ledger = Ledger()
    restarted_at: list[float] = []
    stop = asyncio.Event()
    try:
        async with db.connection(pool) as conn:
            world = await make_world(conn, messaging=True)
            worker_agents = [await make_agent(conn, f"rw-{w}") for w in range(n_workers)]

        async def worker(w: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                ids = [uuid.uuid4() for _ in range(batch)]
                single = uuid.uuid4()
                step = i % 3
                ledger.calls += 1
                try:
                    async with db.connection(pool) as conn:
                        if step == 0:
                            ledger.batches[ids[0]] = ids
                            # an explicit outer transaction: post_messages' own block is then a
                            # savepoint, and a restart during the sleep must undo the batch
                            async with conn.transaction():
                                await messages.post_messages(
                                    conn,
                                    [
                                        world.message(f"w{w} b{i} m{j}", id=x)
                                        for j, x in enumerate(ids)
                                    ],
                                )
                                await conn.execute("SELECT pg_sleep(0.02)")
                        elif step == 1:
                            await messages.post_message(
                                conn, world.message(f"w{w} s{i}", id=single)
                            )
                        else:
                            ledger.last_tried[w] = i
                            await agents.update_agent(
                                conn, worker_agents[w], AgentUpdate(description=str(i))
                            )
                except DatabaseUnavailable as exc:
                    ledger.errors.append(str(exc))
                    ledger.unknown.update(ids if step == 0 else [single] if step == 1 else [])
                    await asyncio.sleep(0.05)
                    continue
                if step == 0:
                    ledger.committed.update(ids)
                    ledger.batch_ok.add(ids[0])
                elif step == 1:
                    ledger.committed.add(single)
                else:
                    ledger.last_ok[w] = i
                if restarted_at:
                    ledger.ok_after[len(restarted_at)] += 1
                await asyncio.sleep(0.005)

        async def sleeper() -> str:
            """A call guaranteed to be in flight when the server goes down."""
            try:
                async with db.connection(pool) as conn:
                    await conn.execute("SELECT pg_sleep(30)")
            except DatabaseUnavailable as exc:
                return str(exc)
            return "survived"

        running = [asyncio.create_task(worker(w)) for w in range(n_workers)]
        in_flight: list[str] = []
        for r in range(restarts):
            await asyncio.sleep(1.0)
            sleeping = asyncio.create_task(sleeper())
            await asyncio.sleep(0.3)
            await asyncio.to_thread(own_server.restart)
            restarted_at.append(time.monotonic())
            in_flight.append(await sleeping)
            deadline = time.monotonic() + 20
            while ledger.ok_after[r + 1] < 3 * n_workers and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert ledger.ok_after[r + 1] >= 3 * n_workers, (r, ledger.errors[-3:])
        stop.set()
        await asyncio.gather(*running)
    finally:
        stop.set()
        await pool.close()

    assert all(m.startswith("lost the connection to ") for m in in_flight), in_flight
    assert all("terminating connection" in m or "closed" in m for m in in_flight), in_flight
    assert all(e.splitlines() == [e] for e in ledger.errors)  # one line each
    with psycopg.connect(own_server.url) as direct:
        present = {
            r[0]
            for r in direct.execute(
                "SELECT id FROM messages WHERE id = ANY(%s)",
                (list(ledger.committed | ledger.unknown),),
            )
        }
        lost = ledger.committed - present
        assert not lost, f"{len(lost)} acknowledged messages missing"
        for first, ids in ledger.batches.items():
            there = len(present & set(ids))
            assert there in (0, batch), f"batch {first} half written: {there}/{batch}"
            if first in ledger.batch_ok:
                assert there == batch
        assert world.session and world.group and world.channel
        counters = direct.execute(
            "SELECT s.message_count, s.total_content_length, g.total_messages, c.message_count,"
            " (SELECT count(*) FROM messages), (SELECT sum(content_length) FROM messages) "
            "FROM sessions s, groups g, channels c WHERE s.id = %s AND g.id = %s AND c.id = %s",
            (world.session.id, world.group.id, world.channel.id),
        ).fetchone()
        assert counters is not None
        rows, chars = counters[4], counters[5]
        assert counters[:4] == (rows, chars, rows, rows), counters
        for w, agent_id in enumerate(worker_agents):
            stored = direct.execute("SELECT description FROM agents WHERE id = %s", (agent_id,))
            row = stored.fetchone()
            assert row is not None and row[0] is not None
            assert ledger.last_ok.get(w, 0) <= int(row[0]) <= ledger.last_tried.get(w, 0)
    say(
        f"restart: {restarts} restarts under {n_workers} workers, {ledger.calls} calls, "
        f"{len(ledger.errors)} failed as DatabaseUnavailable, {len(ledger.committed)} "
        f"acknowledged rows all present, {len(ledger.batches)} batches all-or-nothing, "
        f"{len(ledger.unknown & present)}/{len(ledger.unknown)} unknown-outcome rows landed"
    )


# -- 6. pool exhaustion ------------------------------------------------------------------------


async def test_pool_exhaustion_waits_then_fails_clearly_and_leaks_nothing(db_url: str) -> None:
    """2 connections, 8 callers holding theirs for 1.5 s: 2 run, 2 with a long enough timeout
    wait and then run, 4 give up after the pool timeout with one clear line; cancelled and
    failing callers give their connection back; afterwards nothing is checked out."""
    settings = Settings.from_env({"ROBOCO_DATABASE_POOL_TIMEOUT": "0.5"})
    pool = await db.open_pool(db_url, settings, min_size=2, max_size=2)
    hold = 1.5

    async def caller(timeout: float | None) -> tuple[str, float]:
        started = time.monotonic()
        try:
            async with db.connection(pool, timeout=timeout) as conn:
                await conn.execute("SELECT pg_sleep(%s)", (hold,))
        except DatabaseUnavailable as exc:
            return str(exc), time.monotonic() - started
        return "ok", time.monotonic() - started

    try:
        first = [asyncio.create_task(caller(None)) for _ in range(2)]
        await asyncio.sleep(0.1)  # the two holders have their connections
        rest = [asyncio.create_task(caller(None)) for _ in range(4)]
        patient = [asyncio.create_task(caller(5.0)) for _ in range(2)]
        results = await asyncio.gather(*first, *rest, *patient)
        assert [r for r, _ in results[:2]] == ["ok", "ok"]
        assert [r for r, _ in results[6:]] == ["ok", "ok"]
        assert all(hold <= t < 2 * hold + 1 for _, t in results[6:])  # waited, then ran
        for message, waited in results[2:6]:
            # the time is the one measured: the 0.5 s timeout plus scheduling, so 0.5-1.9 s
            assert re.search(
                r"pool exhausted: all 2 connections busy for (0\.[5-9]|1\.\d)s$", message
            ), message
            assert 0.5 <= waited < 2.0, waited

        async def raw() -> None:  # what a caller of the raw pool gets instead
            async with pool.connection(), pool.connection(), pool.connection():
                pass

        with pytest.raises(PoolTimeout):
            await raw()

        async def fails() -> None:
            async with db.connection(pool) as conn:
                await conn.execute("CREATE TEMP TABLE scratch (x int)")
                raise ValidationError("refused mid-transaction")

        with pytest.raises(ValidationError):
            await fails()

        async def slow_query() -> None:
            async with db.connection(pool) as conn:
                await conn.execute("SELECT pg_sleep(10)")

        with pytest.raises(TimeoutError):
            await asyncio.wait_for(slow_query(), 0.3)  # cancelled mid-query

        async with db.connection(pool) as conn:  # the pool serves again, state rolled back
            cur = await conn.execute("SELECT to_regclass('pg_temp.scratch') IS NULL")
            assert await cur.fetchone() == (True,)
        await asyncio.sleep(0.2)
        stats = pool.get_stats()
        assert stats["pool_size"] == 2 and stats["pool_available"] == 2, stats
        assert stats.get("requests_waiting", 0) == 0, stats
        assert stats.get("requests_errors", 0) >= 4, stats
    finally:
        await pool.close()
    with psycopg.connect(db_url, autocommit=True) as direct:
        left = direct.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'roboco_sql'"
        ).fetchone()
    assert left == (0,)
    say("pool: 8 callers on 2 connections: 4 waited and ran, 4 refused after 0.5s; no leak")


async def test_pool_with_the_server_gone_fails_clearly(db_url: str) -> None:
    """Checkout with no server behind the pool: one line naming the server, no psycopg_pool
    error."""
    url = make_conninfo(host="127.0.0.1", port=free_port(), user="nobody", dbname="nowhere")
    pool = db.make_pool(
        url, Settings.from_env({"ROBOCO_DATABASE_POOL_TIMEOUT": "0.5"}), min_size=0, max_size=1
    )
    await pool.open(wait=False)
    try:
        with pytest.raises(
            DatabaseUnavailable,
            match=r"127\.0\.0\.1:\d+, database nowhere: "
            r"no connection within 0\.\ds \(0 of 1 checked out; is the server running\?\)",
        ):
            async with db.connection(pool):
                pass
    finally:
        await pool.close()


# -- 7. limits ---------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.slow
async def test_large_messages_are_handled_within_bounded_memory(aconn059: Conn) -> None:
    """At 059: a 1 MB message (and a 2 MB-in-UTF-8 one, by INSERT and by COPY) and 10,000
    messages counted by id in one statement: stored exactly, in bounded memory."""
    aconn = aconn059
    world = await make_world(aconn, messaging=True)
    assert world.session is not None
    baseline = peak_rss_mb()
    megabyte = knob(1, 8) * 1_000_000

    ascii_text = "x" * megabyte
    wide = ("é😀" * (megabyte // 2))[:megabyte]
    m1 = await messages.post_message(aconn, world.message(ascii_text))
    m2 = await messages.post_message(aconn, world.message(wide))
    m3 = world.message(wide[::-1])
    assert await messages.post_messages(aconn, [m3]) == 1
    for sent, text in ((m1.id, ascii_text), (m2.id, wide), (m3.id, wide[::-1])):
        got = await messages.get_message(aconn, sent)
        assert got is not None and got.content == text and got.content_length == len(text)

    many = [world.message(f"bulk {i}") for i in range(knob(10_000, 50_000))]
    assert await messages.post_messages(aconn, many) == len(many)  # one COPY, one = ANY bump
    cur = await aconn.execute(
        "SELECT message_count FROM sessions WHERE id = %s", (world.session.id,)
    )
    assert await cur.fetchone() == (len(many) + 3,)

    growth = peak_rss_mb() - baseline
    assert growth < 400, f"peak RSS grew by {growth:.0f} MB"
    say(
        f"limits: {megabyte // 1_000_000} MB messages x3, {len(many)}-row COPY; "
        f"peak RSS growth {growth:.0f} MB"
    )


@pytest.mark.slow
async def test_large_inputs_are_handled_within_bounded_memory(aconn: Conn) -> None:
    """A task with 1,000 acceptance criteria, a task with 10,000 dependencies and 10,000 ids
    in one = ANY lookup: stored exactly, in bounded memory."""
    world = await make_world(aconn)
    baseline = peak_rss_mb()

    criteria = [f"criterion {i}: " + "c" * 100 for i in range(1000)]
    task = await tasks.create_task(aconn, world.task(acceptance_criteria=criteria))
    assert task.acceptance_criteria == criteria and len(task.acceptance_criteria_ids) == 1000
    updated = await tasks.update_task(
        aconn, task.id, TaskUpdate(acceptance_criteria=criteria[::-1])
    )
    assert updated.acceptance_criteria == criteria[::-1]

    deps = [uuid.uuid4() for _ in range(10_000)]
    heavy = await tasks.create_task(aconn, world.task(dependency_ids=deps))
    fetched = await tasks.get_task(aconn, heavy.id)
    assert fetched is not None and fetched.dependency_ids == deps

    known = [await make_agent(aconn, f"lim-{i}") for i in range(5)]
    ids = deps[:9_995] + known
    random.Random(7).shuffle(ids)
    found = await agents.list_agents_by_ids(aconn, ids)
    assert sorted(a.id for a in found) == sorted(known)

    growth = peak_rss_mb() - baseline
    assert growth < 400, f"peak RSS grew by {growth:.0f} MB"
    say(
        "limits: 1,000 criteria, 10,000 dependencies, 10,000-id = ANY; "
        f"peak RSS growth {growth:.0f} MB"
    )


async def test_oversized_values_are_refused_with_a_clear_error(aconn: Conn) -> None:
    """Past a column's limit: refused by the model (naming the field) or by the database as a
    one-line ValidationError naming the entity; nothing written."""
    world = await make_world(aconn)
    with pytest.raises(pydantic.ValidationError, match=r"title\n.*at most 200 characters"):
        world.task(title="t" * 201)
    cur = await aconn.execute("SELECT count(*) FROM tasks")
    assert await cur.fetchone() == (0,)


async def test_oversized_message_is_refused_with_a_clear_error(aconn059: Conn) -> None:
    """The same for a message, at 059 where the messages table is."""
    world = await make_world(aconn059, messaging=True)
    with pytest.raises(ValidationError, match=r"^message: integer out of range$"):
        await messages.post_message(aconn059, world.message("x", content_length=2**31))
    cur = await aconn059.execute("SELECT count(*) FROM messages")
    assert await cur.fetchone() == (0,)
