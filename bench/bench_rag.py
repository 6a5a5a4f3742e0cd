"""RAG: recall@10 and latency on 100,000 x 384 for HNSW, RoboCo's IVFFlat and exact search.

Scale part (synthetic, ``bench.corpus.clustered``), on two shapes of data, each 100,000 unit
vectors of 384 dimensions drawn around 1,000 centroids with isotropic Gaussian noise: "flat"
(independent random centroids, nearly orthogonal to one another, so a cluster has no neighbours)
and "topical" (the centroids grouped in 50 topics, so clusters have near neighbours, as texts'
topics do). Each row is owned by one of 32 agents (``metadata.agent_id``, independent of the
clusters: the hard case for a filter). Per shape, one migrated database holds the rows twice, in
RoboCo's table shape (content, generated ``tsv`` and its GIN index included):

- ``chunks_documentation``: made by ``rag.ensure_indexes(hnsw=False)``, loaded through
  ``rag.replace_source`` (binary COPY), one source per batch, then given its HNSW index by
  ``rag.ensure_indexes()`` (built concurrently, maintenance_work_mem = 512MB);
- ``chunks_learnings``: RoboCo's way: its IVFFlat index (``vector_cosine_ops``, lists = 100)
  created on the empty table, then filled (``INSERT ... SELECT`` of the same rows, same ids).

The ground truth is exact cosine top-10 by numpy over the same float32 vectors; the database's
own exact search (a sequential scan: the same statement with index scans off) is checked against
it and timed on a subset of the queries. Every indexed query goes through ``rag.search``, on one
connection: HNSW at several ef_search values (40 is pgvector's default, 100 is
``rag.DEFAULT_EF_SEARCH``), IVFFlat at RoboCo's probes = 1; the configurations are interleaved
query by query after a warm-up pass. Latency is the client-side time of the whole call. Filtered
queries keep one agent's rows (1/32, about 3%) through the same HNSW index (iterative scans),
against the exact filtered top-10. The HNSW index is then dropped and built again the same way,
BUILDS times in all, and the HNSW searches repeated for recall: no two builds make the same graph
(pgvector draws each element's level at random), so each HNSW recall figure is the worst
build's (its name says so; each build's recall is a sample); latencies are the first build's.

Real-model part (``bench.corpus.generate`` + all-MiniLM-L6-v2): 3,000 RoboCo-like chunks over
six index types, HNSW from the start, ingested source by source; 200 questions worded unlike the
stored text but whose keywords are two words of the topic label, searched by vector, keyword and
hybrid (reciprocal rank fusion) search, and an agent's mentor lookup; then a held-out set of 48
questions written by hand (``corpus.HELD_OUT``), keywords as a user would type them and none
stemming to a word of the topic's label (checked), judged by hit rate @1 and @5, and what
hybrid search adds to vector search alone on them. Embeddings are cached under
bench/results/cache (keyed by a hash of the model and texts), so only a first run loads the
model.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from pgvector import Vector
from psycopg import AsyncConnection, AsyncRawCursor, sql
from psycopg.errors import Diagnostic
from psycopg.rows import TupleRow
from psycopg.types.json import Jsonb

from bench import corpus
from bench.harness import BenchError, Context, Figure, Target
from roboco_sql import rag
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.rag import ChunkIn, ChunkTable, IndexType
from roboco_sql.rag.statements import drop_index, index_name

N = 100_000
DIMS = corpus.DIMENSIONS
CENTROIDS = 1_000
TOPICS = 50  # the centroids are grouped: 50 topics of 20 neighbouring clusters
SPREAD = 0.5  # centroid noise around its topic (cosine ~0.8 between a topic's centroids)
NOISE = 0.35  # row noise around its centroid (cosine ~0.94 to it)
K = 10
QUERIES = 200
EXACT_QUERIES = 30  # a sequential scan costs ~0.3 s here: a subset is timed
BATCH = 10_000  # rows per replace_source call (one source each)
BUILDS = 3  # HNSW builds per dataset: each is another graph (see _build_hnsw), so recall varies
AGENTS = 32  # the filter keeps one agent's rows: 1/32 = 3.1%
EF_DEFAULT = rag.DEFAULT_EF_SEARCH  # 100
EF_SWEEP = (40, EF_DEFAULT, 200, 400)  # 40 = pgvector's own default
EF_MORE = (800,)  # run too when none of EF_SWEEP reaches the recall target
FILTERED_EF_SWEEP = (EF_DEFAULT, 400)
HNSW_TABLE = IndexType.DOCUMENTATION
IVF_TABLE = IndexType.LEARNINGS
IVF_LISTS = 100
MAINTENANCE_WORK_MEM = "512MB"
REAL_DOCS = 3_000
REAL_QUERIES = 200
HELD_K = 5  # hit rate @1 and @5 on the held-out questions

RECALL_TARGET = 99.0  # recall@10 figures are percentages: 99.0 = 0.99
P50_TARGET_MS = 5.0
FILTERED_RECALL_TARGET = 95.0

EXACT = "exact (sequential scan)"
IVF = f"IVFFlat lists={IVF_LISTS} built empty, probes=1"

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
Conn = AsyncConnection[TupleRow]


def run(ctx: Context) -> list[Figure]:
    return asyncio.run(_run(ctx))


async def _run(ctx: Context) -> list[Figure]:
    started = time.perf_counter()
    figures = await _scale(ctx)
    ctx.note("scale_seconds", round(time.perf_counter() - started, 1))
    started = time.perf_counter()
    figures += await _real(ctx)
    ctx.note("real_seconds", round(time.perf_counter() - started, 1))
    ctx.note("load_avg_at_end", [round(x, 2) for x in os.getloadavg()])
    return figures


# -- helpers -------------------------------------------------------------------------------------


def _pct(values: Sequence[float], q: float) -> float:
    """The q-quantile by the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _latency(
    name: str, ms: list[float], *, baseline: str | None = None, target: Target | None = None
) -> list[Figure]:
    """p50 (which may have a baseline and a target) and p95 of one case's per-call latencies."""
    return [
        Figure.median_of(f"{name}: p50", ms, "ms", baseline=baseline, target=target),
        Figure(f"{name}: p95", _pct(ms, 0.95), "ms", len(ms), ms),
    ]


