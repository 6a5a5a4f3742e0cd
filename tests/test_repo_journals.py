"""Journals against a real database: one per agent, entries and their tallies, by kind.

Every test runs at head and at 059_x_credentials (journal_entries still has session_id there,
which RoboCo's 060_drop_messaging drops): the same statements serve both.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.enums import JournalEntryType
from roboco_sql.models.journal import JournalEntryCreate
from roboco_sql.repos import journals
from tests.fix_rows import make_agent, make_task

Conn = AsyncConnection[Any]
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["head", "059"])
def url(request: pytest.FixtureRequest) -> str:
    """A fresh database at head, then one at 059_x_credentials."""
    return str(request.getfixturevalue("db_url" if request.param == "head" else "db059_url"))


@pytest.fixture
async def conn(url: str) -> AsyncIterator[Conn]:
    """Autocommit, so what a failed call leaves behind is really there to count."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as c:
        yield c


async def count(conn: Conn, table: str) -> int:
    cur = await conn.execute(f"SELECT count(*) FROM {table}")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


def entry(journal_id: uuid.UUID, kind: JournalEntryType, **kw: Any) -> JournalEntryCreate:
    fields: dict[str, Any] = {
        "journal_id": journal_id,
        "type": kind,
        "title": f"A {kind}",
        "content": "# notes",
        "timestamp": T0,
    }
    fields.update(kw)
    return JournalEntryCreate(**fields)


async def test_get_or_create_makes_one_journal_per_agent(conn: Conn) -> None:
    agent = await make_agent(conn)
    assert await journals.get_journal_by_agent(conn, agent) is None
    journal = await journals.get_or_create_journal(conn, agent)
    assert journal.agent_id == agent and journal.total_entries == 0
    assert journal.entries_by_type == {} and journal.last_entry_at is None
    assert await journals.get_or_create_journal(conn, agent) == journal
    assert await journals.get_journal(conn, journal.id) == journal
    assert await journals.get_journal_by_agent(conn, agent) == journal
    assert await journals.get_journal(conn, uuid.uuid4()) is None
    assert await count(conn, "journals") == 1


async def test_get_or_create_is_race_safe(conn: Conn, url: str) -> None:
    agent = await make_agent(conn)
    others = [await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(4)]
    try:
        made = await asyncio.gather(*(journals.get_or_create_journal(c, agent) for c in others))
    finally:
        for c in others:
            await c.close()
    assert len({j.id for j in made}) == 1
    assert await count(conn, "journals") == 1


async def test_get_or_create_for_missing_agent_is_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound, match=r"journal: no agents row with agent_id="):
        await journals.get_or_create_journal(conn, uuid.uuid4())
    assert await count(conn, "journals") == 0


async def test_add_entry_updates_the_journals_tallies(conn: Conn) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    learned = await journals.add_entry(
        conn, entry(journal.id, JournalEntryType.LEARNING, tags=["sql", "keyset"])
    )
    assert learned.sentiment == "positive" and learned.tags == ["sql", "keyset"]
    assert learned.type is JournalEntryType.LEARNING and not learned.is_private
    later = T0 + dt.timedelta(hours=1)
    await journals.add_entry(conn, entry(journal.id, JournalEntryType.LEARNING, timestamp=later))
    struggle = await journals.add_entry(conn, entry(journal.id, JournalEntryType.STRUGGLE))
    assert struggle.sentiment == "frustrated"
    plain = await journals.add_entry(
        conn, entry(journal.id, JournalEntryType.GENERAL, sentiment=None)
    )
    assert plain.sentiment is None

    tallied = await journals.get_journal(conn, journal.id)
    assert tallied is not None
    assert tallied.total_entries == 4 and tallied.last_entry_at == later
    assert tallied.entries_by_type == {"learning": 2, "struggle": 1, "general": 1}
    assert tallied.updated_at is not None
    assert await journals.get_entry(conn, learned.id) == learned
    assert await journals.get_entry(conn, uuid.uuid4()) is None


