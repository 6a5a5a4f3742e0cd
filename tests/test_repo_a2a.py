"""Agent-to-agent conversations and messages against a real database."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.models.a2a import A2AConversationCreate, A2AMessageCreate
from roboco_sql.models.enums import A2AConversationStatus, A2AMessageKind
from roboco_sql.repos import a2a
from tests.fix_conn import autocommit_conn, count  # noqa: F401 (registers the conn fixture)

Conn = AsyncConnection[Any]
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def conversation(a: str, b: str, **kw: Any) -> A2AConversationCreate:
    return A2AConversationCreate(agent_a=a, agent_b=b, created_at=T0, updated_at=T0, **kw)


def say(conversation_id: uuid.UUID, sender: str, at: dt.datetime, **kw: Any) -> A2AMessageCreate:
    return A2AMessageCreate(
        conversation_id=conversation_id, from_agent=sender, content="ping", created_at=at, **kw
    )


async def test_create_orders_the_pair_and_reads_back(conn: Conn) -> None:
    made = await a2a.create_conversation(conn, conversation("qa-1", "be-dev-1", topic="flaky"))
    assert (made.agent_a, made.agent_b) == ("be-dev-1", "qa-1")
    assert made.status is A2AConversationStatus.ACTIVE and made.message_count == 0
    assert made.unread_by_a == 0 and made.last_message_at is None
    assert await a2a.get_conversation(conn, made.id) == made
    assert await a2a.find_conversation(conn, "qa-1", "be-dev-1", topic="flaky") == made
    assert await a2a.find_conversation(conn, "be-dev-1", "qa-1") is None
    assert await a2a.get_conversation(conn, uuid.uuid4()) is None


async def test_pair_and_topic_are_unique_but_topicless_ones_are_not(conn: Conn) -> None:
    await a2a.create_conversation(conn, conversation("a", "b", topic="t"))
    with pytest.raises(Conflict, match=r"a2a conversation with agent_a, agent_b, topic="):
        await a2a.create_conversation(conn, conversation("b", "a", topic="t"))
    first = await a2a.create_conversation(conn, conversation("a", "b"))
    later = T0 + dt.timedelta(seconds=1)
    await a2a.create_conversation(
        conn, A2AConversationCreate(agent_a="a", agent_b="b", created_at=later, updated_at=later)
    )
    assert await a2a.find_conversation(conn, "b", "a") == first  # the oldest topic-less one
    assert await count(conn, "a2a_conversations") == 3


async def test_invalid_conversations_are_refused_before_sql(conn: Conn) -> None:
    with pytest.raises(pydantic.ValidationError, match="itself"):
        conversation("a", "a")
    with pytest.raises(pydantic.ValidationError):
        conversation("A B", "c")
    with pytest.raises(NotFound, match=r"no tasks row with task_id="):
        await a2a.create_conversation(conn, conversation("a", "b", task_id=uuid.uuid4()))
    assert await count(conn, "a2a_conversations") == 0


async def test_add_message_bumps_the_conversation(conn: Conn) -> None:
    conv = await a2a.create_conversation(conn, conversation("be-dev-1", "qa-1"))
    first = await a2a.add_message(conn, say(conv.id, "be-dev-1", T0 + dt.timedelta(minutes=1)))
    assert first.edit_history == [] and first.read_at is None
    assert first.message_kind is A2AMessageKind.MESSAGE
    later = T0 + dt.timedelta(minutes=2)
    reply = await a2a.add_message(
        conn,
        say(
            conv.id,
            "qa-1",
            later,
            message_kind=A2AMessageKind.RESPONSE,
            response_to_id=first.id,
            requires_response=True,
        ),
    )
    assert reply.response_to_id == first.id and reply.requires_response
    await a2a.add_message(conn, say(conv.id, "be-dev-1", T0 + dt.timedelta(seconds=1)))

    after = await a2a.get_conversation(conn, conv.id)
    assert after is not None
    assert after.message_count == 3
    assert (after.unread_by_a, after.unread_by_b) == (1, 2)
    assert after.last_message_at == later and after.updated_at == later
    assert await a2a.get_message(conn, reply.id) == reply
    assert await a2a.get_message(conn, uuid.uuid4()) is None


async def test_add_message_refuses_outsiders_and_missing(conn: Conn) -> None:
    conv = await a2a.create_conversation(conn, conversation("be-dev-1", "qa-1"))
    with pytest.raises(ValidationError, match="'fe-dev-1' is not a participant"):
        await a2a.add_message(conn, say(conv.id, "fe-dev-1", T0))
    with pytest.raises(NotFound, match="a2a conversation"):
        await a2a.add_message(conn, say(uuid.uuid4(), "be-dev-1", T0))
    with pytest.raises(NotFound, match=r"no a2a_messages row with response_to_id="):
        await a2a.add_message(conn, say(conv.id, "qa-1", T0, response_to_id=uuid.uuid4()))
    with pytest.raises(pydantic.ValidationError, match="content"):
        A2AMessageCreate(conversation_id=conv.id, from_agent="qa-1", content="")
    assert await count(conn, "a2a_messages") == 0
    untouched = await a2a.get_conversation(conn, conv.id)
    assert untouched is not None and untouched.message_count == 0
    assert untouched.unread_by_a == 0 and untouched.unread_by_b == 0


async def test_list_conversations_of_an_agent(conn: Conn) -> None:
    mine = [
        await a2a.create_conversation(conn, conversation("be-dev-1", peer, topic="x"))
        for peer in ("qa-1", "aa-pm")
    ]
    await a2a.create_conversation(conn, conversation("fe-dev-1", "qa-1"))
    # a message moves its conversation to the top
    await a2a.add_message(conn, say(mine[0].id, "qa-1", T0 + dt.timedelta(hours=1)))
    listed = await a2a.list_conversations(conn, "be-dev-1")
    assert [c.id for c in listed] == [mine[0].id, mine[1].id]
    assert [c.agent_a for c in await a2a.list_conversations(conn, "aa-pm")] == ["aa-pm"]
    page = await a2a.list_conversations(
        conn, "be-dev-1", before=(listed[0].updated_at, listed[0].id), limit=1
    )
    assert [c.id for c in page] == [mine[1].id]

    closed = await a2a.close_conversation(conn, mine[1].id, resolution="agreed")
    assert closed.status is A2AConversationStatus.CLOSED and closed.resolution == "agreed"
    active = await a2a.list_conversations(conn, "be-dev-1", status=A2AConversationStatus.ACTIVE)
    assert [c.id for c in active] == [mine[0].id]
    with pytest.raises(NotFound, match="a2a conversation"):
        await a2a.close_conversation(conn, uuid.uuid4())
    with pytest.raises(ValidationError, match="limit"):
        await a2a.list_conversations(conn, "be-dev-1", limit=0)


async def test_list_messages_newest_first_and_mark_read(conn: Conn) -> None:
    conv = await a2a.create_conversation(conn, conversation("be-dev-1", "qa-1"))
    other = await a2a.create_conversation(conn, conversation("be-dev-1", "qa-2"))
    sent = [
        await a2a.add_message(
            conn, say(conv.id, ("be-dev-1", "qa-1")[i % 2], T0 + dt.timedelta(seconds=i // 2))
        )
        for i in range(5)
    ]
    await a2a.add_message(conn, say(other.id, "qa-2", T0))
    expected = sorted(sent, key=lambda m: (m.created_at, m.id), reverse=True)
    assert await a2a.list_messages(conn, conv.id) == expected
    seen = []
    cursor = None
    while page := await a2a.list_messages(conn, conv.id, before=cursor, limit=2):
        seen += page
        cursor = (page[-1].created_at, page[-1].id)
    assert seen == expected

    read = await a2a.mark_read(conn, conv.id, "be-dev-1", at=T0 + dt.timedelta(days=1))
    assert read.unread_by_a == 0 and read.unread_by_b == 3
    stamped = {m.id: m.read_at for m in await a2a.list_messages(conn, conv.id)}
    assert all(stamped[m.id] is not None for m in sent if m.from_agent == "qa-1")
    assert all(stamped[m.id] is None for m in sent if m.from_agent == "be-dev-1")
    with pytest.raises(ValidationError, match="not a participant"):
        await a2a.mark_read(conn, conv.id, "qa-2")
    with pytest.raises(NotFound, match="a2a conversation"):
        await a2a.mark_read(conn, uuid.uuid4(), "qa-1")
    untouched = await a2a.list_messages(conn, other.id)
    assert untouched[0].read_at is None


async def test_a_message_carries_the_skill_it_invokes(conn: Conn) -> None:
    conv = await a2a.create_conversation(conn, conversation("be-dev-1", "qa-1"))
    plain = await a2a.add_message(conn, say(conv.id, "be-dev-1", T0))
    skilled = await a2a.add_message(
        conn, say(conv.id, "qa-1", T0 + dt.timedelta(minutes=1), skill="review_pr")
    )
    assert plain.skill is None and skilled.skill == "review_pr"
    assert await a2a.get_message(conn, skilled.id) == skilled
    with pytest.raises(pydantic.ValidationError):
        say(conv.id, "qa-1", T0, skill="s" * 101)


async def test_listed_messages_are_the_models_validation_builds(
    conn: Conn, monkeypatch: Any
) -> None:
    """list_messages (the bench's "list 100 A2A messages") builds its rows without validating
    them; they equal the validated rows, value for value and type for type (enum members,
    aware datetimes, the JSON list, NULLs), and dump alike."""
    from roboco_sql.repos import _rows

    made = await a2a.create_conversation(conn, conversation("be-dev-1", "pm-1"))
    first = await a2a.add_message(conn, say(made.id, "pm-1", T0, requires_response=True))
    await a2a.add_message(
        conn,
        say(made.id, "be-dev-1", T0 + dt.timedelta(seconds=1), response_to_id=first.id).model_copy(
            update={"message_kind": A2AMessageKind.RESPONSE, "skill": "review"}
        ),
    )
    results = {}
    for validate in (True, False):
        monkeypatch.setattr(_rows, "VALIDATE", validate)
        results[validate] = await a2a.list_messages(conn, made.id)
    trusted, validated = results[False], results[True]
    assert trusted == validated and len(trusted) == 2
    for fast, slow in zip(trusted, validated, strict=True):
        assert type(fast) is type(slow)
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.model_dump() == slow.model_dump()
        for name in type(fast).model_fields:
            assert type(getattr(fast, name)) is type(getattr(slow, name)), name
    assert trusted[0].message_kind is A2AMessageKind.RESPONSE and trusted[0].skill == "review"
    assert trusted[1].message_kind is A2AMessageKind.MESSAGE and trusted[1].edit_history == []