def _truth(base: F32, queries: F32, k: int) -> I64:
    """Exact top-k row indexes by cosine similarity (rows are unit length: dot product)."""
    sims = queries @ base.T
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    order = np.take_along_axis(sims, top, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(top, order, axis=1).astype(np.int64)


def _filtered_truth(base: F32, queries: F32, k: int, owners: I64, wanted: I64) -> I64:
    """Exact top-k per query among the rows whose owner is that query's owner."""
    out = np.empty((len(queries), k), dtype=np.int64)
    for i, q in enumerate(queries):
        rows = np.flatnonzero(owners == wanted[i])
        out[i] = rows[_truth(base[rows], q[None, :], k)[0]]
    return out


def _rank_profile(base: F32, queries: F32, owners: I64, wanted: I64) -> dict[str, Any]:
    """Mean cosine similarity of the r-th nearest row, unfiltered and filtered: how far the
    true 10th neighbour stands from the 11th and the 100th (near ties make recall hard)."""
    ranks = (1, 2, 5, 10, 11, 20, 100, 1000)
    sims = -np.sort(-(queries @ base.T), axis=1)
    filt = [-np.sort(-(base[owners == w] @ q)) for q, w in zip(queries, wanted, strict=True)]
    return {
        "ranks": list(ranks),
        "unfiltered": [round(float(sims[:, r - 1].mean()), 3) for r in ranks],
        "filtered": [round(float(np.mean([f[r - 1] for f in filt])), 3) for r in ranks],
    }


def _recall(found: Sequence[Sequence[int]], truth: I64, k: int = K) -> float:
    """Mean over queries of |found ∩ true top-k| / k, in percent (ids are row index + 1)."""
    total = 0
    for got, want in zip(found, truth, strict=False):
        total += len({int(i) for i in got[:k]} & {int(w) + 1 for w in want[:k]})
    return 100.0 * total / (k * len(found))


@dataclass
class Case:
    """One searched configuration: the call, and per query what it found and its latency."""

    call: Callable[[int], Awaitable[list[Any]]]
    found: list[list[Any]] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)


def _hnsw(ef: int, *, filtered: bool = False) -> str:
    """The name of one HNSW search configuration."""
    return f"{'filtered ' if filtered else ''}HNSW ef_search={ef}"


def _recall_figure(name: str, recalls: list[float], target: float | None, note: str) -> Figure:
    """A configuration's recall@10 in percent; over several index builds, the worst of them
    (each build's recall a sample), since any build is the one a user gets, and the name says
    so. `target` (a floor) only on the configuration we ship."""
    worst = f", worst of {len(recalls)} builds" if len(recalls) > 1 else ""
    return Figure(
        f"{name}: recall@10{worst}",
        min(recalls),
        "%",
        len(recalls),
        recalls,
        target=Target(">=", target) if target is not None else None,
        note=f"{note}; {QUERIES} queries a build" if note else f"{QUERIES} queries a build",
    )


