"""Replicas: RAG search throughput, primary alone vs primary + one hot standby; lag under the demo.

The standby is a ``pg_basebackup -R`` of the bench server, with the same binaries, started on its
own socket and port and streaming from the primary: the machine's cores are shared by both
servers and the client, so this shows what routing costs and what a second server can add when
it has no cores of its own (little, on 2 cores). On separate machines the replica's share of
the reads is CPU the primary no longer spends.

Throughput: 20,000 chunks x 384 dimensions (``bench.corpus.clustered``) in
``chunks_documentation`` with its HNSW index, searched by ``rag.search`` (k = 10) from 8
concurrent asyncio clients in this process for a fixed time, three ways, interleaved round by
round: through a Cluster without replicas (the primary alone), through a Cluster with the
replica (every read routed to it), and with the clients split between the two servers.
Routing cost: ``read_connection`` with no replica configured against ``connection(pool)``.

Lag: while ``demo.run_day`` writes a day at RoboCo to its own database on the primary, every
20 ms the primary's ``pg_stat_replication`` gives the standby's replay position (bytes behind)
and PostgreSQL's own ``replay_lag``; every 50 ms a committed insert is timed until the
standby has replayed it (what a read-your-writes read waits).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from bench import corpus
from bench.harness import BenchError, Context, Figure, Target
from roboco_sql import embedded, rag
from roboco_sql.config import Settings
from roboco_sql.db import connection
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.rag import ChunkIn, IndexType
from roboco_sql.replicas import Cluster, Lsn, open_cluster, read_connection

N = 20_000
DIMS = corpus.DIMENSIONS
TABLE = IndexType.DOCUMENTATION
BATCH = 5_000
CLIENTS = 8
SECONDS = 3.0  # per configuration per round
ROUNDS = 3
QUERIES = 500
ROUTING_CALLS = 2_000
STANDBY_PORT = 5433
SAMPLE_EVERY = 0.02
PROBE_EVERY = 0.05

F32 = npt.NDArray[np.float32]


# -- the standby ---------------------------------------------------------------------------------


@dataclass
class Standby:
    """A streaming hot standby of the bench server, in a folder of its own."""

    base: Path
    owner: str | None

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _run(self, program: str, *args: str) -> None:
        cmd = [str(embedded.bin_dir() / program), *args]
        if self.owner is not None:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
        if proc.returncode != 0:
            raise BenchError(f"{program} failed ({proc.returncode}): {proc.stderr.strip()}")

    @classmethod
    def make(cls, admin_url: str) -> Standby:
        with psycopg.connect(admin_url, autocommit=True) as c:
            row = c.execute("SHOW data_directory").fetchone()
        assert row is not None
        uid = Path(row[0]).stat().st_uid
        owner = pwd.getpwuid(uid).pw_name if os.geteuid() == 0 and uid != 0 else None
        base = Path(tempfile.mkdtemp(prefix="roboco-bench-standby-"))
        os.chmod(base, 0o755)
        if owner is not None:
            shutil.chown(base, owner, owner)
        node = cls(base, owner)
        params = conninfo_to_dict(admin_url)
        try:
            node._run(
                "pg_basebackup",
                *("-D", str(node.data), "-R", "-X", "stream", "-c", "fast"),
                *("-h", str(params["host"]), "-p", str(params.get("port") or 5432)),
                *("-U", str(params.get("user") or "postgres")),
            )
            node._run(
                "pg_ctl",
                *("-D", str(node.data), "-w", "-l", str(base / "standby.log")),
                *("-o", f"-k {base} -c listen_addresses='' -p {STANDBY_PORT}", "start"),
            )
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        return node

    def url(self, primary_url: str) -> str:
        return make_conninfo(primary_url, host=str(self.base), port=STANDBY_PORT)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _caught_up(primary_url: str, standby_url: str, timeout: float = 120) -> None:
    with psycopg.connect(primary_url, autocommit=True) as p:
        row = p.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    assert row is not None
    target = Lsn.parse(row[0])
    deadline = time.monotonic() + timeout
    with psycopg.connect(standby_url, autocommit=True) as s:
        while True:
            got = s.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
            if got is not None and got[0] is not None and Lsn.parse(got[0]) >= target:
                return
            if time.monotonic() > deadline:
                raise BenchError(f"the standby did not replay {target} in {timeout:g}s")
            time.sleep(0.02)


# -- the suite -----------------------------------------------------------------------------------


def run(ctx: Context) -> list[Figure]:
    from roboco_sql import demo  # the lag part's write load; a broken import fails at once

    del demo
    t0 = time.perf_counter()
    standby = Standby.make(ctx.server.admin_url)
    ctx.note("basebackup_and_start_seconds", round(time.perf_counter() - t0, 2))
    try:
        return asyncio.run(_run(ctx, standby))
    finally:
        standby.stop()


async def _run(ctx: Context, standby: Standby) -> list[Figure]:
    db = ctx.new_database("replicas")
    migrate(db.url, load_chain(), pgvector=True)
    base = await _load(db.url)
    replica_url = standby.url(db.url)
    _caught_up(db.url, replica_url)
    figures = await _routing_cost(ctx, db.url)
    figures += await _throughput(ctx, db.url, replica_url, base)
    figures += await _lag_under_demo(ctx, db.url, standby)
    return figures


def _text(i: int, label: int) -> str:
    comp = corpus.COMPONENTS[label % len(corpus.COMPONENTS)]
    return (
        f"Chunk {i} of topic {label}: notes on the {comp}, written long enough to pass "
        "the knowledge base's minimum chunk length of one hundred characters."
    )


async def _load(url: str) -> F32:
    base, labels = corpus.clustered(N, DIMS, seed=7)
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        await rag.ensure_indexes(conn, DIMS, [TABLE], hnsw=False)
        for start in range(0, N, BATCH):
            chunks = [
                ChunkIn(
                    content=_text(i, int(labels[i])),
                    embedding=base[i].tolist(),
                )
                for i in range(start, min(N, start + BATCH))
            ]
            await rag.replace_source(conn, TABLE, f"bench://replicas/{start}", chunks)
        await rag.ensure_indexes(conn, DIMS, [TABLE])
    return base


# -- routing cost with no replica ------------------------------------------------------------------


async def _routing_cost(ctx: Context, url: str) -> list[Figure]:
    """read_connection() with no replica is connection(pool): the same per-call time."""
    calls = ctx.runs(ROUTING_CALLS)
    async with await open_cluster(url, Settings.from_env({}), min_size=1, max_size=1) as cluster:

        async def plain() -> None:
            async with connection(cluster.primary) as conn:
                await conn.execute("SELECT 1")

        async def routed() -> None:
            async with read_connection(cluster) as conn:
                await conn.execute("SELECT 1")

        times: dict[str, list[float]] = {"plain": [], "routed": []}
        for block in range(20):
            order = ("plain", "routed") if block % 2 == 0 else ("routed", "plain")
            for name in order:
                fn = plain if name == "plain" else routed
                t0 = time.perf_counter()
                for _ in range(max(1, calls // 20)):
                    await fn()
                times[name].append((time.perf_counter() - t0) / max(1, calls // 20) * 1e6)
    return [
        Figure.median_of("SELECT 1 via connection(pool)", times["plain"], "us"),
        Figure.median_of(
            "SELECT 1 via read_connection, no replica",
            times["routed"],
            "us",
            baseline="SELECT 1 via connection(pool)",
            target=Target("<=", 1.05, on="ratio"),
            note="no replica configured: the primary's pooled connection, nothing added",
        ),
    ]


# -- throughput ------------------------------------------------------------------------------------

Search = Callable[[int], Awaitable[object]]


async def _rate(searches: list[Search], seconds: float) -> float:
    """Searches per second by len(searches) concurrent clients in a fixed time."""
    done = 0
    stop = time.monotonic() + seconds

    async def client(search: Search, first: int) -> None:
        nonlocal done
        i = first
        while time.monotonic() < stop:
            await search(i)
            done += 1
            i += len(searches)

    started = time.monotonic()
    await asyncio.gather(*(client(s, n) for n, s in enumerate(searches)))
    return done / (time.monotonic() - started)


async def _throughput(ctx: Context, url: str, replica_url: str, base: F32) -> list[Figure]:
    queries = corpus.queries_near(base, QUERIES, seed=99)
    vectors = [q.tolist() for q in queries]
    settings = Settings.from_env({})
    alone = await open_cluster(url, settings, min_size=CLIENTS, max_size=CLIENTS)
    routed = await open_cluster(
        url, settings, replica_urls=[replica_url], min_size=CLIENTS, max_size=CLIENTS
    )
    try:

        def through(cluster: Cluster) -> Search:
            async def search(i: int) -> object:
                vector = vectors[i % len(vectors)]
                return await cluster.read(lambda conn: rag.search(conn, TABLE, vector, 10))

            return search

        async def on_primary(i: int) -> object:
            async with connection(routed.primary) as conn:
                return await rag.search(conn, TABLE, vectors[i % len(vectors)], 10)

        cases: dict[str, list[Search]] = {
            "alone": [through(alone)] * CLIENTS,
            "routed": [through(routed)] * CLIENTS,
            "shared": [on_primary, through(routed)] * (CLIENTS // 2),
        }
        for search in cases.values():  # warm both servers' caches and connections
            await _rate(search, 0.5)
        rates: dict[str, list[float]] = {name: [] for name in cases}
        rounds = max(1, round(ROUNDS * ctx.scale))
        seconds = SECONDS * min(1.0, ctx.scale)
        for r in range(rounds):
            names = list(cases) if r % 2 == 0 else list(reversed(cases))
            for name in names:
                rates[name].append(await _rate(cases[name], seconds))
        [replica] = routed.replicas
        if replica.health != "up" or replica.reads == 0:
            raise BenchError(f"the replica served no reads: {replica}")
        ctx.note(
            "throughput",
            {
                "rows": N,
                "dimensions": DIMS,
                "clients": CLIENTS,
                "seconds_per_run": seconds,
                "rounds": rounds,
                "replica_reads": replica.reads,
                "cores": os.cpu_count(),
                "load_avg": [round(x, 2) for x in os.getloadavg()],
            },
        )
    finally:
        await alone.close()
        await routed.close()
    first = "RAG search, 8 clients: primary alone"
    return [
        Figure.median_of(first, rates["alone"], "ops/s"),
        Figure.median_of(
            "RAG search, 8 clients: routed to the replica",
            rates["routed"],
            "ops/s",
            baseline=first,
            note="every read on the standby, same machine: routing plus a server of equal size",
        ),
        Figure.median_of(
            "RAG search, 8 clients: primary + replica sharing",
            rates["shared"],
            "ops/s",
            baseline=first,
            note="4 clients on each server; both servers and the client share the same cores",
        ),
    ]


# -- lag under the demo's writes -------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


async def _lag_under_demo(ctx: Context, probe_url: str, standby: Standby) -> list[Figure]:
    from roboco_sql import demo

    demo_db = ctx.new_database("replicas_demo")
    replica_probe = standby.url(probe_url)
    lag_bytes: list[float] = []
    replay_lag_ms: list[float] = []
    visible_ms: list[float] = []
    running = True

    async def sample() -> None:
        async with await AsyncConnection.connect(ctx.server.admin_url, autocommit=True) as c:
            while running:
                cur = await c.execute(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8, "
                    "extract(epoch FROM replay_lag)::float8 * 1000 FROM pg_stat_replication"
                )
                for behind, lag in await cur.fetchall():
                    if behind is not None:
                        lag_bytes.append(max(0.0, behind))
                    if lag is not None:
                        replay_lag_ms.append(lag)
                await asyncio.sleep(SAMPLE_EVERY)

    async def probe() -> None:
        async with (
            await AsyncConnection.connect(probe_url, autocommit=True) as p,
            await AsyncConnection.connect(replica_probe, autocommit=True) as s,
        ):
            await p.execute("CREATE TABLE IF NOT EXISTS lag_probe (at timestamptz)")
            while running:
                await p.execute("INSERT INTO lag_probe VALUES (now())")
                t0 = time.perf_counter()
                cur = await p.execute("SELECT pg_current_wal_insert_lsn()::text")
                row = await cur.fetchone()
                assert row is not None
                target = Lsn.parse(row[0])
                while True:
                    cur = await s.execute("SELECT pg_last_wal_replay_lsn()::text")
                    got = await cur.fetchone()
                    if got is not None and Lsn.parse(got[0]) >= target:
                        break
                    await asyncio.sleep(0.0005)
                visible_ms.append((time.perf_counter() - t0) * 1000)
                await asyncio.sleep(PROBE_EVERY)

    tasks = [asyncio.create_task(sample()), asyncio.create_task(probe())]
    t0 = time.perf_counter()
    try:
        report: Any = await demo.run_day(demo_db.url, scale=1, settings=Settings.from_env({}))
    finally:
        running = False
        await asyncio.gather(*tasks)
    day_s = time.perf_counter() - t0
    ctx.note(
        "demo",
        {
            "seconds": round(day_s, 2),
            "phases": {name: round(took, 2) for name, took, _, _ in report.phases},
            "lag_samples": len(lag_bytes),
            "replay_lag_samples": len(replay_lag_ms),
            "visibility_probes": len(visible_ms),
        },
    )
    if not lag_bytes or not visible_ms:
        raise BenchError("no lag samples were taken during the demo")
    figures = [
        Figure("demo day: standby behind, p50", _pct(lag_bytes, 50), "bytes", len(lag_bytes)),
        Figure("demo day: standby behind, p95", _pct(lag_bytes, 95), "bytes", len(lag_bytes)),
        Figure("demo day: standby behind, max", max(lag_bytes), "bytes", len(lag_bytes)),
        Figure(
            "demo day: commit visible on standby, p50",
            _pct(visible_ms, 50),
            "ms",
            len(visible_ms),
            note="insert committed on the primary until the standby has replayed it",
        ),
        Figure(
            "demo day: commit visible on standby, p95",
            _pct(visible_ms, 95),
            "ms",
            len(visible_ms),
            target=Target("<", 500.0),
            note="under ROBOCO_DATABASE_REPLICA_WAIT's default (0.5 s): read-your-writes "
            "reads stay on the replica",
        ),
        Figure("demo day: commit visible on standby, max", max(visible_ms), "ms", len(visible_ms)),
    ]
    if replay_lag_ms:
        figures.append(
            Figure(
                "demo day: pg_stat_replication.replay_lag, p95",
                _pct(replay_lag_ms, 95),
                "ms",
                len(replay_lag_ms),
                note="PostgreSQL's own measure, from the standby's feedback",
            )
        )
    return figures
