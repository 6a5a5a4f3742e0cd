"""Journals against a real database: one per agent, entries and their tallies, by kind.

Every test runs at head and at 059_x_credentials (journal_entries still has session_id there,
which RoboCo's 060_drop_messaging drops): the same statements serve both.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.enums import AgentRole, JournalEntryType
from roboco_sql.models.journal import JournalEntryCreate
from roboco_sql.repos import journals
from tests.fix_conn import autocommit, count
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
    async with autocommit(url) as c:
        yield c


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


async def test_list_entries_pages_by_offset_as_roboco_does(conn: Conn) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    made = [
        await journals.add_entry(
            conn,
            entry(journal.id, JournalEntryType.GENERAL, timestamp=T0 + dt.timedelta(minutes=i)),
        )
        for i in range(5)
    ]
    newest_first = [e.id for e in reversed(made)]
    page = await journals.list_entries(conn, journal.id, offset=2, limit=2)
    assert [e.id for e in page] == newest_first[2:4]
    assert [e.id for e in await journals.list_entries(conn, journal.id, offset=4)] == [made[0].id]
    assert await journals.list_entries(conn, journal.id, offset=5) == []
    with pytest.raises(ValidationError, match="offset"):
        await journals.list_entries(conn, journal.id, offset=-1)


async def test_delete_entry_takes_it_off_the_tallies(conn: Conn) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    learned = await journals.add_entry(conn, entry(journal.id, JournalEntryType.LEARNING))
    await journals.add_entry(conn, entry(journal.id, JournalEntryType.LEARNING))
    struggle = await journals.add_entry(conn, entry(journal.id, JournalEntryType.STRUGGLE))

    assert await journals.delete_entry(conn, learned.id) == learned
    assert await journals.delete_entry(conn, struggle.id) == struggle
    assert await journals.delete_entry(conn, struggle.id) is None
    assert await journals.get_entry(conn, learned.id) is None
    tallied = await journals.get_journal(conn, journal.id)
    assert tallied is not None and tallied.total_entries == 1
    assert tallied.entries_by_type == {"learning": 1, "struggle": 0}
    assert await count(conn, "journal_entries") == 1


async def _with_role(conn: Conn, slug: str, role: str) -> uuid.UUID:
    agent = await make_agent(conn, slug)
    await conn.execute("UPDATE agents SET role = %s WHERE id = %s", (role, agent))
    return agent


async def test_task_highlights_name_each_author_oldest_first(conn: Conn) -> None:
    po = await _with_role(conn, "po", "product_owner")
    pm = await _with_role(conn, "main-pm", "main_pm")
    dev = await _with_role(conn, "be-dev-1", "developer")
    root = await make_task(conn, po)
    leaf = await make_task(conn, pm)
    await conn.execute("UPDATE tasks SET parent_task_id = %s WHERE id = %s", (root, leaf))
    pj, mj, dj = [await journals.get_or_create_journal(conn, a) for a in (po, pm, dev)]

    def at(minutes: int) -> dt.datetime:
        return T0 + dt.timedelta(minutes=minutes)

    analysis = await journals.add_entry(
        conn,
        entry(
            pj.id, JournalEntryType.DECISION_LOG, task_id=root, content="x" * 900, timestamp=at(0)
        ),
    )
    split = await journals.add_entry(
        conn, entry(mj.id, JournalEntryType.DECISION_LOG, task_id=leaf, timestamp=at(2))
    )
    note = await journals.add_entry(
        conn,
        entry(dj.id, JournalEntryType.GENERAL, task_id=leaf, timestamp=at(1), is_private=True),
    )
    await journals.add_entry(  # personal kinds are not handoff
        conn, entry(dj.id, JournalEntryType.STRUGGLE, task_id=leaf, timestamp=at(3))
    )

    own = await journals.list_task_highlights(conn, leaf)
    assert [(h.entry_id, h.author_slug, h.author_role) for h in own] == [
        (note.id, "be-dev-1", AgentRole.DEVELOPER),
        (split.id, "main-pm", AgentRole.MAIN_PM),
    ]
    assert own[0].author_id == dev and own[0].task_id == leaf and own[0].title == note.title

    chain = await journals.list_task_highlights(conn, leaf, include_ancestors=True, content_cap=800)
    assert [h.entry_id for h in chain] == [analysis.id, note.id, split.id]
    assert chain[0].task_id == root and len(chain[0].content) == 800

    board = await journals.list_task_highlights(
        conn,
        root,
        types=[JournalEntryType.DECISION_LOG],
        roles=journals.BOARD_REVIEW_ROLES,
        limit=20,
    )
    assert [(h.author_slug, h.author_role, len(h.content)) for h in board] == [
        ("po", AgentRole.PRODUCT_OWNER, 900)
    ]
    assert await journals.list_task_highlights(conn, leaf, roles=journals.BOARD_REVIEW_ROLES) == []
    # a parent cycle stops the walk instead of looping
    await conn.execute("UPDATE tasks SET parent_task_id = %s WHERE id = %s", (leaf, root))
    looped = await journals.list_task_highlights(conn, leaf, include_ancestors=True)
    assert [h.entry_id for h in looped] == [analysis.id, note.id, split.id]
    bad: Mapping[str, object]
    for bad in (
        {"types": []},
        {"roles": []},
        {"content_cap": 0},
        {"limit": 0},
        {"types": ["diary"]},
        {"roles": ["intern"]},
    ):
        with pytest.raises(ValidationError):
            await journals.list_task_highlights(conn, leaf, **bad)


async def test_journal_gate_checks_per_agent_and_task(conn: Conn) -> None:
    pm = await make_agent(conn, "main-pm")
    other = await make_agent(conn, "be-pm")
    task_id = await make_task(conn, pm)
    second = await make_task(conn, pm)
    journal = await journals.get_or_create_journal(conn, pm)
    theirs = await journals.get_or_create_journal(conn, other)
    kind = JournalEntryType
    assert not await journals.has_entry_for_task(conn, pm, task_id, kind.DECISION_LOG)
    assert await journals.latest_entry_for_task_at(conn, pm, task_id) is None

    early = dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)
    late = early + dt.timedelta(hours=2)
    for made in (early, late):
        await journals.add_entry(
            conn, entry(journal.id, kind.DECISION_LOG, task_id=task_id, created_at=made)
        )
    await journals.add_entry(conn, entry(journal.id, kind.GENERAL, task_id=second))
    await journals.add_entry(conn, entry(theirs.id, kind.LEARNING, task_id=task_id))

    assert await journals.has_entry_for_task(conn, pm, task_id, kind.DECISION_LOG)
    assert await journals.has_entry_for_task(conn, pm, second, kind.GENERAL)
    assert not await journals.has_entry_for_task(conn, pm, task_id, kind.GENERAL)
    assert not await journals.has_entry_for_task(conn, pm, task_id, kind.LEARNING)
    assert await journals.has_entry_for_task(conn, other, task_id, kind.LEARNING)
    assert await journals.latest_entry_for_task_at(conn, pm, task_id) == late
    assert await journals.latest_entry_for_task_at(conn, pm, second) is None
    assert await journals.latest_entry_for_task_at(conn, pm, second, kind.GENERAL) is not None

    # entries are timestamped T0; "recent" is measured back from now
    assert await journals.has_recent_entry(conn, pm, 60, now=T0 + dt.timedelta(seconds=30))
    assert not await journals.has_recent_entry(conn, pm, 60, now=T0 + dt.timedelta(seconds=90))
    assert not await journals.has_recent_entry(conn, uuid.uuid4(), 60, now=T0)
    await journals.add_entry(
        conn, entry(journal.id, kind.GENERAL, timestamp=dt.datetime.now(dt.UTC))
    )
    assert await journals.has_recent_entry(conn, pm, 60)
    with pytest.raises(ValidationError, match="within_seconds"):
        await journals.has_recent_entry(conn, pm, 0)
    with pytest.raises(ValidationError, match="type"):
        await journals.has_entry_for_task(conn, pm, task_id, "diary")  # type: ignore[arg-type]


async def test_count_resolved_struggles(conn: Conn) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    kind = JournalEntryType
    await journals.add_entry(
        conn, entry(journal.id, kind.STRUGGLE, content="## Struggle\n\n## Resolution\nfixed")
    )
    await journals.add_entry(conn, entry(journal.id, kind.STRUGGLE, content="## Struggle"))
    await journals.add_entry(conn, entry(journal.id, kind.LEARNING, content="## Resolution"))
    assert await journals.count_resolved_struggles(conn, journal.id) == 1
    assert await journals.count_resolved_struggles(conn, uuid.uuid4()) == 0


async def test_concurrent_entries_are_all_tallied(conn: Conn, url: str) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    kinds = [JournalEntryType.LEARNING] * 3 + [JournalEntryType.STRUGGLE] * 3
    others = [await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in kinds]
    try:
        await asyncio.gather(
            *(
                journals.add_entry(c, entry(journal.id, k))
                for c, k in zip(others, kinds, strict=True)
            )
        )
    finally:
        for c in others:
            await c.close()
    tallied = await journals.get_journal(conn, journal.id)
    assert tallied is not None and tallied.total_entries == 6
    assert tallied.entries_by_type == {"learning": 3, "struggle": 3}


async def test_learning_topics_recur_or_fall_back_to_the_newest(conn: Conn) -> None:
    journal = await journals.get_or_create_journal(conn, await make_agent(conn))
    kind = JournalEntryType
    await journals.add_entry(conn, entry(journal.id, kind.LEARNING, title="Retry flaky CI"))
    newest = T0 + dt.timedelta(hours=1)
    await journals.add_entry(
        conn, entry(journal.id, kind.LEARNING, title="Pin versions", timestamp=newest)
    )
    fresh = await journals.learning_topics(conn)
    assert [(t.title, t.count) for t in fresh] == [("Pin versions", 1), ("Retry flaky CI", 1)]
    await journals.add_entry(conn, entry(journal.id, kind.LEARNING, title="Retry flaky CI"))
    await journals.add_entry(  # private and other kinds never count
        conn, entry(journal.id, kind.LEARNING, title="Pin versions", is_private=True)
    )
    await journals.add_entry(conn, entry(journal.id, kind.STRUGGLE, title="Pin versions"))
    topics = await journals.learning_topics(conn)
    assert [(t.title, t.count) for t in topics] == [("Retry flaky CI", 2)]
    with pytest.raises(ValidationError, match="min_count"):
        await journals.learning_topics(conn, min_count=0)


async def test_task_entry_times(conn: Conn) -> None:
    agent = await make_agent(conn)
    journal = await journals.get_or_create_journal(conn, agent)
    task_a, task_b = await make_task(conn, agent), await make_task(conn, agent)
    later = T0 + dt.timedelta(minutes=5)
    await journals.add_entry(
        conn, entry(journal.id, JournalEntryType.GENERAL, task_id=task_a, timestamp=later)
    )
    await journals.add_entry(conn, entry(journal.id, JournalEntryType.GENERAL, task_id=task_a))
    await journals.add_entry(conn, entry(journal.id, JournalEntryType.GENERAL, task_id=task_b))
    times = await journals.list_task_entry_times(conn, [task_a])
    assert [(t.task_id, t.timestamp) for t in times] == [(task_a, T0), (task_a, later)]
    assert len(await journals.list_task_entry_times(conn, [task_a, task_b])) == 3
    assert await journals.list_task_entry_times(conn, []) == []


async def test_task_highlights_walk_at_most_sixteen_ancestors(conn: Conn) -> None:
    agent = await make_agent(conn)
    journal = await journals.get_or_create_journal(conn, agent)
    chain = [await make_task(conn, agent) for _ in range(journals.MAX_ANCESTOR_DEPTH + 2)]
    for child, parent in itertools.pairwise(chain):  # chain[0] is the leaf
        await conn.execute("UPDATE tasks SET parent_task_id = %s WHERE id = %s", (parent, child))
    for task_id in chain:
        await journals.add_entry(conn, entry(journal.id, JournalEntryType.GENERAL, task_id=task_id))
    seen = await journals.list_task_highlights(conn, chain[0], include_ancestors=True)
    assert {h.task_id for h in seen} == set(chain[: journals.MAX_ANCESTOR_DEPTH + 1])
