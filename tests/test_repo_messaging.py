"""Channels, groups, sessions, session-task links and messages against a real database.

RoboCo's 060_drop_messaging drops these tables, so the tests run on a database pinned at
059_x_credentials; the last ones check that at head every function refuses with SchemaGone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound, SchemaGone, ValidationError
from roboco_sql.models.enums import (
    AgentRole,
    ChannelType,
    MessageType,
    SessionStatus,
    TaskStatus,
    Team,
)
from roboco_sql.models.messaging import (
    ChannelCreate,
    ChannelUpdate,
    GroupCreate,
    MessageCreate,
    SessionCreate,
    SessionTaskCreate,
    SessionTaskRelationship,
)
from roboco_sql.repos import channels, messages, sessions
from tests.fix_conn import autocommit, count
from tests.fix_rows import make_agent, make_task

Conn = AsyncConnection[Any]
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
async def conn(db059_url: str) -> AsyncIterator[Conn]:
    """At 059 (the messaging tables exist); autocommit, so what a failed call leaves behind is
    really there to count."""
    async with autocommit(db059_url) as c:
        yield c


@pytest.fixture
async def head(db_url: str) -> AsyncIterator[Conn]:
    """At head, past 060_drop_messaging; autocommit, so each refused call stands alone."""
    async with autocommit(db_url) as c:
        yield c


# -- rows other aggregates own, written directly so this file depends on no other repo ----------


async def _scalar(conn: Conn, sql: str, *args: object) -> Any:
    cur = await conn.execute(sql, args)
    row = await cur.fetchone()
    assert row is not None
    return row[0]


async def room(conn: Conn, slug: str = "backend-cell") -> tuple[Any, Any, Any]:
    """A channel, a group in it and an open session in that group."""
    channel = await channels.create_channel(
        conn, ChannelCreate(name=f"#{slug}", slug=slug, type=ChannelType.CELL)
    )
    group = await channels.create_group(conn, GroupCreate(name="devs", channel_id=channel.id))
    session = await sessions.open_session(
        conn, SessionCreate(group_id=group.id, started_at=T0, last_activity_at=T0)
    )
    return channel, group, session


def msg(agent: uuid.UUID, channel: Any, group: Any, session: Any, **kw: Any) -> MessageCreate:
    fields: dict[str, Any] = {
        "agent_id": agent,
        "channel_id": channel.id,
        "group_id": group.id,
        "session_id": session.id,
        "type": MessageType.DIALOGUE,
        "content": "hello there",
        "timestamp": T0,
    }
    fields.update(kw)
    return MessageCreate(**fields)


# -- channels ----------------------------------------------------------------------------------


async def test_create_and_get_channel(conn: Conn) -> None:
    made = await channels.create_channel(
        conn,
        ChannelCreate(
            name="#backend-cell", slug="backend-cell", type=ChannelType.CELL, topic="APIs"
        ),
    )
    assert made.message_count == 0 and made.group_count == 0 and not made.is_archived
    assert made.members == [] and made.message_retention_days == 90
    assert await channels.get_channel(conn, made.id) == made
    assert await channels.get_channel_by_slug(conn, "backend-cell") == made
    assert await channels.get_channel_by_slug(conn, "#backend-cell") == made
    assert await channels.get_channel_by_name(conn, "#backend-cell") == made
    assert await channels.get_channel(conn, uuid.uuid4()) is None
    assert await channels.get_channel_by_slug(conn, "nope") is None
    assert await channels.get_channel_by_name(conn, "nope") is None


async def test_duplicate_channel_slug_is_a_conflict_naming_it(conn: Conn) -> None:
    await channels.create_channel(conn, ChannelCreate(name="a", slug="dup", type=ChannelType.CELL))
    with pytest.raises(Conflict, match=r"channel with slug=dup already exists"):
        await channels.create_channel(
            conn, ChannelCreate(name="b", slug="dup", type=ChannelType.SPECIAL)
        )
    assert await count(conn, "channels") == 1


async def test_invalid_channel_is_refused_before_sql(conn: Conn) -> None:
    with pytest.raises(pydantic.ValidationError):
        ChannelCreate(name="Has Spaces", slug="ok", type=ChannelType.CELL)
    with pytest.raises(pydantic.ValidationError):
        ChannelCreate(name="ok", slug="ok", type=ChannelType.CELL, max_message_length=0)
    with pytest.raises(ValidationError, match="limit"):
        await channels.list_channels(conn, limit=0)
    assert await count(conn, "channels") == 0


async def test_list_channels_filters_and_pages(conn: Conn) -> None:
    for slug, kind in [
        ("c-1", ChannelType.CELL),
        ("c-2", ChannelType.CELL),
        ("m-1", ChannelType.MANAGEMENT),
    ]:
        await channels.create_channel(conn, ChannelCreate(name=slug, slug=slug, type=kind))
    archived = await channels.get_channel_by_slug(conn, "c-2")
    assert archived is not None
    await channels.update_channel(conn, archived.id, ChannelUpdate(is_archived=True))

    assert [c.slug for c in await channels.list_channels(conn)] == ["c-1", "m-1"]
    every = await channels.list_channels(conn, include_archived=True)
    assert [c.slug for c in every] == ["c-1", "c-2", "m-1"]
    cells = await channels.list_channels(conn, type=ChannelType.CELL, include_archived=True)
    assert [c.slug for c in cells] == ["c-1", "c-2"]
    page = await channels.list_channels(conn, include_archived=True, after_slug="c-1", limit=1)
    assert [c.slug for c in page] == ["c-2"]


async def test_update_channel_writes_only_what_the_patch_set(conn: Conn) -> None:
    member = uuid.uuid4()
    made = await channels.create_channel(
        conn,
        ChannelCreate(name="x", slug="x", type=ChannelType.CELL, description="d", topic="t"),
    )
    updated = await channels.update_channel(
        conn, made.id, ChannelUpdate(description=None, members=[member], max_message_length=5)
    )
    assert updated.description is None and updated.members == [member]
    assert updated.max_message_length == 5
    assert updated.topic == "t" and updated.name == "x" and updated.writers == []
    assert updated.updated_at is not None
    with pytest.raises(pydantic.ValidationError):
        ChannelUpdate(name=None)
    with pytest.raises(NotFound, match="channel"):
        await channels.update_channel(conn, uuid.uuid4(), ChannelUpdate(topic="t"))


# -- groups ------------------------------------------------------------------------------------


async def test_create_group_counts_it_on_the_channel(conn: Conn) -> None:
    channel = await channels.create_channel(
        conn, ChannelCreate(name="c", slug="c", type=ChannelType.CELL)
    )
    group = await channels.create_group(
        conn,
        GroupCreate(
            name="leads",
            channel_id=channel.id,
            hierarchy_level=3,
            allowed_roles=[AgentRole.CELL_PM],
            default_session_config={"timeout_seconds": 600},
        ),
    )
    assert group.allowed_roles == ["cell_pm"] and group.hierarchy_level == 3
    assert group.default_session_config == {"timeout_seconds": 600}
    assert group.total_sessions == 0 and group.active_session_id is None
    assert await channels.get_group(conn, group.id) == group
    assert await channels.get_group(conn, uuid.uuid4()) is None
    after = await channels.get_channel(conn, channel.id)
    assert after is not None and after.group_count == 1


async def test_create_group_in_missing_channel_is_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound, match=r"group: no channels row with channel_id="):
        await channels.create_group(conn, GroupCreate(name="g", channel_id=uuid.uuid4()))
    with pytest.raises(pydantic.ValidationError):
        GroupCreate(name="g", channel_id=uuid.uuid4(), hierarchy_level=5)
    assert await count(conn, "groups") == 0


async def test_list_groups_by_hierarchy_then_name(conn: Conn) -> None:
    channel = await channels.create_channel(
        conn, ChannelCreate(name="c", slug="c", type=ChannelType.CELL)
    )
    other = await channels.create_channel(
        conn, ChannelCreate(name="o", slug="o", type=ChannelType.CELL)
    )
    for name, level, active in [("zeta", 1, True), ("alpha", 4, True), ("beta", 1, False)]:
        await channels.create_group(
            conn,
            GroupCreate(name=name, channel_id=channel.id, hierarchy_level=level, is_active=active),
        )
    await channels.create_group(conn, GroupCreate(name="elsewhere", channel_id=other.id))
    assert [g.name for g in await channels.list_groups(conn, channel.id)] == ["zeta", "alpha"]
    every = await channels.list_groups(conn, channel.id, include_inactive=True)
    assert [g.name for g in every] == ["beta", "zeta", "alpha"]


# -- sessions ----------------------------------------------------------------------------------


async def test_open_session_makes_it_the_groups_live_one(conn: Conn) -> None:
    _, group, session = await room(conn)
    assert session.status is SessionStatus.ACTIVE and session.message_count == 0
    assert session.max_time_window == dt.timedelta(minutes=30)
    live = await channels.get_group(conn, group.id)
    assert live is not None
    assert live.active_session_id == session.id and live.total_sessions == 1
    assert live.last_activity == T0
    assert await sessions.get_session(conn, session.id) == session
    assert await sessions.get_active_session(conn, group.id) == session
    assert await sessions.get_session(conn, uuid.uuid4()) is None


async def test_open_session_in_missing_group_is_not_found(conn: Conn) -> None:
    with pytest.raises(NotFound, match=r"session: no groups row with group_id="):
        await sessions.open_session(conn, SessionCreate(group_id=uuid.uuid4()))
    with pytest.raises(pydantic.ValidationError):
        SessionCreate(group_id=uuid.uuid4(), max_message_count=0)
    assert await count(conn, "sessions") == 0


async def test_close_session_unhooks_it_and_refuses_a_second_close(conn: Conn) -> None:
    _, group, session = await room(conn)
    closed = await sessions.close_session(conn, session.id, closed_at=T0)
    assert closed.status is SessionStatus.CLOSED and closed.closed_at == T0
    live = await channels.get_group(conn, group.id)
    assert live is not None and live.active_session_id is None
    assert await sessions.get_active_session(conn, group.id) is None
    with pytest.raises(Conflict, match="already closed"):
        await sessions.close_session(conn, session.id, status=SessionStatus.TIMED_OUT)
    with pytest.raises(NotFound, match="session"):
        await sessions.close_session(conn, uuid.uuid4())
    with pytest.raises(ValidationError, match="closed or timed_out"):
        await sessions.close_session(conn, session.id, status=SessionStatus.ACTIVE)


async def test_closing_an_older_session_keeps_the_newer_one_live(conn: Conn) -> None:
    _, group, first = await room(conn)
    second = await sessions.open_session(
        conn, SessionCreate(group_id=group.id, started_at=T0 + dt.timedelta(hours=1))
    )
    timed_out = await sessions.close_session(conn, first.id, status=SessionStatus.TIMED_OUT)
    assert timed_out.status is SessionStatus.TIMED_OUT
    live = await channels.get_group(conn, group.id)
    assert live is not None
    assert live.active_session_id == second.id and live.total_sessions == 2


async def test_list_sessions_newest_first_with_status_and_keyset(conn: Conn) -> None:
    _, group, first = await room(conn)
    later = [
        await sessions.open_session(
            conn, SessionCreate(group_id=group.id, started_at=T0 + dt.timedelta(minutes=i))
        )
        for i in (1, 2)
    ]
    await sessions.close_session(conn, later[0].id)
    listed = await sessions.list_sessions(conn, group.id)
    assert [s.id for s in listed] == [later[1].id, later[0].id, first.id]
    active = await sessions.list_sessions(conn, group.id, status=SessionStatus.ACTIVE)
    assert [s.id for s in active] == [later[1].id, first.id]
    page = await sessions.list_sessions(
        conn, group.id, before=(later[1].started_at, later[1].id), limit=1
    )
    assert [s.id for s in page] == [later[0].id]


# -- session-task links ------------------------------------------------------------------------


async def test_link_tasks_and_find_the_primary_session(conn: Conn) -> None:
    agent = await make_agent(conn)
    task = await make_task(conn, agent)
    _, group, session = await room(conn)
    other = await sessions.open_session(conn, SessionCreate(group_id=group.id))
    link = await sessions.link_task(
        conn,
        SessionTaskCreate(session_id=session.id, task_id=task, is_primary=True, added_by=agent),
    )
    assert link.is_primary and link.relationship_type == "discussion"
    review = await sessions.link_task(
        conn,
        SessionTaskCreate(
            session_id=other.id, task_id=task, relationship_type=SessionTaskRelationship.REVIEW
        ),
    )
    primary = await sessions.get_primary_session(conn, task)
    assert primary is not None and primary.id == session.id
    assert await sessions.get_session_task(conn, session.id, task) == link
    assert await sessions.get_session_task(conn, session.id, uuid.uuid4()) is None
    assert await sessions.list_session_tasks(conn, session.id) == [link]
    assert {x.id for x in await sessions.list_task_sessions(conn, task)} == {link.id, review.id}
    reviews = await sessions.list_task_sessions(
        conn, task, relationship_type=SessionTaskRelationship.REVIEW
    )
    assert reviews == [review]
    assert await sessions.get_primary_session(conn, uuid.uuid4()) is None


async def test_link_conflicts_and_missing_rows(conn: Conn) -> None:
    agent = await make_agent(conn)
    task = await make_task(conn, agent)
    _, group, session = await room(conn)
    other = await sessions.open_session(conn, SessionCreate(group_id=group.id))
    await sessions.link_task(
        conn, SessionTaskCreate(session_id=session.id, task_id=task, is_primary=True)
    )
    with pytest.raises(Conflict, match=r"session_id, task_id"):
        await sessions.link_task(conn, SessionTaskCreate(session_id=session.id, task_id=task))
    with pytest.raises(Conflict, match=f"task {task} already has a primary session"):
        await sessions.link_task(
            conn, SessionTaskCreate(session_id=other.id, task_id=task, is_primary=True)
        )
    with pytest.raises(NotFound, match=r"no tasks row with task_id="):
        await sessions.link_task(
            conn, SessionTaskCreate(session_id=session.id, task_id=uuid.uuid4())
        )
    with pytest.raises(NotFound, match=r"no agents row with added_by="):
        await sessions.link_task(
            conn, SessionTaskCreate(session_id=other.id, task_id=task, added_by=uuid.uuid4())
        )
    with pytest.raises(pydantic.ValidationError):
        SessionTaskCreate(session_id=session.id, task_id=task, relationship_type="chat")  # type: ignore[arg-type]
    assert await count(conn, "session_tasks") == 1


async def test_set_primary_session_moves_it_or_changes_nothing(conn: Conn) -> None:
    agent = await make_agent(conn)
    task = await make_task(conn, agent)
    _, group, first = await room(conn)
    second = await sessions.open_session(conn, SessionCreate(group_id=group.id))
    third = await sessions.open_session(conn, SessionCreate(group_id=group.id))
    await sessions.link_task(
        conn, SessionTaskCreate(session_id=first.id, task_id=task, is_primary=True)
    )
    await sessions.link_task(conn, SessionTaskCreate(session_id=second.id, task_id=task))

    moved = await sessions.set_primary_session(conn, task, second.id)
    assert moved.session_id == second.id and moved.is_primary
    primary = await sessions.get_primary_session(conn, task)
    assert primary is not None and primary.id == second.id
    again = await sessions.set_primary_session(conn, task, second.id)
    assert again.is_primary

    with pytest.raises(NotFound, match="not linked"):
        await sessions.set_primary_session(conn, task, third.id)
    primary = await sessions.get_primary_session(conn, task)
    assert primary is not None and primary.id == second.id  # the failed move changed nothing


async def test_unlink_task(conn: Conn) -> None:
    agent = await make_agent(conn)
    task = await make_task(conn, agent)
    _, _, session = await room(conn)
    await sessions.link_task(conn, SessionTaskCreate(session_id=session.id, task_id=task))
    await sessions.unlink_task(conn, session.id, task)
    assert await sessions.get_session_task(conn, session.id, task) is None
    with pytest.raises(NotFound, match="not linked"):
        await sessions.unlink_task(conn, session.id, task)


# -- messages ----------------------------------------------------------------------------------


async def test_post_message_bumps_session_group_and_channel(conn: Conn) -> None:
    agent = await make_agent(conn)
    channel, group, session = await room(conn)
    later = T0 + dt.timedelta(minutes=5)
    first = await messages.post_message(conn, msg(agent, channel, group, session, content="hi"))
    assert first.content_length == 2 and first.edit_history == [] and first.mentions == []
    assert first.type is MessageType.DIALOGUE and first.edited_at is None
    await messages.post_message(
        conn,
        msg(
            agent,
            channel,
            group,
            session,
            content="reply!",
            timestamp=later,
            is_reply=True,
            reply_to=first.id,
            mentions=[agent],
        ),
    )
    await messages.post_message(conn, msg(agent, channel, group, session, content="x"))

    s = await sessions.get_session(conn, session.id)
    g = await channels.get_group(conn, group.id)
    c = await channels.get_channel(conn, channel.id)
    assert s is not None and g is not None and c is not None
    assert (s.message_count, s.total_content_length, s.last_activity_at) == (3, 9, later)
    assert (g.total_messages, g.last_activity) == (3, later)
    assert (c.message_count, c.last_activity) == (3, later)
    assert await messages.get_message(conn, first.id) == first
    assert await messages.get_message(conn, uuid.uuid4()) is None


async def test_post_message_to_missing_rows_writes_nothing(conn: Conn) -> None:
    agent = await make_agent(conn)
    channel, group, session = await room(conn)
    with pytest.raises(NotFound, match=r"message: no sessions row with session_id="):
        await messages.post_message(
            conn, msg(agent, channel, group, session, session_id=uuid.uuid4())
        )
    with pytest.raises(NotFound, match=r"message: no agents row with agent_id="):
        await messages.post_message(conn, msg(uuid.uuid4(), channel, group, session))
    with pytest.raises(pydantic.ValidationError):
        msg(agent, channel, group, session, confidence=1.5)
    assert await count(conn, "messages") == 0
    g = await channels.get_group(conn, group.id)
    c = await channels.get_channel(conn, channel.id)
    assert g is not None and c is not None
    assert g.total_messages == 0 and c.message_count == 0  # the failed statement bumped nothing


async def test_list_messages_newest_first_keyset_across_equal_timestamps(conn: Conn) -> None:
    agent = await make_agent(conn)
    channel, group, session = await room(conn)
    _, _, elsewhere = await room(conn, "other-cell")
    stamps = [T0, T0, T0, T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=2)]
    posted = [
        await messages.post_message(conn, msg(agent, channel, group, session, timestamp=t))
        for t in stamps
    ]
    expected = sorted(posted, key=lambda m: (m.timestamp, m.id), reverse=True)

    assert await messages.list_messages(conn, session.id) == expected
    assert await messages.list_messages(conn, elsewhere.id) == []
    pages: list[Any] = []
    cursor = None
    while True:
        page = await messages.list_messages(conn, session.id, before=cursor, limit=2)
        if not page:
            break
        pages.extend(page)
        cursor = (page[-1].timestamp, page[-1].id)
    assert pages == expected  # nothing skipped, nothing twice, ties broken by id
    with pytest.raises(ValidationError, match="limit"):
        await messages.list_messages(conn, session.id, limit=1001)


async def test_list_messages_is_served_by_the_session_timestamp_index(conn: Conn) -> None:
    await conn.execute("SET enable_seqscan = off")
    cur = await conn.execute(
        "EXPLAIN SELECT id FROM messages WHERE session_id = %s"
        " AND (timestamp, id) < (%s, %s) ORDER BY timestamp DESC, id DESC LIMIT 100",
        (uuid.uuid4(), T0, uuid.uuid4()),
    )
    plan = "\n".join(r[0] for r in await cur.fetchall())
    assert "ix_messages_session_timestamp" in plan and "Backward" in plan


async def test_list_channel_messages_spans_groups_and_sessions(conn: Conn) -> None:
    agent = await make_agent(conn)
    channel, group, session = await room(conn)
    group2 = await channels.create_group(conn, GroupCreate(name="qa", channel_id=channel.id))
    session2 = await sessions.open_session(conn, SessionCreate(group_id=group2.id))
    a = await messages.post_message(conn, msg(agent, channel, group, session))
    b = await messages.post_message(
        conn, msg(agent, channel, group2, session2, timestamp=T0 + dt.timedelta(seconds=1))
    )
    assert await messages.list_channel_messages(conn, channel.id) == [b, a]
    assert await messages.list_channel_messages(conn, channel.id, before=(b.timestamp, b.id)) == [a]


async def test_post_messages_copies_a_batch_and_counts_it(conn: Conn) -> None:
    agent = await make_agent(conn)
    channel, group, session = await room(conn)
    channel2, group2, session2 = await room(conn, "second")
    batch = [
        msg(
            agent,
            channel,
            group,
            session,
            content="m" * (i % 7 + 1),
            timestamp=T0 + dt.timedelta(seconds=i),
            mentions=[agent] if i % 2 else [],
        )
        for i in range(300)
    ] + [msg(agent, channel2, group2, session2, content="elsewhere")]
    assert await messages.post_messages(conn, iter(batch)) == 301
    assert await messages.post_messages(conn, []) == 0

    s = await sessions.get_session(conn, session.id)
    s2 = await sessions.get_session(conn, session2.id)
    c = await channels.get_channel(conn, channel.id)
    g2 = await channels.get_group(conn, group2.id)
    assert s is not None and s2 is not None and c is not None and g2 is not None
    assert s.message_count == 300
    assert s.total_content_length == sum(i % 7 + 1 for i in range(300))
    assert s.last_activity_at == T0 + dt.timedelta(seconds=299)
    assert c.message_count == 300 and s2.message_count == 1 and g2.total_messages == 1
    loaded = await messages.get_message(conn, batch[1].id)
    assert loaded is not None
    assert loaded.mentions == [agent] and loaded.edit_history == [] and loaded.content == "mm"
    newest = await messages.list_messages(conn, session.id, limit=1)
    assert newest[0].id == batch[299].id


async def test_post_messages_is_all_or_nothing(conn: Conn) -> None:
    agent = await make_agent(conn)
    channel, group, session = await room(conn)
    good = msg(agent, channel, group, session)
    bad = msg(agent, channel, group, session, session_id=uuid.uuid4())
    with pytest.raises(NotFound, match=r"no sessions row with session_id="):
        await messages.post_messages(conn, [good, bad])
    with pytest.raises(Conflict, match="already exists"):
        await messages.post_messages(conn, [good, good])
    with pytest.raises(ValidationError, match="MessageCreate"):
        await messages.post_messages(conn, [good, {"content": "x"}])  # type: ignore[list-item]
    assert await count(conn, "messages") == 0
    s = await sessions.get_session(conn, session.id)
    assert s is not None and s.message_count == 0


async def test_post_messages_inside_the_callers_transaction(conn: Conn) -> None:
    agent = await make_agent(conn)
    channel, group, session = await room(conn)
    async with conn.transaction():
        await messages.post_messages(conn, [msg(agent, channel, group, session)])
        with pytest.raises(NotFound):
            await messages.post_messages(
                conn, [msg(agent, channel, group, session, session_id=uuid.uuid4())]
            )
    assert await count(conn, "messages") == 1  # the failed batch rolled back to its savepoint


# -- past 060_drop_messaging ---------------------------------------------------------------------


def _past_060_calls() -> dict[str, Callable[[Conn], Awaitable[Any]]]:
    """One call of every function of the three messaging repos, by qualified name."""
    a, b = uuid.uuid4(), uuid.uuid4()
    channel = ChannelCreate(name="#c", slug="c", type=ChannelType.CELL)
    session = SessionCreate(group_id=a, started_at=T0, last_activity_at=T0)
    link = SessionTaskCreate(
        session_id=a, task_id=b, relationship_type=SessionTaskRelationship.DISCUSSION
    )
    message = MessageCreate(
        agent_id=a, channel_id=a, group_id=a, session_id=a, type=MessageType.DIALOGUE, content="x"
    )
    return {
        "channels.create_channel": lambda c: channels.create_channel(c, channel),
        "channels.create_group": lambda c: channels.create_group(
            c, GroupCreate(name="g", channel_id=a)
        ),
        "channels.get_channel": lambda c: channels.get_channel(c, a),
        "channels.get_channel_by_name": lambda c: channels.get_channel_by_name(c, "#c"),
        "channels.get_channel_by_slug": lambda c: channels.get_channel_by_slug(c, "c"),
        "channels.get_group": lambda c: channels.get_group(c, a),
        "channels.list_channels": channels.list_channels,
        "channels.list_groups": lambda c: channels.list_groups(c, a),
        "channels.update_channel": lambda c: channels.update_channel(
            c, a, ChannelUpdate(topic="t")
        ),
        "sessions.close_session": lambda c: sessions.close_session(c, a),
        "sessions.get_active_session": lambda c: sessions.get_active_session(c, a),
        "sessions.get_primary_session": lambda c: sessions.get_primary_session(c, a),
        "sessions.get_session": lambda c: sessions.get_session(c, a),
        "sessions.get_session_task": lambda c: sessions.get_session_task(c, a, b),
        "sessions.link_task": lambda c: sessions.link_task(c, link),
        "sessions.list_session_tasks": lambda c: sessions.list_session_tasks(c, a),
        "sessions.list_sessions": lambda c: sessions.list_sessions(c, a),
        "sessions.list_task_sessions": lambda c: sessions.list_task_sessions(c, a),
        "sessions.open_session": lambda c: sessions.open_session(c, session),
        "sessions.set_primary_session": lambda c: sessions.set_primary_session(c, a, b),
        "sessions.unlink_task": lambda c: sessions.unlink_task(c, a, b),
        "messages.get_message": lambda c: messages.get_message(c, a),
        "messages.list_channel_messages": lambda c: messages.list_channel_messages(c, a),
        "messages.list_messages": lambda c: messages.list_messages(c, a),
        "messages.post_message": lambda c: messages.post_message(c, message),
        "messages.post_messages": lambda c: messages.post_messages(c, [message]),
        "channels.add_member": lambda c: channels.add_member(c, a, b),
        "channels.remove_member": lambda c: channels.remove_member(c, a, b),
        "channels.page_channels": channels.page_channels,
        "channels.list_channels_by_ids": lambda c: channels.list_channels_by_ids(c, [a]),
        "channels.list_groups_by_ids": lambda c: channels.list_groups_by_ids(c, [a]),
        "sessions.sweep_timed_out": sessions.sweep_timed_out,
        "sessions.get_or_open_session": lambda c: sessions.get_or_open_session(c, session),
        "messages.send_message": lambda c: messages.send_message(c, message),
        "sessions.list_sessions_with_tasks": lambda c: sessions.list_sessions_with_tasks(c, a),
        "sessions.list_task_sessions_in_context": lambda c: sessions.list_task_sessions_in_context(
            c, a
        ),
        "messages.edit_message": lambda c: messages.edit_message(c, a, b, "x"),
        "messages.delete_message": lambda c: messages.delete_message(c, a, b),
        "messages.tombstone_message": lambda c: messages.tombstone_message(c, a, b),
        "messages.history": lambda c: messages.history(c, a),
        "messages.list_recent_messages": lambda c: messages.list_recent_messages(c, since=T0),
        "messages.message_volume": lambda c: messages.message_volume(c, since=T0),
    }


def test_every_messaging_function_is_checked_past_060() -> None:
    public = {
        f"{module.__name__.rsplit('.', 1)[1]}.{name}"
        for module in (channels, sessions, messages)
        for name in module.__all__
        if inspect.iscoroutinefunction(getattr(module, name))
    }
    assert public == set(_past_060_calls())


@pytest.mark.parametrize("name", sorted(_past_060_calls()))
async def test_past_060_every_function_names_the_dropped_table(head: Conn, name: str) -> None:
    with pytest.raises(SchemaGone) as caught:
        await _past_060_calls()[name](head)
    table = caught.value.table
    assert table in {"channels", "groups", "sessions", "session_tasks", "messages"}
    assert str(caught.value) == (
        f"{table} was dropped by RoboCo's 060_drop_messaging; this database is past it "
        "(pin ROBOCO_DATABASE_TARGET_REVISION below 060 to keep messaging)"
    )
    assert await _scalar(head, "SELECT 1") == 1  # the connection is still usable


async def test_past_060_the_refusal_names_the_table_the_call_needs(head: Conn) -> None:
    with pytest.raises(SchemaGone, match=r"^messages was dropped by RoboCo's 060_drop_messaging"):
        await messages.get_message(head, uuid.uuid4())
    with pytest.raises(SchemaGone, match=r"^session_tasks was dropped"):
        await sessions.list_session_tasks(head, uuid.uuid4())
    with pytest.raises(SchemaGone, match=r"^groups was dropped"):
        await channels.get_group(head, uuid.uuid4())


async def test_past_060_other_missing_tables_are_not_schema_gone(head: Conn) -> None:
    from psycopg import errors as pgerr

    from roboco_sql.repos._errors import translated

    with pytest.raises(pgerr.UndefinedTable), translated("thing"):
        await head.execute("SELECT 1 FROM no_such_table")


# -- inventory groups SE04, SE05, SL03, CH03, CH05, M03-M07 ------------------------------------


async def test_sweep_closes_idle_and_overlong_sessions_and_unhooks_them(conn: Conn) -> None:
    _, idle_group, idle = await room(conn, "idle")
    _, long_group, overlong = await room(conn, "long")
    _, _, fresh = await room(conn, "fresh")
    now = T0 + dt.timedelta(minutes=10)
    # idle: last activity at T0, timeout 300 s; overlong: busy but open past its 30 min window
    await conn.execute(
        "UPDATE sessions SET started_at = %s, last_activity_at = %s, timeout_seconds = 3600"
        " WHERE id = %s",
        (now - dt.timedelta(minutes=31), now, overlong.id),
    )
    await conn.execute(
        "UPDATE sessions SET last_activity_at = %s WHERE id = %s",
        (now - dt.timedelta(seconds=10), fresh.id),
    )
    swept = await sessions.sweep_timed_out(conn, now=now)
    assert [s.id for s in swept] == [overlong.id, idle.id]
    assert all(s.status is SessionStatus.CLOSED and s.closed_at == now for s in swept)
    for group in (idle_group, long_group):
        unhooked = await channels.get_group(conn, group.id)
        assert unhooked is not None and unhooked.active_session_id is None
    still = await sessions.get_session(conn, fresh.id)
    assert still is not None and still.status is SessionStatus.ACTIVE
    assert await sessions.sweep_timed_out(conn, now=now) == []
    later = await sessions.sweep_timed_out(
        conn, now=now + dt.timedelta(hours=1), status=SessionStatus.TIMED_OUT
    )
    assert [(s.id, s.status) for s in later] == [(fresh.id, SessionStatus.TIMED_OUT)]
    with pytest.raises(ValidationError, match="closed or timed_out"):
        await sessions.sweep_timed_out(conn, status=SessionStatus.ACTIVE)
    with pytest.raises(ValidationError, match="timezone"):
        await sessions.sweep_timed_out(conn, now=dt.datetime(2025, 1, 1))


async def test_group_sessions_come_with_their_task_links_and_tasks(conn: Conn) -> None:
    agent = await make_agent(conn)
    tasks = [await make_task(conn, agent) for _ in range(2)]
    _, group, first = await room(conn)
    second = await sessions.open_session(
        conn, SessionCreate(group_id=group.id, started_at=T0 + dt.timedelta(minutes=1))
    )
    for task in tasks:
        await sessions.link_task(conn, SessionTaskCreate(session_id=first.id, task_id=task))
    listed = await sessions.list_sessions_with_tasks(conn, group.id)
    assert [x.session.id for x in listed] == [second.id, first.id]
    assert listed[0].tasks == []
    assert {lt.task_id for lt in listed[1].tasks} == set(tasks)
    assert all(lt.session_id == first.id for lt in listed[1].tasks)
    assert {(lt.title, lt.status, lt.team) for lt in listed[1].tasks} == {
        ("Add the health endpoint", TaskStatus.PENDING, Team.BACKEND)
    }
    await sessions.close_session(conn, second.id)
    active = await sessions.list_sessions_with_tasks(conn, group.id, status=SessionStatus.ACTIVE)
    assert [x.session.id for x in active] == [first.id]
    assert await sessions.list_sessions_with_tasks(conn, uuid.uuid4()) == []


async def test_task_sessions_come_with_session_group_and_channel(conn: Conn) -> None:
    agent = await make_agent(conn)
    task = await make_task(conn, agent)
    channel, group, session = await room(conn)
    other_channel, other_group, other = await room(conn, "frontend-cell")
    await sessions.link_task(
        conn, SessionTaskCreate(session_id=session.id, task_id=task, is_primary=True)
    )
    await sessions.link_task(
        conn,
        SessionTaskCreate(
            session_id=other.id, task_id=task, relationship_type=SessionTaskRelationship.REVIEW
        ),
    )
    found = await sessions.list_task_sessions_in_context(conn, task)
    assert {(x.session.id, x.group.id, x.channel.id) for x in found} == {
        (session.id, group.id, channel.id),
        (other.id, other_group.id, other_channel.id),
    }
    reviews = await sessions.list_task_sessions_in_context(
        conn, task, relationship_type=SessionTaskRelationship.REVIEW
    )
    assert [(x.link.session_id, x.channel.slug) for x in reviews] == [(other.id, "frontend-cell")]
    assert await sessions.list_task_sessions_in_context(conn, uuid.uuid4()) == []


async def test_page_channels_by_name_with_slug_set_and_total(conn: Conn) -> None:
    for slug, name in (("a", "#gamma"), ("b", "#alpha"), ("c", "#beta"), ("d", "#delta")):
        await channels.create_channel(
            conn, ChannelCreate(name=name, slug=slug, type=ChannelType.CELL)
        )
    archived = await channels.get_channel_by_slug(conn, "d")
    assert archived is not None
    await channels.update_channel(conn, archived.id, ChannelUpdate(is_archived=True))

    page = await channels.page_channels(conn, limit=2)
    assert [c.name for c in page.items] == ["#alpha", "#beta"]
    assert page.total == 3 and page.has_more
    rest = await channels.page_channels(conn, offset=2, limit=2)
    assert [c.name for c in rest.items] == ["#gamma"] and not rest.has_more
    mine = await channels.page_channels(conn, slugs=["c", "a", "d", "zz"])
    assert [c.slug for c in mine.items] == ["c", "a"] and mine.total == 2
    with_archived = await channels.page_channels(conn, slugs={"d"}, include_archived=True)
    assert [c.slug for c in with_archived.items] == ["d"] and with_archived.total == 1
    assert (await channels.page_channels(conn, slugs=[])).total == 0
    with pytest.raises(ValidationError, match="offset"):
        await channels.page_channels(conn, offset=-1)


async def test_membership_changes_are_single_statements_safe_together(
    conn: Conn, db059_url: str
) -> None:
    channel = await channels.create_channel(
        conn, ChannelCreate(name="#ops", slug="ops", type=ChannelType.CELL)
    )
    agents = [await make_agent(conn, f"ops-{i}") for i in range(4)]
    others = [await psycopg.AsyncConnection.connect(db059_url, autocommit=True) for _ in agents]
    try:
        await asyncio.gather(
            *(
                channels.add_member(c, channel.id, a, can_write=i % 2 == 0)
                for i, (c, a) in enumerate(zip(others, agents, strict=True))
            )
        )
    finally:
        for c in others:
            await c.close()
    joined = await channels.get_channel(conn, channel.id)
    assert joined is not None
    assert set(joined.members) == set(agents) and set(joined.writers) == {agents[0], agents[2]}
    again = await channels.add_member(conn, channel.id, agents[0], can_write=True)
    assert again.members.count(agents[0]) == 1 and again.writers.count(agents[0]) == 1
    left = await channels.remove_member(conn, channel.id, agents[0])
    assert agents[0] not in left.members and agents[0] not in left.writers
    assert len(left.members) == 3
    with pytest.raises(NotFound, match="channel"):
        await channels.add_member(conn, uuid.uuid4(), agents[0])
    with pytest.raises(NotFound, match="channel"):
        await channels.remove_member(conn, uuid.uuid4(), agents[0])


async def test_history_filters_by_time_and_type_and_says_if_more(conn: Conn) -> None:
    agent = await make_agent(conn)
    channel, group, session = await room(conn)
    posted = [
        await messages.post_message(
            conn,
            msg(
                agent,
                channel,
                group,
                session,
                timestamp=T0 + dt.timedelta(minutes=i),
                type=MessageType.DECISION if i % 2 else MessageType.DIALOGUE,
            ),
        )
        for i in range(5)
    ]
    page, more = await messages.history(conn, session.id, limit=2)
    assert [m.id for m in page] == [posted[4].id, posted[3].id] and more
    page, more = await messages.history(conn, session.id, before=posted[2].timestamp)
    assert [m.id for m in page] == [posted[1].id, posted[0].id] and not more
    page, more = await messages.history(conn, session.id, after=posted[2].timestamp)
    assert [m.id for m in page] == [posted[4].id, posted[3].id] and not more
    page, more = await messages.history(conn, session.id, type=MessageType.DECISION, limit=2)
    assert [m.id for m in page] == [posted[3].id, posted[1].id] and not more
    typed = await messages.list_messages(conn, session.id, type=MessageType.DIALOGUE)
    assert [m.id for m in typed] == [posted[4].id, posted[2].id, posted[0].id]


async def test_edit_appends_history_and_resizes_the_session(conn: Conn) -> None:
    author = await make_agent(conn)
    other = await make_agent(conn, "be-dev-2")
    channel, group, session = await room(conn)
    first = await messages.post_message(conn, msg(author, channel, group, session, content="hi"))
    at = T0 + dt.timedelta(minutes=1)
    edited = await messages.edit_message(conn, first.id, author, "hello", reason="typo", at=at)
    assert (edited.content, edited.content_length, edited.edited_at) == ("hello", 5, at)
    twice = await messages.edit_message(conn, first.id, author, "hello all")
    latest = twice.edit_history[1]
    assert isinstance(latest, dict)
    assert twice.edit_history == [
        {"edited_at": at.isoformat(), "previous_content": "hi", "edit_reason": "typo"},
        {
            "edited_at": latest["edited_at"],
            "previous_content": "hello",
            "edit_reason": None,
        },
    ]
    resized = await sessions.get_session(conn, session.id)
    assert resized is not None and resized.total_content_length == 9
    with pytest.raises(ValidationError, match="not the author"):
        await messages.edit_message(conn, first.id, other, "mine now")
    with pytest.raises(NotFound, match="message"):
        await messages.edit_message(conn, uuid.uuid4(), author, "x")
    with pytest.raises(ValidationError, match="content"):
        await messages.edit_message(conn, first.id, author, "")


async def test_concurrent_edits_both_stay_in_the_history(conn: Conn, db059_url: str) -> None:
    author = await make_agent(conn)
    channel, group, session = await room(conn)
    first = await messages.post_message(conn, msg(author, channel, group, session))
    others = [await psycopg.AsyncConnection.connect(db059_url, autocommit=True) for _ in range(2)]
    try:
        await asyncio.gather(
            *(messages.edit_message(c, first.id, author, f"take {i}") for i, c in enumerate(others))
        )
    finally:
        for c in others:
            await c.close()
    final = await messages.get_message(conn, first.id)
    assert final is not None and len(final.edit_history) == 2


async def test_delete_and_tombstone_messages(conn: Conn) -> None:
    author = await make_agent(conn)
    other = await make_agent(conn, "be-dev-2")
    channel, group, session = await room(conn)
    gone = await messages.post_message(conn, msg(author, channel, group, session, content="abc"))
    kept = await messages.post_message(conn, msg(author, channel, group, session, content="de"))
    with pytest.raises(ValidationError, match="not the author"):
        await messages.delete_message(conn, gone.id, other)
    assert await messages.delete_message(conn, gone.id, author) == gone
    assert await messages.get_message(conn, gone.id) is None
    s = await sessions.get_session(conn, session.id)
    assert s is not None and (s.message_count, s.total_content_length) == (1, 2)
    with pytest.raises(NotFound, match="message"):
        await messages.delete_message(conn, gone.id, author)

    tomb = await messages.tombstone_message(conn, kept.id, author, at=T0)
    assert (tomb.content, tomb.edited_at) == ("[deleted]", T0)
    with pytest.raises(ValidationError, match="not the author"):
        await messages.tombstone_message(conn, kept.id, other)


async def test_recent_messages_and_volume_across_channels(conn: Conn) -> None:
    agent = await make_agent(conn)
    other = await make_agent(conn, "be-dev-2")
    rooms = [await room(conn, slug) for slug in ("one", "two")]
    old = await messages.post_message(
        conn, msg(agent, *rooms[0], timestamp=T0 - dt.timedelta(days=2))
    )
    recent = [
        await messages.post_message(
            conn,
            msg(
                who,
                *rooms[i % 2],
                timestamp=T0 + dt.timedelta(minutes=i),
                type=MessageType.DECISION if i == 0 else MessageType.DIALOGUE,
            ),
        )
        for i, who in enumerate((agent, agent, other))
    ]
    since = T0 - dt.timedelta(hours=1)
    feed = await messages.list_recent_messages(conn, since=since)
    assert [m.id for m in feed] == [m.id for m in reversed(recent)]
    assert old.id not in {m.id for m in feed}
    assert len(await messages.list_recent_messages(conn, since=since, limit=1)) == 1
    volume = await messages.message_volume(conn, since=since)
    assert (volume.total, volume.channels) == (3, 2)
    assert volume.by_type == {"decision": 1, "dialogue": 2}
    mine = await messages.message_volume(conn, since=since, agent_id=agent)
    assert (mine.total, mine.channels, mine.by_type) == (2, 2, {"decision": 1, "dialogue": 1})
    none = await messages.message_volume(conn, since=T0 + dt.timedelta(days=1))
    assert (none.total, none.channels, none.by_type) == (0, 0, {})


async def test_get_or_create_channel_inside_a_transaction_survives_the_race(
    conn059: Conn,
) -> None:
    """RoboCo's get-or-create: a create that loses on the slug raises Conflict and leaves the
    caller's transaction usable, so the caller reads the winner's row and goes on."""
    async with conn059.transaction():
        winner = await channels.create_channel(
            conn059, ChannelCreate(name="#ops", slug="ops", type=ChannelType.CELL)
        )
        with pytest.raises(Conflict, match="slug"):
            await channels.create_channel(
                conn059, ChannelCreate(name="#ops-2", slug="ops", type=ChannelType.CELL)
            )
        assert await channels.get_channel_by_slug(conn059, "ops") == winner
    assert await channels.get_channel_by_slug(conn059, "ops") == winner


async def test_get_or_open_session_reuses_the_live_one_under_a_race(
    conn: Conn, db059_url: str
) -> None:
    channel = await channels.create_channel(
        conn, ChannelCreate(name="#qa", slug="qa", type=ChannelType.CELL)
    )
    group = await channels.create_group(conn, GroupCreate(name="qa", channel_id=channel.id))
    others = [await psycopg.AsyncConnection.connect(db059_url, autocommit=True) for _ in range(4)]
    try:
        got = await asyncio.gather(
            *(sessions.get_or_open_session(c, SessionCreate(group_id=group.id)) for c in others)
        )
    finally:
        for c in others:
            await c.close()
    assert len({s.id for s in got}) == 1 and await count(conn, "sessions") == 1
    live = await channels.get_group(conn, group.id)
    assert live is not None and live.active_session_id == got[0].id and live.total_sessions == 1
    await sessions.close_session(conn, got[0].id)
    fresh = await sessions.get_or_open_session(conn, SessionCreate(group_id=group.id))
    assert fresh.id != got[0].id and fresh.status is SessionStatus.ACTIVE
    with pytest.raises(NotFound, match="group"):
        await sessions.get_or_open_session(conn, SessionCreate(group_id=uuid.uuid4()))


async def test_send_message_as_roboco_sends_it(conn: Conn) -> None:
    sender = await make_agent(conn)
    other = await make_agent(conn, "be-dev-2")
    channel, group, _ = await room(conn)
    small = await sessions.open_session(
        conn, SessionCreate(group_id=group.id, max_message_count=2, started_at=T0)
    )
    first = await messages.send_message(
        conn, msg(sender, channel, group, small, mentions=[other, sender, other])
    )
    assert first.message.session_id == small.id and not first.closed_session
    assert first.mentions == [other]
    cur = await conn.execute(
        "SELECT type, to_agents, subject FROM notifications WHERE from_agent = %s", (sender,)
    )
    assert await cur.fetchall() == [("mention", [other], "You were mentioned in #backend-cell")]

    # a reply to a message of another session is refused, and nothing is written
    _, _, elsewhere = await room(conn, "other-cell")
    stray = await messages.post_message(conn, msg(sender, channel, group, elsewhere))
    with pytest.raises(ValidationError, match="is not in session"):
        await messages.send_message(
            conn, msg(sender, channel, group, small, is_reply=True, reply_to=stray.id)
        )
    assert (await sessions.get_session(conn, small.id)).message_count == 1  # type: ignore[union-attr]

    second = await messages.send_message(
        conn, msg(sender, channel, group, small, is_reply=True, reply_to=first.message.id)
    )
    assert second.closed_session  # the second message fills a two-message session
    ended = await sessions.get_session(conn, small.id)
    assert ended is not None and ended.status is SessionStatus.CLOSED

    # posting to the ended session lands in the group's live one, opened for it
    third = await messages.send_message(conn, msg(sender, channel, group, small))
    assert third.message.session_id != small.id
    live = await sessions.get_active_session(conn, group.id)
    assert live is not None and live.id == third.message.session_id
    with pytest.raises(NotFound, match="session"):
        await messages.send_message(
            conn, msg(sender, channel, group, small.model_copy(update={"id": uuid.uuid4()}))
        )
