"""Notifications against a real database: send, acknowledge and read per agent, list."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.enums import NotificationPriority, NotificationType
from roboco_sql.models.notification import NotificationCounts, NotificationCreate
from roboco_sql.repos import notifications
from tests.fix_conn import autocommit_conn  # noqa: F401 (registers the conn fixture)
from tests.fix_rows import make_task

Conn = AsyncConnection[Any]
T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


async def make_agent(conn: Conn, slug: str) -> uuid.UUID:
    agent_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO agents (id, name, slug, role, status, model_config, system_prompt,"
        " capabilities, permissions, metrics, created_at)"
        " VALUES (%s, %s, %s, 'cell_pm', 'active', '{}', 'p', '{}', '{}', '{}', now())",
        (agent_id, slug, slug),
    )
    return agent_id


async def count(conn: Conn) -> int:
    cur = await conn.execute("SELECT count(*) FROM notifications")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
async def pm(conn: Conn) -> uuid.UUID:
    return await make_agent(conn, "be-pm")


@pytest.fixture
async def devs(conn: Conn) -> list[uuid.UUID]:
    return [await make_agent(conn, f"be-dev-{i}") for i in (1, 2)]


def note(sender: uuid.UUID, to: list[uuid.UUID], **kw: Any) -> NotificationCreate:
    fields: dict[str, Any] = {
        "type": NotificationType.TASK_ASSIGNMENT,
        "from_agent": sender,
        "to_agents": to,
        "subject": "New task",
        "body": "Please pick it up",
        "timestamp": T0,
    }
    fields.update(kw)
    return NotificationCreate(**fields)


async def test_send_to_several_agents(conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]) -> None:
    sent = await notifications.send_notification(
        conn, note(pm, devs, priority=NotificationPriority.URGENT)
    )
    assert sent.to_agents == devs and sent.priority is NotificationPriority.URGENT
    assert sent.acked_by == [] and sent.acked_at == {} and sent.read_by == []
    assert sent.requires_ack and sent.delivered_at is None
    assert await notifications.get_notification(conn, sent.id) == sent
    assert await notifications.get_notification(conn, uuid.uuid4()) is None


async def test_send_refuses_no_recipients_and_missing_rows(conn: Conn, pm: uuid.UUID) -> None:
    with pytest.raises(pydantic.ValidationError, match="to_agents"):
        note(pm, [])
    with pytest.raises(pydantic.ValidationError, match="subject"):
        note(pm, [pm], subject="")
    with pytest.raises(NotFound, match=r"notification: no agents row with from_agent="):
        await notifications.send_notification(conn, note(uuid.uuid4(), [pm]))
    with pytest.raises(NotFound, match=r"no tasks row with related_task_id="):
        await notifications.send_notification(conn, note(pm, [pm], related_task_id=uuid.uuid4()))
    assert await count(conn) == 0


async def test_acknowledge_appends_once_and_marks_read(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    sent = await notifications.send_notification(conn, note(pm, devs))
    at = T0 + dt.timedelta(minutes=3)
    acked = await notifications.acknowledge(conn, sent.id, devs[0], at=at)
    assert acked.acked_by == [devs[0]] and acked.read_by == [devs[0]]
    assert acked.acked_at == {str(devs[0]): at.isoformat()}

    again = await notifications.acknowledge(conn, sent.id, devs[0], at=at + dt.timedelta(hours=1))
    assert again == acked  # idempotent: the first time stays

    both = await notifications.acknowledge(conn, sent.id, devs[1])
    assert both.acked_by == devs and set(both.acked_at) == {str(d) for d in devs}
    assert both.read_by == devs


async def test_acknowledge_refuses_outsiders_and_missing(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    sent = await notifications.send_notification(conn, note(pm, [devs[0]]))
    with pytest.raises(ValidationError, match=f"agent {devs[1]} is not a recipient"):
        await notifications.acknowledge(conn, sent.id, devs[1])
    with pytest.raises(NotFound, match="notification"):
        await notifications.acknowledge(conn, uuid.uuid4(), devs[0])
    with pytest.raises(ValidationError, match="not a recipient"):
        await notifications.mark_read(conn, sent.id, devs[1])
    with pytest.raises(NotFound, match="notification"):
        await notifications.mark_read(conn, uuid.uuid4(), devs[0])
    unchanged = await notifications.get_notification(conn, sent.id)
    assert unchanged is not None and unchanged.acked_by == [] and unchanged.read_by == []


async def test_mark_read_and_delivered(conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]) -> None:
    sent = await notifications.send_notification(conn, note(pm, devs))
    read = await notifications.mark_read(conn, sent.id, devs[1])
    assert read.read_by == [devs[1]] and read.acked_by == []
    assert (await notifications.mark_read(conn, sent.id, devs[1])).read_by == [devs[1]]

    first = await notifications.mark_delivered(conn, sent.id, at=T0)
    second = await notifications.mark_delivered(conn, sent.id, at=T0 + dt.timedelta(hours=1))
    assert first.delivered_at == T0 and second.delivered_at == T0
    with pytest.raises(NotFound, match="notification"):
        await notifications.mark_delivered(conn, uuid.uuid4())


async def test_list_unacknowledged(conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]) -> None:
    dev, other = devs
    old = await notifications.send_notification(conn, note(pm, devs, timestamp=T0))
    new = await notifications.send_notification(
        conn, note(pm, [dev], timestamp=T0 + dt.timedelta(minutes=1))
    )
    fyi = await notifications.send_notification(
        conn, note(pm, [dev], requires_ack=False, type=NotificationType.MENTION)
    )
    expired = await notifications.send_notification(
        conn, note(pm, [dev], expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    )
    await notifications.send_notification(conn, note(pm, [other]))

    pending = await notifications.list_unacknowledged(conn, dev)
    assert [n.id for n in pending] == [new.id, old.id]
    with_expired = await notifications.list_unacknowledged(conn, dev, include_expired=True)
    assert {n.id for n in with_expired} == {new.id, old.id, expired.id}
    assert fyi.id not in {n.id for n in with_expired}

    await notifications.acknowledge(conn, old.id, dev)
    assert [n.id for n in await notifications.list_unacknowledged(conn, dev)] == [new.id]
    assert old.id in {n.id for n in await notifications.list_unacknowledged(conn, other)}

    page = await notifications.list_unacknowledged(
        conn, other, before=(T0 + dt.timedelta(days=1), uuid.uuid4()), limit=1
    )
    assert len(page) == 1
    with pytest.raises(ValidationError, match="limit"):
        await notifications.list_unacknowledged(conn, dev, limit=0)


async def test_list_for_agent_pages_and_filters_unread(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    dev = devs[0]
    sent = [
        await notifications.send_notification(
            conn, note(pm, [dev], timestamp=T0 + dt.timedelta(seconds=i % 2))
        )
        for i in range(5)
    ]
    expected = sorted(sent, key=lambda n: (n.timestamp, n.id), reverse=True)
    assert [n.id for n in await notifications.list_for_agent(conn, dev)] == [n.id for n in expected]
    seen: list[uuid.UUID] = []
    cursor = None
    while page := await notifications.list_for_agent(conn, dev, before=cursor, limit=2):
        seen += [n.id for n in page]
        cursor = (page[-1].timestamp, page[-1].id)
    assert seen == [n.id for n in expected]

    await notifications.mark_read(conn, expected[0].id, dev)
    unread = await notifications.list_for_agent(conn, dev, unread_only=True)
    assert [n.id for n in unread] == [n.id for n in expected[1:]]
    assert await notifications.list_for_agent(conn, devs[1]) == []


async def test_reescalation_slot_is_a_compare_and_set(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    sent = await notifications.send_notification(conn, note(pm, devs, requires_ack=True))
    assert (sent.reescalation_count, sent.reescalation_delivered_count) == (0, 0)
    assert sent.last_reescalated_at is None
    won = await notifications.claim_reescalation(conn, sent.id, seen_count=0, at=T0)
    assert won is not None and won.reescalation_count == 1 and won.last_reescalated_at == T0
    assert await notifications.claim_reescalation(conn, sent.id, seen_count=0) is None  # lost
    out = await notifications.add_reescalation_deliveries(conn, sent.id, 2)
    out = await notifications.add_reescalation_deliveries(conn, sent.id, 1)
    assert out.reescalation_delivered_count == 3 and out.reescalation_count == 1
    with pytest.raises(NotFound):
        await notifications.add_reescalation_deliveries(conn, uuid.uuid4(), 1)
    with pytest.raises(ValidationError):
        await notifications.claim_reescalation(conn, sent.id, seen_count=-1)


async def test_briefing_lists_mentions_with_or_without_requires_ack(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    """RoboCo's briefing reads unread mentions whatever requires_ack says, and pending
    notifications only where an ack is required: both are one call."""
    dev = devs[0]
    mention = await notifications.send_notification(
        conn, note(pm, [dev], type=NotificationType.MENTION, requires_ack=False)
    )
    urgent = await notifications.send_notification(
        conn,
        note(pm, [dev], type=NotificationType.BLOCKER_ESCALATION, timestamp=T0 + dt.timedelta(1)),
    )
    fyi = await notifications.send_notification(conn, note(pm, [dev], requires_ack=False))

    pending = await notifications.list_unacknowledged(conn, dev)
    assert [n.id for n in pending] == [urgent.id]
    mentions = await notifications.list_unacknowledged(
        conn, dev, type=NotificationType.MENTION, requires_ack=False, include_expired=True
    )
    assert [n.id for n in mentions] == [mention.id]
    anything = await notifications.list_unacknowledged(conn, dev, requires_ack=False)
    assert {n.id for n in anything} == {urgent.id, fyi.id, mention.id}
    await notifications.acknowledge(conn, mention.id, dev)
    assert (
        await notifications.list_unacknowledged(
            conn, dev, type=NotificationType.MENTION, requires_ack=False
        )
        == []
    )


async def test_list_for_agent_combines_type_unread_and_pending_ack(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    dev = devs[0]
    blocker = await notifications.send_notification(
        conn, note(pm, [dev], type=NotificationType.BLOCKER_ESCALATION)
    )
    assigned = await notifications.send_notification(conn, note(pm, [dev]))
    fyi = await notifications.send_notification(conn, note(pm, [dev], requires_ack=False))
    await notifications.mark_read(conn, assigned.id, dev)

    def ids(rows: list[Any]) -> set[uuid.UUID]:
        return {n.id for n in rows}

    assert ids(await notifications.list_for_agent(conn, dev, pending_ack_only=True)) == {
        blocker.id,
        assigned.id,
    }
    assert ids(
        await notifications.list_for_agent(conn, dev, pending_ack_only=True, unread_only=True)
    ) == {blocker.id}
    assert ids(
        await notifications.list_for_agent(conn, dev, type=NotificationType.TASK_ASSIGNMENT)
    ) == {assigned.id, fyi.id}
    assert ids(
        await notifications.list_for_agent(
            conn, dev, type=NotificationType.TASK_ASSIGNMENT, unread_only=True
        )
    ) == {fyi.id}
    await notifications.acknowledge(conn, blocker.id, dev)
    assert (
        await notifications.list_for_agent(
            conn, dev, pending_ack_only=True, type=NotificationType.BLOCKER_ESCALATION
        )
        == []
    )


async def test_count_for_agent(conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]) -> None:
    dev, other = devs
    assert await notifications.count_for_agent(conn, dev) == NotificationCounts(
        total=0, unread=0, pending_ack=0
    )
    first = await notifications.send_notification(conn, note(pm, devs))
    second = await notifications.send_notification(conn, note(pm, [dev]))
    await notifications.send_notification(conn, note(pm, [dev], requires_ack=False))
    await notifications.mark_read(conn, second.id, dev)
    await notifications.acknowledge(conn, first.id, dev)
    counts = await notifications.count_for_agent(conn, dev)
    assert (counts.total, counts.unread, counts.pending_ack) == (3, 1, 1)
    assert (await notifications.count_for_agent(conn, other)).pending_ack == 1


async def test_list_system_filters_not_fully_acked_in_sql(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    old = await notifications.send_notification(conn, note(pm, devs, timestamp=T0))
    newer = [
        await notifications.send_notification(
            conn, note(pm, [devs[0]], timestamp=T0 + dt.timedelta(minutes=i + 1))
        )
        for i in range(3)
    ]
    for n in newer:
        await notifications.acknowledge(conn, n.id, devs[0])
    await notifications.acknowledge(conn, old.id, devs[0])  # devs[1] still owes it
    blocker = await notifications.send_notification(
        conn,
        note(
            pm,
            [pm],
            type=NotificationType.BLOCKER_ESCALATION,
            requires_ack=False,
            timestamp=T0 + dt.timedelta(hours=1),
        ),
    )

    everything = await notifications.list_system(conn)
    assert len(everything) == 5 and everything[-1].id == old.id
    # three newer fully acked rows do not hide the older pending one behind a limit of 1
    assert [
        n.id for n in await notifications.list_system(conn, pending_ack_only=True, limit=1)
    ] == [old.id]
    typed = await notifications.list_system(conn, type=NotificationType.BLOCKER_ESCALATION)
    assert [n.id for n in typed] == [blocker.id]


async def test_expiry_sweep_lists_expired_unacked(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    dev, other = devs
    past = T0 - dt.timedelta(hours=1)
    stale = await notifications.send_notification(conn, note(pm, devs, expires_at=past))
    older = await notifications.send_notification(
        conn, note(pm, [dev], expires_at=past - dt.timedelta(hours=1))
    )
    done = await notifications.send_notification(conn, note(pm, [dev], expires_at=past))
    await notifications.acknowledge(conn, done.id, dev)
    await notifications.send_notification(  # not ack-required: never swept
        conn, note(pm, [dev], expires_at=past, requires_ack=False)
    )
    await notifications.send_notification(  # still live
        conn, note(pm, [dev], expires_at=T0 + dt.timedelta(hours=1))
    )
    await notifications.acknowledge(conn, stale.id, dev)  # other still owes it

    swept = await notifications.list_expired_unacked(conn, now=T0)
    assert [n.id for n in swept] == [older.id, stale.id]
    assert other not in swept[1].acked_by
    assert [n.id for n in await notifications.list_expired_unacked(conn, now=past)] == [older.id]
    assert len(await notifications.list_expired_unacked(conn)) == 3  # by the clock T0+1h is past
    with pytest.raises(ValidationError, match="timezone"):
        await notifications.list_expired_unacked(conn, now=dt.datetime(2025, 1, 1))


async def test_send_unless_pending_suppresses_the_same_purpose(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    blocker = NotificationType.BLOCKER_ESCALATION
    first = await notifications.send_unless_pending(conn, note(pm, devs, type=blocker))
    assert first is not None
    # reworded, recipients in another order: the same purpose, suppressed
    again = note(pm, list(reversed(devs)), type=blocker, body="Still blocked")
    assert await notifications.send_unless_pending(conn, again) is None
    # a strict subset or superset of recipients, another type, or requires_ack False: sent
    assert await notifications.send_unless_pending(conn, note(pm, devs[:1], type=blocker))
    assert await notifications.send_unless_pending(conn, note(pm, [*devs, pm], type=blocker))
    assert await notifications.send_unless_pending(conn, note(pm, devs))
    assert await notifications.send_unless_pending(
        conn, note(pm, devs, type=blocker, requires_ack=False)
    )
    # one recipient acked: still pending for the other
    await notifications.acknowledge(conn, first.id, devs[0])
    assert await notifications.send_unless_pending(conn, note(pm, devs, type=blocker)) is None
    await notifications.acknowledge(conn, first.id, devs[1])
    assert await notifications.send_unless_pending(conn, note(pm, devs, type=blocker))
    assert await count(conn) == 6
    with pytest.raises(NotFound, match="no agents row"):
        await notifications.send_unless_pending(conn, note(uuid.uuid4(), devs, type=blocker))


async def test_send_unless_pending_sends_once_under_concurrent_senders(
    conn: Conn, db_url: str, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    """Half the senders in their own transaction, half in autocommit: exactly one sends."""
    others = [
        await psycopg.AsyncConnection.connect(db_url, autocommit=i % 2 == 0) for i in range(4)
    ]

    async def send(c: Conn) -> bool:
        async with c.transaction():
            sent = await notifications.send_unless_pending(
                c, note(pm, devs, type=NotificationType.BLOCKER_ESCALATION)
            )
        return sent is not None

    try:
        results = await asyncio.gather(*(send(c) for c in others))
    finally:
        for c in others:
            await c.close()
    assert sorted(results) == [False, False, False, True]
    assert await count(conn) == 1


async def test_concurrent_acknowledgements_both_survive(
    conn: Conn, db_url: str, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    sent = await notifications.send_notification(conn, note(pm, devs))
    others = [await psycopg.AsyncConnection.connect(db_url, autocommit=True) for _ in devs]
    try:
        await asyncio.gather(
            *(notifications.acknowledge(c, sent.id, d) for c, d in zip(others, devs, strict=True))
        )
    finally:
        for c in others:
            await c.close()
    final = await notifications.get_notification(conn, sent.id)
    assert final is not None
    assert set(final.acked_by) == set(devs) and set(final.acked_at) == {str(d) for d in devs}


async def test_notifications_of_finished_tasks_are_acked_for_everyone(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    finished = await make_task(conn, pm, status="completed")
    live = await make_task(conn, pm)
    resolved = await notifications.send_notification(conn, note(pm, devs, related_task_id=finished))
    await notifications.acknowledge(conn, resolved.id, devs[0], at=T0)
    kept = await notifications.send_notification(conn, note(pm, devs, related_task_id=live))
    await notifications.send_notification(
        conn, note(pm, devs, related_task_id=finished, requires_ack=False)
    )
    at = T0 + dt.timedelta(hours=1)
    done = await notifications.ack_finished_task_notifications(conn, at=at)
    assert [n.id for n in done] == [resolved.id]
    assert done[0].acked_by == devs
    assert done[0].acked_at == {str(devs[0]): T0.isoformat(), str(devs[1]): at.isoformat()}
    assert await notifications.ack_finished_task_notifications(conn) == []
    untouched = await notifications.get_notification(conn, kept.id)
    assert untouched is not None and untouched.acked_by == []


async def test_acknowledge_many_in_one_statement(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    dev, other = devs
    mine = [await notifications.send_notification(conn, note(pm, [dev])) for _ in range(2)]
    shared = await notifications.send_notification(conn, note(pm, devs))
    theirs = await notifications.send_notification(conn, note(pm, [other]))
    await notifications.acknowledge(conn, mine[0].id, dev, at=T0)
    ids = [*(n.id for n in mine), shared.id, theirs.id, uuid.uuid4()]
    assert await notifications.acknowledge_many(conn, ids, dev) == 3
    for n in (*mine, shared):
        got = await notifications.get_notification(conn, n.id)
        assert got is not None and got.acked_by == [dev] and dev in got.read_by
    first = await notifications.get_notification(conn, mine[0].id)
    assert first is not None and first.acked_at == {str(dev): T0.isoformat()}  # kept
    untouched = await notifications.get_notification(conn, theirs.id)
    assert untouched is not None and untouched.acked_by == []
    assert await notifications.acknowledge_many(conn, [], dev) == 0


async def test_send_notifications_in_one_statement(
    conn: Conn, pm: uuid.UUID, devs: list[uuid.UUID]
) -> None:
    batch = [note(pm, [d], type=NotificationType.KNOWLEDGE_SHARE, requires_ack=False) for d in devs]
    ids = await notifications.send_notifications(conn, batch)
    assert ids == [n.id for n in batch]
    for n in batch:
        got = await notifications.get_notification(conn, n.id)
        assert got is not None
        assert (got.to_agents, got.type, got.requires_ack) == (
            n.to_agents,
            NotificationType.KNOWLEDGE_SHARE,
            False,
        )
        assert got.timestamp == T0 and got.acked_by == [] and got.related_message_ids == []
    bad = [note(pm, [devs[0]]), note(uuid.uuid4(), [devs[0]])]
    with pytest.raises(NotFound, match="no agents row"):
        await notifications.send_notifications(conn, bad)
    assert await count(conn) == 2  # all or nothing
    assert await notifications.send_notifications(conn, []) == []