async def test_add_entry_refusals_write_nothing(conn: Conn) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    with pytest.raises(NotFound, match=r"journal entry: no journals row with journal_id="):
        await journals.add_entry(conn, entry(uuid.uuid4(), JournalEntryType.GENERAL))
    with pytest.raises(NotFound, match=r"no tasks row with task_id="):
        await journals.add_entry(
            conn, entry(journal.id, JournalEntryType.GENERAL, task_id=uuid.uuid4())
        )
    with pytest.raises(pydantic.ValidationError, match="session_id"):
        entry(journal.id, JournalEntryType.GENERAL, session_id=uuid.uuid4())  # gone since 060
    with pytest.raises(pydantic.ValidationError, match="title"):
        entry(journal.id, JournalEntryType.GENERAL, title="x" * 201)
    assert await count(conn, "journal_entries") == 0
    untouched = await journals.get_journal(conn, journal.id)
    assert untouched is not None and untouched.total_entries == 0
    assert untouched.entries_by_type == {}


async def test_list_entries_by_kind_newest_first(conn: Conn) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    other = await journals.get_or_create_journal(conn, await make_agent(conn, "be-dev-2"))
    made = []
    for i, kind in enumerate(
        [
            JournalEntryType.LEARNING,
            JournalEntryType.DECISION_LOG,
            JournalEntryType.LEARNING,
            JournalEntryType.LEARNING,
        ]
    ):
        made.append(
            await journals.add_entry(
                conn,
                entry(
                    journal.id,
                    kind,
                    timestamp=T0 + dt.timedelta(minutes=i),
                    is_private=i == 3,
                ),
            )
        )
    await journals.add_entry(conn, entry(other.id, JournalEntryType.LEARNING))

    every = await journals.list_entries(conn, journal.id)
    assert [e.id for e in every] == [e.id for e in reversed(made)]
    learning = await journals.list_entries(conn, journal.id, type=JournalEntryType.LEARNING)
    assert [e.id for e in learning] == [made[3].id, made[2].id, made[0].id]
    public = await journals.list_entries(
        conn, journal.id, type=JournalEntryType.LEARNING, include_private=False
    )
    assert [e.id for e in public] == [made[2].id, made[0].id]
    page = await journals.list_entries(
        conn,
        journal.id,
        type=JournalEntryType.LEARNING,
        before=(made[2].timestamp, made[2].id),
        limit=5,
    )
    assert [e.id for e in page] == [made[0].id]
    assert await journals.list_entries(conn, journal.id, type=JournalEntryType.STRUGGLE) == []
    with pytest.raises(ValidationError, match="limit"):
        await journals.list_entries(conn, journal.id, limit=0)


async def test_list_entries_about_one_task(conn: Conn) -> None:
    agent = await make_agent(conn)
    journal = await journals.get_or_create_journal(conn, agent)
    task_id = await make_task(conn, agent)
    about = await journals.add_entry(
        conn, entry(journal.id, JournalEntryType.DECISION_LOG, task_id=task_id)
    )
    await journals.add_entry(conn, entry(journal.id, JournalEntryType.DECISION_LOG))
    assert about.task_id == task_id
    assert await journals.list_entries(conn, journal.id, task_id=task_id) == [about]
    assert len(await journals.list_entries(conn, journal.id)) == 2


async def test_entries_leave_the_old_session_column_empty_below_060(conn: Conn) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    made = await journals.add_entry(conn, entry(journal.id, JournalEntryType.GENERAL))
    cur = await conn.execute(
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'journal_entries'::regclass"
        " AND attname = 'session_id' AND NOT attisdropped"
    )
    row = await cur.fetchone()
    assert row is not None
    if row[0]:  # at 059 the column is there, and RoboCo leaves it NULL
        cur = await conn.execute("SELECT session_id FROM journal_entries WHERE id = %s", (made.id,))
        assert await cur.fetchone() == (None,)
    assert await journals.get_entry(conn, made.id) == made