def _search_figures(
    p: str, cases: dict[str, Case], recalls: dict[str, list[float]], exact: Case, *, filtered: bool
) -> list[Figure]:
    """Recall and latency of each searched configuration, then the exact scan's latency; the
    targets go on the configuration we ship (rag.DEFAULT_EF_SEARCH)."""
    kind = "filtered " if filtered else ""
    shipped = _hnsw(EF_DEFAULT, filtered=filtered)
    floor = FILTERED_RECALL_TARGET if filtered else RECALL_TARGET
    scope = f" (1 agent of {AGENTS})" if filtered else ""
    figures = []
    for name, case in cases.items():
        ours = name == shipped
        note = "rag.DEFAULT_EF_SEARCH" if ours else ""
        figures.append(
            _recall_figure(f"{p}{name}{scope}", recalls[name], floor if ours else None, note)
        )
        if filtered:
            figures.append(
                Figure(
                    f"{p}{name}: queries returning k rows",
                    100.0 * sum(len(f) == K for f in case.found) / len(case.found),
                    "%",
                    len(case.found),
                    target=Target("==", 100.0),
                )
            )
        p50_target = Target("<", P50_TARGET_MS) if ours and not filtered else None
        figures += _latency(p + name, case.ms, baseline=f"{p}{kind}{EXACT}: p50", target=p50_target)
    return figures + _latency(f"{p}{kind}{EXACT}", exact.ms)


async def _interleaved(cases: dict[str, Case], n: int, warmup: int) -> None:
    """Each case on queries 0..n-1, the cases' order alternating query by query, after an
    untimed pass over the first ``warmup`` queries."""
    names = list(cases)
    for i in range(warmup):
        for name in names:
            await cases[name].call(i)
    for i in range(n):
        for name in names if i % 2 == 0 else names[::-1]:
            case = cases[name]
            t0 = time.perf_counter()
            found = await case.call(i)
            case.ms.append((time.perf_counter() - t0) * 1000)
            case.found.append(found)


async def _scalar(conn: Conn, query: str | bytes, *args: Any) -> Any:
    async with AsyncRawCursor(conn) as cur:
        await cur.execute(query, args)
        row = await cur.fetchone()
    return None if row is None else row[0]


async def _database(ctx: Context, prefix: str) -> tuple[Any, Conn]:
    db = ctx.new_database(prefix)
    migrate(db.url, load_chain(), pgvector=True)
    return db, await AsyncConnection.connect(db.url, autocommit=True)


async def _check_ids(conn: Conn, table: str) -> None:
    """The rows are ids 1..N in load order, so an id is its row index + 1 (see _recall)."""
    span = await _scalar(conn, f"SELECT array[min(id), max(id), count(*)] FROM {table}")
    if list(span) != [1, N, N]:
        raise BenchError(f"{table}: ids are not 1..{N} in load order: {span}")


async def _fill_ivfflat(conn: Conn, source: str, ivf: str) -> float:
    """RoboCo's way: its IVFFlat index created on the empty table, then the rows of `source`
    copied in (same ids); the seconds the fill took."""
    await conn.execute(
        sql.SQL(
            "CREATE INDEX {} ON {} USING ivfflat (embedding vector_cosine_ops) WITH (lists = {})"
        ).format(
            sql.Identifier(index_name(ivf, "ivfflat")), sql.Identifier(ivf), sql.Literal(IVF_LISTS)
        )
    )
    t0 = time.perf_counter()
    await conn.execute(
        sql.SQL(
            "INSERT INTO {} (content, source, embedding, metadata) "
            "SELECT content, source, embedding, metadata FROM {} ORDER BY id"
        ).format(sql.Identifier(ivf), sql.Identifier(source))
    )
    seconds = time.perf_counter() - t0
    await _check_ids(conn, ivf)
    return seconds


