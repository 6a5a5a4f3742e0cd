"""RoboCo's A2A inbox paths: filtered lists with their newest messages, the de-duplicating
send, reading everything at once, and the inbox counts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models import TaskStatus
from roboco_sql.models.a2a import A2AConversationCreate, A2AMessageCreate
from roboco_sql.models.enums import A2AMessageKind
from roboco_sql.repos import a2a, task_queues, tasks, transitions
from roboco_sql.repos.transitions import SYSTEM
from tests.fix_conn import autocommit_conn  # noqa: F401 (registers the conn fixture)
from tests.fix_rows import make_agent, make_task

Conn = AsyncConnection[Any]
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


async def pair(conn: Conn, a: str, b: str, **kw: Any) -> uuid.UUID:
    made = await a2a.create_conversation(
        conn, A2AConversationCreate(agent_a=a, agent_b=b, created_at=T0, updated_at=T0, **kw)
    )
    return made.id


def say(
    cid: uuid.UUID, sender: str, minute: int, text: str = "ping", **kw: Any
) -> A2AMessageCreate:
    return A2AMessageCreate(
        conversation_id=cid, from_agent=sender, content=text, created_at=at(minute), **kw
    )


async def test_lists_filter_by_pair_task_and_unread_and_bring_their_newest_message(
    conn: Conn,
) -> None:
    with_qa = await pair(conn, "dev-1", "qa-1")
    with_pm = await pair(conn, "dev-1", "pm-1")
    quiet = await pair(conn, "dev-1", "doc-1")
    await a2a.add_message(conn, say(with_qa, "qa-1", 1, "please look"))
    await a2a.add_message(conn, say(with_qa, "dev-1", 2, "on it"))
    await a2a.add_message(conn, say(with_pm, "dev-1", 3, "status?"))
    mine = await a2a.list_conversations(conn, "dev-1")
    assert [c.id for c in mine] == [with_pm, with_qa, quiet]  # most recently updated first
    assert [c.id for c in await a2a.list_conversations(conn, "dev-1", with_agent="qa-1")] == [
        with_qa
    ]
    assert [c.id for c in await a2a.list_conversations(conn, "qa-1", with_agent="dev-1")] == [
        with_qa
    ]
    # unread for dev-1: only qa-1's message; pm-1 has dev-1's unread message
    assert [c.id for c in await a2a.list_conversations(conn, "dev-1", unread_only=True)] == [
        with_qa
    ]
    assert [c.id for c in await a2a.list_conversations(conn, "pm-1", unread_only=True)] == [with_pm]
    newest = await a2a.latest_messages(conn, [c.id for c in mine])
    assert {k: m.content for k, m in newest.items()} == {with_qa: "on it", with_pm: "status?"}
    preview = await a2a.latest_messages(conn, [with_qa, with_pm], incoming_to="dev-1")
    assert {k: m.content for k, m in preview.items()} == {with_qa: "please look"}
    assert await a2a.latest_messages(conn, []) == {}
    with pytest.raises(ValidationError, match="conversation_ids"):
        await a2a.latest_messages(conn, [uuid.uuid4() for _ in range(1001)])


async def test_list_by_task(conn: Conn) -> None:
    task_id = await make_task(conn, await make_agent(conn))
    about = await pair(conn, "dev-1", "qa-1", task_id=task_id)
    await pair(conn, "dev-1", "qa-1", topic="other")
    found = await a2a.list_conversations(conn, "dev-1", task_id=task_id)
    assert [c.id for c in found] == [about]


async def test_an_identical_unread_message_is_not_sent_twice(conn: Conn) -> None:
    cid = await pair(conn, "dev-1", "qa-1")
    first, new = await a2a.send_message(conn, say(cid, "dev-1", 1, "ready for QA"))
    assert new
    again, new_again = await a2a.send_message(conn, say(cid, "dev-1", 2, "ready for QA"))
    assert (again.id, new_again) == (first.id, False)
    conv = await a2a.get_conversation(conn, cid)
    assert conv is not None and (conv.message_count, conv.unread_by_b) == (1, 1)
    # another kind, another text, or once read: a new message
    _, other_kind = await a2a.send_message(
        conn, say(cid, "dev-1", 3, "ready for QA", message_kind=A2AMessageKind.REQUEST)
    )
    assert other_kind
    await a2a.mark_read(conn, cid, "qa-1", at=at(4))
    _, after_read = await a2a.send_message(conn, say(cid, "dev-1", 5, "ready for QA"))
    assert after_read
    conv = await a2a.get_conversation(conn, cid)
    assert conv is not None and (conv.message_count, conv.unread_by_b) == (3, 1)
    with pytest.raises(ValidationError, match="not a participant"):
        await a2a.send_message(conn, say(cid, "pm-1", 6))
    with pytest.raises(NotFound):
        await a2a.send_message(conn, say(uuid.uuid4(), "dev-1", 6))


async def test_mark_all_read_clears_every_conversation_and_counts_them(conn: Conn) -> None:
    one = await pair(conn, "dev-1", "qa-1")
    two = await pair(conn, "dev-1", "pm-1")
    three = await pair(conn, "dev-1", "doc-1")
    await a2a.add_message(conn, say(one, "qa-1", 1))
    await a2a.add_message(conn, say(one, "qa-1", 2, "pong"))
    await a2a.add_message(conn, say(two, "pm-1", 3))
    await a2a.add_message(conn, say(three, "dev-1", 4))  # dev-1's own: nothing to read
    assert await a2a.mark_all_read(conn, "dev-1", at=at(5)) == 2
    for cid in (one, two):
        conv = await a2a.get_conversation(conn, cid)
        assert conv is not None and conv.unread_by_a + conv.unread_by_b == 0
    other = await a2a.get_conversation(conn, three)
    assert other is not None and other.unread_by_b == 1  # doc-1 still has dev-1's message
    cur = await conn.execute(
        "SELECT count(*) FROM a2a_messages WHERE read_at IS NULL AND from_agent <> 'dev-1'"
    )
    row = await cur.fetchone()
    assert row is not None and row[0] == 0
    assert await a2a.mark_all_read(conn, "dev-1") == 0


async def test_inbox_summary_counts(conn: Conn) -> None:
    one = await pair(conn, "dev-1", "qa-1")
    two = await pair(conn, "dev-1", "pm-1")
    await a2a.add_message(conn, say(one, "qa-1", 1, requires_response=True))
    await a2a.add_message(conn, say(one, "qa-1", 2, "pong"))
    await a2a.add_message(conn, say(two, "pm-1", 3))
    await a2a.add_message(conn, say(two, "dev-1", 4, "answer?", requires_response=True))
    summary = await a2a.inbox_summary(conn, "dev-1")
    assert summary == a2a.A2AInboxSummary(
        total_unread=3, conversations_with_unread=2, pending_responses=1, unanswered_requests=1
    )
    assert await a2a.inbox_summary(conn, "nobody") == a2a.A2AInboxSummary(0, 0, 0, 0)


async def test_the_a2a_task_protocol_thread_page_and_cancel(conn: Conn) -> None:
    creator = await make_agent(conn)
    first = await make_task(conn, creator)
    second = await make_task(conn, creator)
    task = await a2a.append_protocol_note(conn, first, "A2A Request: add /health")
    assert task.dev_notes == "A2A Request: add /health"
    task = await a2a.append_protocol_note(conn, first, "A2A Response: done")
    assert task.dev_notes == "A2A Request: add /health\n\nA2A Response: done"
    with pytest.raises(ValidationError, match="text"):
        await a2a.append_protocol_note(conn, first, "  ")
    with pytest.raises(NotFound):
        await a2a.append_protocol_note(conn, uuid.uuid4(), "x")
    oldest_first = await task_queues.page_all_tasks(conn, newest_first=False, limit=1)
    assert (oldest_first.total, oldest_first.has_more) == (2, True)
    assert {t.id for t in oldest_first.items} <= {first, second}
    await a2a.append_protocol_note(conn, second, "Cancelled via A2A by main-pm; reason: dup")
    cancelled = await transitions.transition(conn, second, TaskStatus.CANCELLED, SYSTEM)
    assert cancelled.status is TaskStatus.CANCELLED
    again = await tasks.get_task(conn, second)
    assert again is not None and again.dev_notes == "Cancelled via A2A by main-pm; reason: dup"
