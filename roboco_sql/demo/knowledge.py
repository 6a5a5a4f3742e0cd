"""The knowledge base: its tables at boot (or why RAG is off), the day's journal entries loaded
into it, and mentor lookups that find an agent's own entries.

Embeddings here come from :func:`hash_embedding`, a deterministic stand-in so the demo needs
no model; a real deployment passes its embedding model's vectors of
``ROBOCO_EMBEDDING_DIMENSIONS`` to ``rag.replace_source`` and ``rag.mentor_lookup``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import math
import re
from collections.abc import Awaitable

from psycopg_pool import AsyncConnectionPool

from roboco_sql import rag
from roboco_sql.config import Settings
from roboco_sql.errors import RagDisabled, RobocoSQLError
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import JournalEntryType
from roboco_sql.models.journal import JournalEntry
from roboco_sql.models.knowledge import IndexType

from .day import Day
from .report import DayReport


def hash_embedding(text: str, dimensions: int) -> list[float]:
    """A deterministic bag-of-words embedding (feature hashing of words and word pairs).

    A stand-in for the demo only: texts sharing words land close together, which is enough for
    a mentor lookup to find an agent's own entries. Real deployments pass the embeddings of
    their model, of ``ROBOCO_EMBEDDING_DIMENSIONS`` dimensions.
    """
    words = re.findall(r"[a-z0-9]+", text.lower()) or ["empty"]
    vector = [0.0] * dimensions
    for gram in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
        n = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
        vector[n % dimensions] += 1.0 if n >> 63 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0.0:
        vector[0], norm = 1.0, 1.0
    return [x / norm for x in vector]


async def boot_rag(pool: AsyncConnectionPool, settings: Settings, report: DayReport) -> str:
    """The knowledge base's tables, as the orchestrator's boot makes them; or why RAG is off."""
    status = await rag.rag_status(pool)
    if not status.enabled:
        report.rag = f"off: {status.reason}"
        return "RAG off"
    dims = settings.embedding_dimensions
    try:
        await rag.ensure_indexes(pool, dims, rag.MENTOR_TYPES)
    except rag.DimensionMismatch as exc:
        if exc.table_dimensions is None:
            report.rag = f"off: {exc}"
            return "RAG off"
        dims = exc.table_dimensions  # keep the tables as they are; embed to their width
        await rag.ensure_indexes(pool, dims, rag.MENTOR_TYPES)
    except RagDisabled as exc:
        report.rag = f"off: {exc}"
        return "RAG off"
    report.rag_enabled = True
    report.embedding_dimensions = dims
    report.rag = f"on: pgvector {status.version}, {dims} dimensions"
    return "RAG on"


async def knowledge(day: Day) -> tuple[str, ...]:
    """The day's journal entries into the knowledge base, then mentor lookups."""
    report = day.report
    entries = sum(len(v) for v in day.talk.entries.values())
    report.counts["journal_authors"] = len(day.talk.entries)
    if not report.rag_enabled:
        return (f"{entries} journal entries kept; the knowledge base is off",)
    by_id = {a.id: a for a in day.staff.values()}
    loads = [
        load
        for agent_id, written in day.talk.entries.items()
        for load in _loads(day, by_id[agent_id], written)
    ]
    await asyncio.gather(*loads)
    notes = await _lookups(day)
    return (
        f"{entries} journal entries -> {report.counts['chunks']} chunks "
        f"({report.embedding_dimensions} dimensions); mentor lookups:",
        *notes,
    )


def _loads(day: Day, agent: Agent, written: list[JournalEntry]) -> list[Awaitable[object]]:
    """An agent's entries as its sources: learnings to their own index, the rest to journals."""
    report = day.report
    dims = report.embedding_dimensions
    loads: list[Awaitable[object]] = []
    for kind in rag.MENTOR_TYPES:
        chosen = [
            e
            for e in written
            if (e.type is JournalEntryType.LEARNING) == (kind is IndexType.LEARNINGS)
        ]
        if not chosen:
            continue
        chunks = [
            rag.ChunkIn(
                content=f"{e.title}\n\n{e.content}",
                embedding=hash_embedding(f"{e.title} {e.content}", dims),
                metadata={
                    "agent_id": str(agent.id),
                    "entry_id": str(e.id),
                    "type": e.type.value,
                    "task_id": str(e.task_id) if e.task_id else None,
                    "day": report.day,
                },
            )
            for e in chosen
        ]
        report.counts["chunks"] += len(chunks)
        loads.append(
            rag.replace_source(
                day.pool,
                kind,
                f"{kind.value}/{agent.slug}/{day.slug}",
                chunks,
                title=f"{agent.name}, day {report.day}",
                extra_data={"agent_id": str(agent.id), "day": report.day},
            )
        )
    return loads


async def _lookups(day: Day) -> list[str]:
    """Three agents ask the knowledge base; each must find only its own entries."""
    report = day.report
    reworked = next(
        (
            day.staff_by_id(a)
            for a, written in day.talk.entries.items()
            if any(e.type is JournalEntryType.STRUGGLE for e in written)
        ),
        day.agent("ux-dev-1"),
    )
    questions = {  # the embedder matches words, so the questions use the entries' words
        reworked.slug: "the review sent it back for revision; what did I fix",
        "ux-qa": "layout overflows on narrow screens at 320 px",
        "ceo": "approved the pricing change; billing tests cover the edge cases",
    }
    notes = []
    for slug, question in questions.items():
        agent = day.agent(slug)
        hits = await rag.mentor_lookup(
            day.pool, agent.id, hash_embedding(question, report.embedding_dimensions), k=3
        )
        if any(h.metadata.get("agent_id") != str(agent.id) for h in hits):
            raise RobocoSQLError(f"mentor lookup for {slug} returned another agent's entries")
        best = hits[0].content.splitlines()[0] if hits else None
        report.mentor.append(
            {
                "agent": slug,
                "question": question,
                "hits": len(hits),
                "best": best,
                "score": round(hits[0].score, 4) if hits else None,
            }
        )
        notes.append(
            f"{slug}: {len(hits)} own entries, best {best!r} ({hits[0].score:.2f})"
            if hits
            else f"{slug}: nothing found"
        )
    return notes