async def _build_hnsw(conn: Conn) -> tuple[float, list[ChunkTable], list[str]]:
    """(Re)build the HNSW index as ``ensure_indexes()`` does (concurrently), with
    MAINTENANCE_WORK_MEM: the seconds it took, what it built, the server's notices.

    No two builds make the same graph: pgvector draws each element's level from the backend's
    random state (seeded per connection, not settable from SQL), and a parallel build also
    inserts in whatever order its workers reach the rows; so recall is measured per build.
    """
    notices: list[str] = []

    def on_notice(d: Diagnostic) -> None:
        notices.append(f"{d.severity}: {d.message_primary}")

    await conn.execute(drop_index(index_name(rag.chunk_table(HNSW_TABLE), "hnsw")))
    conn.add_notice_handler(on_notice)
    await conn.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
    t0 = time.perf_counter()
    made = await rag.ensure_indexes(conn, DIMS, [HNSW_TABLE])
    seconds = time.perf_counter() - t0
    await conn.execute("RESET maintenance_work_mem")
    conn.remove_notice_handler(on_notice)
    return seconds, made, notices


# -- the scale part ------------------------------------------------------------------------------

EXACT_SQL = """
SELECT id FROM {t}
WHERE embedding IS NOT NULL AND length(content) >= $2
  AND ($3::jsonb IS NULL OR metadata @> $3::jsonb)
ORDER BY embedding <=> $1
LIMIT $4"""

_VECTOR_LITERAL = re.compile(r"'\[[^']*\]'::vector")


