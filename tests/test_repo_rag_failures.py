"""roboco_sql.repos.rag_failures against a real database: the RAG index dead letter."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.repos import rag_failures as rag

Conn = AsyncConnection[Any]
PAYLOAD = {"content": "learned a thing", "entry_type": "learning", "tags": ["db"]}


async def test_enqueue_due_bump_with_backoff_and_delete(conn: Conn) -> None:
    f = await rag.enqueue_rag_failure(conn, "journal_entry", PAYLOAD, "429 " + "x" * 9000)
    assert f.attempts == 1 and f.payload == PAYLOAD and len(f.last_error) == 8000
    first_wait = (f.next_retry_at - f.created_at).total_seconds()
    assert first_wait == pytest.approx(60, abs=1)
    assert await rag.count_rag_failures(conn) == 1
    assert await rag.due_rag_failures(conn) == []  # not due for a minute
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    assert [d.id for d in await rag.due_rag_failures(conn, now=later)] == [f.id]

    waits = []
    for _ in range(8):
        bumped = await rag.bump_rag_failure(conn, f.id, "still down")
        assert bumped is not None
        cur = await conn.execute("SELECT now()")
        row = await cur.fetchone()
        assert row is not None
        waits.append(round((bumped.next_retry_at - row[0]).total_seconds()))
    assert waits == [120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert bumped is not None
    assert bumped.attempts == 9 and bumped.last_error == "still down"

    assert await rag.delete_rag_failure(conn, f.id) is True
    assert await rag.delete_rag_failure(conn, f.id) is False
    assert await rag.bump_rag_failure(conn, f.id, "gone") is None
    assert await rag.count_rag_failures(conn) == 0


async def test_due_are_earliest_first_and_payload_is_jsonb(conn: Conn) -> None:
    a = await rag.enqueue_rag_failure(conn, "journal_entry", {"n": 1}, "e")
    b = await rag.enqueue_rag_failure(conn, "completion_learning", {"n": 2}, "e")
    await conn.execute(
        "UPDATE rag_index_failures SET next_retry_at = now() - interval '1 hour' WHERE id = %s",
        (b.id,),
    )
    await conn.execute(
        "UPDATE rag_index_failures SET next_retry_at = now() - interval '1 minute' WHERE id = %s",
        (a.id,),
    )
    assert [d.id for d in await rag.due_rag_failures(conn)] == [b.id, a.id]
    assert [d.id for d in await rag.due_rag_failures(conn, limit=1)] == [b.id]
    cur = await conn.execute("SELECT pg_typeof(payload)::text FROM rag_index_failures LIMIT 1")
    assert await cur.fetchone() == ("jsonb",)


async def test_bad_input_is_refused(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="doc_source"):
        await rag.enqueue_rag_failure(conn, "x" * 33, {}, "e")
    with pytest.raises(ValidationError, match="timezone"):
        await rag.due_rag_failures(conn, now=dt.datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="limit"):
        await rag.due_rag_failures(conn, limit=0)
    with pytest.raises(ValidationError):
        async with conn.transaction():
            await rag.enqueue_rag_failure(conn, "journal_entry", {"bad": "\x00"}, "e")
    assert await rag.bump_rag_failure(conn, uuid.uuid4(), "e") is None