def _synthetic_text(i: int, label: int, owner: int) -> str:
    comp = corpus.COMPONENTS[label % len(corpus.COMPONENTS)]
    tech = corpus.TECH[(label // len(corpus.COMPONENTS)) % len(corpus.TECH)]
    return (
        f"Chunk {i} from topic {label}: bench-agent-{owner:02d} notes on the {comp} running on "
        f"{tech}, kept to pad the row past the minimum chunk length."
    )


@dataclass(frozen=True)
class Dataset:
    """One shape of synthetic data: ``topics=0`` is flat (1,000 independent random clusters)."""

    label: str
    topics: int
    describe: str


DATASETS = (
    Dataset(
        "flat",
        0,
        f"{CENTROIDS} independent random unit centroids (in 384 dimensions, nearly orthogonal "
        "to each other: a cluster has no neighbours)",
    ),
    Dataset(
        "topical",
        TOPICS,
        f"{CENTROIDS} unit centroids in {TOPICS} topics of {CENTROIDS // TOPICS} (Gaussian "
        f"noise of norm {SPREAD} around random topic directions: cosine ~0.8 between a "
        "topic's centroids, so clusters have near neighbours)",
    ),
)


async def _scale(ctx: Context) -> list[Figure]:
    figures: list[Figure] = []
    peaks: dict[str, float] = {"ingest": 0.0, "search": 0.0}
    for data in DATASETS:
        t0 = time.perf_counter()
        figures += await _dataset(ctx, data, peaks)
        ctx.note(f"{data.label}_seconds", round(time.perf_counter() - t0, 1))
    figures.append(Figure("peak RSS: ingest of 100,000 rows", peaks["ingest"], "MB"))
    figures.append(Figure("peak RSS: search", peaks["search"], "MB"))
    ctx.note(
        "rss",
        "this process (the bench client), the larger of the two datasets; the numpy rows, "
        "queries and ground truth (146 MB of vectors) stay resident throughout",
    )
    return figures


async def _dataset(ctx: Context, data: Dataset, peaks: dict[str, float]) -> list[Figure]:
    t0 = time.perf_counter()
    base, labels = corpus.clustered(
        N, DIMS, centroids=CENTROIDS, topics=data.topics, spread=SPREAD, noise=NOISE
    )
    queries = corpus.queries_near(base, QUERIES, noise=NOISE)
    rng = np.random.default_rng(7)
    owners = rng.integers(0, AGENTS, size=N)
    q_owner = rng.integers(0, AGENTS, size=QUERIES)
    agent_ids = [corpus.agent_id(f"bench-agent-{a:02d}") for a in range(AGENTS)]
    truth = _truth(base, queries, K)
    filtered_truth = _filtered_truth(base, queries, K, owners, q_owner)
    notes: dict[str, Any] = {
        "rows": N,
        "dimensions": DIMS,
        "data": f"{data.describe}; rows: isotropic Gaussian noise of norm {NOISE} around their "
        "centroid (cosine ~0.94 to it), normalised (bench.corpus.clustered, seed 42); queries: "
        f"perturbed copies (same noise) of {QUERIES} random rows, none of them stored",
        "mean_similarity_at_rank": _rank_profile(base, queries[:20], owners, q_owner[:20]),
        "generate_and_ground_truth_s": round(time.perf_counter() - t0, 1),
    }
    p = f"{data.label}: "

    db, conn = await _database(ctx, f"rag_{data.label}")
    try:
        hnsw, ivf = rag.chunk_table(HNSW_TABLE), rag.chunk_table(IVF_TABLE)
        await rag.ensure_indexes(conn, DIMS, [HNSW_TABLE, IVF_TABLE], hnsw=False)
        with ctx.track_rss() as ingest_rss:
            t0 = time.perf_counter()
            for start in range(0, N, BATCH):
                chunks = [
                    ChunkIn(
                        content=_synthetic_text(i, int(labels[i]), int(owners[i])),
                        embedding=base[i].tolist(),
                        metadata={"agent_id": agent_ids[owners[i]]},
                    )
                    for i in range(start, min(N, start + BATCH))
                ]
                await rag.replace_source(conn, HNSW_TABLE, f"bench://synthetic/{start}", chunks)
                del chunks
            ingest_s = time.perf_counter() - t0
        peaks["ingest"] = max(peaks["ingest"], ingest_rss.peak_mb)
        await _check_ids(conn, hnsw)
        ivf_fill_s = await _fill_ivfflat(conn, hnsw, ivf)
        build_s, made, notices = await _build_hnsw(conn)
        for table in (hnsw, ivf):
            await conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
        notes.update(
            {
                "ingest_s": round(ingest_s, 1),
                "ivfflat_fill_s": round(ivf_fill_s, 1),
                "hnsw_built": [t.built for t in made],
                "hnsw_build_notices": notices,
                "hnsw_build_settings": {
                    "maintenance_work_mem": MAINTENANCE_WORK_MEM,
                    "max_parallel_maintenance_workers": await _scalar(
                        conn, "SHOW max_parallel_maintenance_workers"
                    ),
                    "index_options": await _scalar(
                        conn,
                        "SELECT coalesce(array_to_string(reloptions, ', '), "
                        "'none: pgvector defaults m = 16, ef_construction = 64') "
                        "FROM pg_class WHERE relname = $1",
                        index_name(hnsw, "hnsw"),
                    ),
                },
                "sizes": await _scalar(
                    conn,
                    "SELECT json_object_agg(c.relname, json_build_object("
                    "'main', pg_size_pretty(pg_relation_size(c.oid)), "
                    "'toast', pg_size_pretty(coalesce(pg_relation_size(c.reltoastrelid), 0)))) "
                    "FROM pg_class c WHERE c.relname LIKE 'chunks_%' AND c.relkind IN ('r', 'i')",
                ),
            }
        )
        ingest = Figure(
            f"{p}ingest {N:,} x {DIMS} (replace_source, binary COPY)",
            N / ingest_s,
            "rows/s",
            note=f"{N // BATCH} sources of {BATCH:,} rows; no vector index during the load",
        )

        # -- searches
        qlists = [q.tolist() for q in queries]
        qvecs = [Vector(q) for q in qlists]
        owner_meta = [{"agent_id": agent_ids[int(o)]} for o in q_owner]
        exact_stmt = sql.SQL(EXACT_SQL).format(t=sql.Identifier(hnsw)).as_bytes(None)

        def indexed(kind: IndexType, ef: int, filtered: bool = False) -> Case:
            async def call(i: int) -> list[int]:
                meta = owner_meta[i] if filtered else None
                hits = await rag.search(conn, kind, qlists[i], K, metadata=meta, ef_search=ef)
                return [h.id for h in hits]

            return Case(call)

        def exact(filtered: bool) -> Case:
            async def call(i: int) -> list[int]:
                meta = Jsonb(owner_meta[i]) if filtered else None
                async with conn.pipeline(), conn.transaction(), AsyncRawCursor(conn) as cur:
                    await cur.execute("SELECT set_config('enable_indexscan', 'off', true)")
                    await cur.execute(exact_stmt, (qvecs[i], rag.MIN_CHUNK_LENGTH, meta, K))
                    rows = await cur.fetchall()
                return [r[0] for r in rows]

            return Case(call)

        with ctx.track_rss() as search_rss:
            cases = {_hnsw(ef): indexed(HNSW_TABLE, ef) for ef in EF_SWEEP}
            cases[IVF] = indexed(IVF_TABLE, EF_DEFAULT)
            await _interleaved(cases, QUERIES, warmup=QUERIES)
            if all(_recall(cases[_hnsw(ef)].found, truth) < RECALL_TARGET for ef in EF_SWEEP):
                more = {_hnsw(ef): indexed(HNSW_TABLE, ef) for ef in EF_MORE}
                await _interleaved(more, QUERIES, warmup=QUERIES // 4)
                cases.update(more)
                cases = {n: cases[n] for n in sorted(cases, key=lambda n: n == IVF)}
            exact_cases = {EXACT: exact(False), f"filtered {EXACT}": exact(True)}
            await _interleaved(exact_cases, EXACT_QUERIES, warmup=2)
            filtered = {
                _hnsw(ef, filtered=True): indexed(HNSW_TABLE, ef, True) for ef in FILTERED_EF_SWEEP
            }
            await _interleaved(filtered, QUERIES, warmup=QUERIES // 4)
        peaks["search"] = max(peaks["search"], search_rss.peak_mb)
        notes["filtered_plan"] = await _explain(conn, hnsw, qvecs[0], owner_meta[0])

        # -- the same HNSW searches over BUILDS - 1 more builds, for recall only
        swept = [ef for ef in (*EF_SWEEP, *EF_MORE) if _hnsw(ef) in cases]
        again = [(ef, False) for ef in swept] + [(ef, True) for ef in FILTERED_EF_SWEEP]
        recalls = {n: [_recall(c.found, truth)] for n, c in cases.items()}
        recalls |= {n: [_recall(c.found, filtered_truth)] for n, c in filtered.items()}
        builds_s = [build_s]
        for _ in range(BUILDS - 1):
            builds_s.append((await _build_hnsw(conn))[0])
            rebuilt = {_hnsw(ef, filtered=f): indexed(HNSW_TABLE, ef, f) for ef, f in again}
            await _interleaved(rebuilt, QUERIES, warmup=0)
            for (_, f), (name, case) in zip(again, rebuilt.items(), strict=True):
                recalls[name].append(_recall(case.found, filtered_truth if f else truth))
    finally:
        await conn.close()
        ctx.drop_database(db)

    figures = [
        ingest,
        Figure.median_of(
            f"{p}HNSW build after the load",
            builds_s,
            "s",
            note=f"ensure_indexes(): CONCURRENTLY, maintenance_work_mem={MAINTENANCE_WORK_MEM}; "
            f"median of {BUILDS} builds",
        ),
    ]
    figures += _search_figures(p, cases, recalls, exact_cases[EXACT], filtered=False)
    figures += _search_figures(
        p, filtered, recalls, exact_cases[f"filtered {EXACT}"], filtered=True
    )
    reaching = [
        (ef, statistics.median(cases[_hnsw(ef)].ms))
        for ef in swept
        if min(recalls[_hnsw(ef)]) >= RECALL_TARGET
    ]
    notes.update(
        {
            "hnsw_builds": {
                "builds": BUILDS,
                "seconds": [round(s, 1) for s in builds_s],
                "recall_at_10_per_build": recalls,
                "why": "no two HNSW builds make the same graph (see _build_hnsw): every HNSW "
                "recall figure is the worst of the builds, each build a sample; latencies are "
                "timed on the first build",
            },
            "lowest_ef_search_reaching_recall_target_on_every_build": (
                {"ef_search": reaching[0][0], "p50_ms": round(reaching[0][1], 2)}
                if reaching
                else f"none up to {swept[-1]}"
            ),
            "exact_vs_numpy_recall_pct": round(_recall(exact_cases[EXACT].found, truth), 2),
            "filtered_exact_vs_numpy_recall_pct": round(
                _recall(exact_cases[f"filtered {EXACT}"].found, filtered_truth), 2
            ),
            "filter_selectivity": round(float(np.mean(owners == q_owner[0])), 4),
            "latency": "client-side time of one call, one connection: rag.search sends BEGIN, "
            "its SET LOCALs, the query and COMMIT in one pipeline and returns Pydantic hits; "
            f"exact is the same query shape with enable_indexscan off, on {EXACT_QUERIES} of "
            f"the {QUERIES} queries",
            "ivfflat": "RoboCo's index: created on the empty table, so its 100 centroids are "
            "random rather than the data's; queried at the default ivfflat.probes = 1, as RoboCo "
            "does",
        }
    )
    ctx.note(data.label, notes)
    return figures


async def _explain(conn: Conn, table: str, query: Vector, meta: dict[str, Any]) -> list[str]:
    """The plan of one filtered rag.search statement under the settings rag.search uses."""
    stmt = rag._stmt("search", table)
    async with conn.transaction(), AsyncRawCursor(conn) as cur:
        await cur.execute(
            "SELECT set_config('hnsw.ef_search', $1, true), "
            "set_config('hnsw.iterative_scan', 'relaxed_order', true), "
            "set_config('plan_cache_mode', 'force_custom_plan', true)",
            (str(EF_DEFAULT),),
        )
        await cur.execute(
            b"EXPLAIN (COSTS OFF) " + stmt, (query, rag.MIN_CHUNK_LENGTH, None, Jsonb(meta), K)
        )
        rows = await cur.fetchall()
    return [_VECTOR_LITERAL.sub("$1", r[0]) for r in rows]


# -- the real-model part -------------------------------------------------------------------------


async def _real(ctx: Context) -> list[Figure]:
    docs = corpus.generate(REAL_DOCS)
    questions = corpus.questions(REAL_QUERIES)
    with ctx.track_rss() as embed_rss:
        t0 = time.perf_counter()
        vectors, cached = corpus.embed([d.content for d in docs])
        qvectors, qcached = corpus.embed([q.text for q in questions])
        embed_s = time.perf_counter() - t0
    notes: dict[str, Any] = {
        "docs": REAL_DOCS,
        "per_type": {k.value: sum(d.index_type is k for d in docs) for k in rag.ACTIVE_TYPES},
        "model": corpus.MODEL_NAME,
        "embeddings": {
            "from_cache": cached and qcached,
            "seconds": round(embed_s, 1),
            "peak_rss_mb": round(embed_rss.peak_mb),
            "cache_dir": str(corpus.CACHE_DIR),
        },
        "questions": "e.g. " + repr(questions[0].text) + f" (keywords {questions[0].keywords!r})",
    }

    db, conn = await _database(ctx, "ragreal")
    try:
        await rag.ensure_indexes(conn, DIMS)
        with ctx.track_rss() as ingest_rss:
            t0 = time.perf_counter()
            for doc, vec in zip(docs, vectors, strict=True):
                chunk = ChunkIn(content=doc.content, embedding=vec.tolist(), metadata=doc.metadata)
                await rag.replace_source(conn, doc.index_type, doc.source, [chunk])
            ingest_s = time.perf_counter() - t0
        for kind in rag.ACTIVE_TYPES:
            await conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(rag.chunk_table(kind))))

        qlists = [v.tolist() for v in qvectors]
        journal_agents = [
            d.metadata["agent_id"] for d in docs if d.index_type is IndexType.JOURNALS
        ]

        def searcher(how: str) -> Case:
            async def call(i: int) -> list[Any]:
                q = questions[i]
                if how == "hybrid":
                    return await rag.hybrid_search(conn, q.index_type, qlists[i], q.keywords, K)
                if how == "vector":
                    return await rag.search(conn, q.index_type, qlists[i], K)
                if how == "keyword":
                    return await rag.keyword_search(conn, q.index_type, q.keywords, K)
                agent = journal_agents[i % len(journal_agents)]
                return await rag.mentor_lookup(conn, agent, qlists[i], 5)

            return Case(call)

        names = {
            "hybrid": "hybrid search",
            "vector": "vector search",
            "keyword": "keyword search",
            "mentor": "mentor_lookup (journals + learnings, k=5)",
        }
        with ctx.track_rss() as search_rss:
            cases = {label: searcher(how) for how, label in names.items()}
            await _interleaved(cases, REAL_QUERIES, warmup=REAL_QUERIES // 4)
        held = corpus.held_out()
        await _check_held_out(conn, held)
        held_found = await _held_out_search(conn, held)
    finally:
        await conn.close()
        ctx.drop_database(db)

    def on_topic(label: str) -> float:
        """Share of the top-10 hits that contain the question's problem, verbatim."""
        found = cases[label].found
        hits = sum(
            sum(q.topic in h.content for h in f) for f, q in zip(found, questions, strict=True)
        )
        return 100.0 * hits / (K * len(found))

    def top1(label: str) -> float:
        found = cases[label].found
        good = sum(
            bool(f) and q.topic in f[0].content for f, q in zip(found, questions, strict=True)
        )
        return 100.0 * good / len(found)

    mentor = cases[names["mentor"]].found
    own = all(
        h.metadata.get("agent_id") == journal_agents[i % len(journal_agents)]
        for i, f in enumerate(mentor)
        for h in f
    )
    if not own:
        raise BenchError("mentor_lookup returned another agent's chunks")

    prefix = f"real corpus ({REAL_DOCS:,} chunks)"
    figures = [
        Figure(f"{prefix}: ingest, one replace_source per source", REAL_DOCS / ingest_s, "rows/s"),
    ]
    vector_p50 = f"{prefix}: {names['vector']}: p50"
    for label in names.values():
        base = None if label == names["vector"] else vector_p50
        figures += _latency(f"{prefix}: {label}", cases[label].ms, baseline=base)
    for how in ("hybrid", "vector", "keyword"):
        label = names[how]
        figures.append(
            Figure(
                f"{prefix}: {label}: top hit on topic, keywords from the topic label",
                top1(label),
                "%",
                REAL_QUERIES,
                note=f"{on_topic(label):.0f}% of the top-10 hits on topic",
            )
        )
    figures += _held_out_figures(prefix, held, held_found)
    figures.append(Figure(f"{prefix}: peak RSS: ingest", ingest_rss.peak_mb, "MB"))
    figures.append(Figure(f"{prefix}: peak RSS: search", search_rss.peak_mb, "MB"))
    notes.update(
        {
            "ingest_s": round(ingest_s, 1),
            "on_topic": "a hit is on topic when it contains the question's problem verbatim "
            "(the question words it differently; keywords are two words of it)",
            "keyword_hits_returned": sum(len(f) for f in cases[names["keyword"]].found),
            "held_out": {
                "questions": len(held),
                "how": "hand-written in bench/corpus.py HELD_OUT: three per problem, worded as "
                "a user would ask, keywords as a user would type them; no keyword stems to a "
                "word of the problem's own label (problem and fix), checked with "
                "to_tsvector('english') before the run; each searched once in its own index "
                f"type, k={HELD_K}; a hit is on topic when it contains the problem verbatim",
                "examples": [f"{q.text!r} (keywords {q.keywords!r})" for q in held[:3]],
                "keyword_hits_returned": sum(len(f) for f in held_found["keyword"]),
                "questions_with_no_keyword_hit": sum(not f for f in held_found["keyword"]),
            },
        }
    )
    ctx.note("real", notes)
    return figures


# -- the held-out questions ----------------------------------------------------------------------


async def _check_held_out(conn: Conn, held: Sequence[corpus.Question]) -> None:
    """No held-out keyword may stem to a word of its problem's label (problem and fix)."""
    fixes = dict(corpus.PROBLEMS)
    for q in held:
        label = f"{q.topic} {fixes[q.topic]}"
        for word in q.keywords.split():
            taken = await _scalar(
                conn,
                "SELECT to_tsvector('english', $1) @@ plainto_tsquery('english', $2)",
                label,
                word,
            )
            if taken:
                raise BenchError(f"held-out keyword {word!r} comes from the label {label!r}")


async def _held_out_search(
    conn: Conn, held: Sequence[corpus.Question]
) -> dict[str, list[list[Any]]]:
    """Each held-out question once through vector, keyword and hybrid search, top HELD_K."""
    vectors, _ = corpus.embed([q.text for q in held])
    found: dict[str, list[list[Any]]] = {"vector": [], "keyword": [], "hybrid": []}
    for q, v in zip(held, vectors, strict=True):
        vec = v.tolist()
        found["vector"].append(await rag.search(conn, q.index_type, vec, HELD_K))
        found["keyword"].append(await rag.keyword_search(conn, q.index_type, q.keywords, HELD_K))
        found["hybrid"].append(await rag.hybrid_search(conn, q.index_type, vec, q.keywords, HELD_K))
    return found


def _hit_rate(found: Sequence[Sequence[Any]], held: Sequence[corpus.Question], k: int) -> float:
    good = sum(any(q.topic in h.content for h in f[:k]) for f, q in zip(found, held, strict=True))
    return 100.0 * good / len(held)


def _held_out_figures(
    prefix: str, held: Sequence[corpus.Question], found: dict[str, list[list[Any]]]
) -> list[Figure]:
    name = f"{prefix}: held-out ({len(held)} hand-written questions)"
    figures = []
    rates: dict[tuple[str, int], float] = {}
    for how in ("vector", "keyword", "hybrid"):
        for k in (1, HELD_K):
            rates[(how, k)] = _hit_rate(found[how], held, k)
            figures.append(
                Figure(f"{name}: {how} search: hit@{k}", rates[(how, k)], "%", len(held))
            )
    for k in (1, HELD_K):
        figures.append(
            Figure(
                f"{name}: hybrid over vector alone: hit@{k}",
                rates[("hybrid", k)] - rates[("vector", k)],
                "points",
                len(held),
                note="percentage points hybrid search adds to vector search alone",
            )
        )
    return figures
