"""Notifications: sent to one or more agents, acknowledged and read per recipient.

Acknowledgements live on the row (``acked_by`` ids, ``acked_at`` agent-id -> ISO time, and
``read_by``), so each one is a single idempotent UPDATE.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import NotificationType
from roboco_sql.models.notification import Notification, NotificationCounts, NotificationCreate
from roboco_sql.queries import Query
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import existing, insert, missed
from roboco_sql.repos._paging import MAX_LIMIT, checked_limit, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "Cursor",
    "ack_finished_task_notifications",
    "acknowledge",
    "acknowledge_many",
    "add_reescalation_deliveries",
    "claim_reescalation",
    "count_for_agent",
    "get_notification",
    "list_expired_unacked",
    "list_for_agent",
    "list_system",
    "list_unacknowledged",
    "mark_delivered",
    "mark_read",
    "send_notification",
    "send_notifications",
    "send_unless_pending",
]

Cursor = tuple[dt.datetime, uuid.UUID]
"""A keyset position: the (timestamp, id) of the last notification of the previous page."""

_Q = queries.load()
_SEND = _Q["notifications.send_notification"]
_GET = _Q["notifications.get_notification"]
_ACK = _Q["notifications.acknowledge_notification"]
_READ = _Q["notifications.mark_notification_read"]
_DELIVERED = _Q["notifications.mark_notification_delivered"]
_UNACKED = _Q["notifications.list_unacknowledged_notifications"]
_FOR_AGENT = _Q["notifications.list_agent_notifications"]
_CLAIM_REESCALATION = _Q["notifications.claim_reescalation"]
_REESCALATION_DELIVERIES = _Q["notifications.add_reescalation_deliveries"]
_SEND_UNLESS_PENDING = _Q["notifications.send_notification_unless_pending"]
_LOCK_PURPOSE = _Q["notifications.lock_notification_purpose"]
_COUNT = _Q["notifications.count_agent_notifications"]
_SYSTEM = _Q["notifications.list_system_notifications"]
_EXPIRED = _Q["notifications.list_expired_unacked_notifications"]
_ACK_FINISHED = _Q["notifications.ack_notifications_of_finished_tasks"]
_ACK_MANY = _Q["notifications.acknowledge_notifications"]
_SEND_MANY = _Q["notifications.send_notifications"]

_ROW = model_row(Notification)
_COUNTS = model_row(NotificationCounts)


def _aware(name: str, value: dt.datetime | None) -> dt.datetime:
    """value, or now; a naive time is refused rather than guessed."""
    if value is None:
        return utcnow()
    if value.tzinfo is None:
        raise ValidationError(f"{name} must be timezone-aware")
    return value


async def send_notification(conn: AsyncConnection[Any], data: NotificationCreate) -> Notification:
    """Insert a notification for its recipients (at least one, checked by the model).

    NotFound names a sender or related task that does not exist.
    """
    return await insert(conn, _SEND, _ROW, data, entity="notification")


async def get_notification(
    conn: AsyncConnection[Any], notification_id: uuid.UUID
) -> Notification | None:
    """One notification by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=notification_id)


async def _by_recipient(
    conn: AsyncConnection[Any],
    q: Query,
    notification_id: uuid.UUID,
    agent_id: uuid.UUID,
    **params: object,
) -> Notification:
    """Run a per-recipient UPDATE; no row means a missing notification or a non-recipient."""
    row = await queries.fetch_one(conn, q, _ROW, id=notification_id, agent_id=agent_id, **params)
    if row is not None:
        return row
    raise missed(
        await get_notification(conn, notification_id),
        "notification",
        notification_id,
        lambda _: f"agent {agent_id} is not a recipient of notification {notification_id}",
        ValidationError,
    )


async def acknowledge(
    conn: AsyncConnection[Any],
    notification_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    at: dt.datetime | None = None,
) -> Notification:
    """Record a recipient's acknowledgement (and that it read it); a repeat changes nothing.

    NotFound for a missing notification; ValidationError if the agent is not a recipient.
    """
    return await _by_recipient(
        conn, _ACK, notification_id, agent_id, acked_at=(at or utcnow()).isoformat()
    )


async def mark_read(
    conn: AsyncConnection[Any], notification_id: uuid.UUID, agent_id: uuid.UUID
) -> Notification:
    """Record that a recipient read the notification; a repeat changes nothing."""
    return await _by_recipient(conn, _READ, notification_id, agent_id)


async def mark_delivered(
    conn: AsyncConnection[Any], notification_id: uuid.UUID, *, at: dt.datetime | None = None
) -> Notification:
    """Stamp the first delivery attempt (a later call keeps it); NotFound if missing."""
    return await existing(
        conn,
        _DELIVERED,
        _ROW,
        "notification",
        notification_id,
        id=notification_id,
        delivered_at=at or utcnow(),
    )


async def list_unacknowledged(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    *,
    requires_ack: bool = True,
    type: NotificationType | None = None,
    include_expired: bool = False,
    before: Cursor | None = None,
    limit: int = 20,
) -> list[Notification]:
    """Notifications to an agent that it has not acknowledged, newest first.

    By default only those that require an ack, unexpired (RoboCo's briefing pending list).
    requires_ack=False drops that filter: RoboCo's briefing reads unread mentions as
    ``type=MENTION, requires_ack=False, include_expired=True``, and mentions need no ack.
    """
    return await queries.fetch_all(
        conn,
        _UNACKED,
        _ROW,
        agent_id=agent_id,
        requires_ack=requires_ack,
        type=optional_enum_arg("type", NotificationType, type),
        include_expired=include_expired,
        **cursor_params(before),
        limit=checked_limit(limit),
    )


async def list_for_agent(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    *,
    unread_only: bool = False,
    pending_ack_only: bool = False,
    type: NotificationType | None = None,
    before: Cursor | None = None,
    limit: int = 20,
) -> list[Notification]:
    """Notifications addressed to an agent, newest first; the filters combine: only unread,
    only those still owing its ack (expired or not), only one type."""
    return await queries.fetch_all(
        conn,
        _FOR_AGENT,
        _ROW,
        agent_id=agent_id,
        unread_only=unread_only,
        pending_ack_only=pending_ack_only,
        type=optional_enum_arg("type", NotificationType, type),
        **cursor_params(before),
        limit=checked_limit(limit),
    )


async def claim_reescalation(
    conn: AsyncConnection[Any],
    notification_id: uuid.UUID,
    *,
    seen_count: int,
    at: dt.datetime | None = None,
) -> Notification | None:
    """Take the next re-escalation attempt if the count is still ``seen_count``: the row for
    the one caller that won, None for a caller that lost the race (or no such notification)."""
    if seen_count < 0:
        raise ValidationError(f"seen_count must not be negative, not {seen_count}")
    if at is not None and at.tzinfo is None:
        raise ValidationError("at must be timezone-aware")
    return await queries.fetch_one(
        conn, _CLAIM_REESCALATION, _ROW, id=notification_id, seen_count=seen_count, at=at
    )


async def add_reescalation_deliveries(
    conn: AsyncConnection[Any], notification_id: uuid.UUID, delivered: int
) -> Notification:
    """Add the recipients a re-escalation reached; NotFound if there is no such notification."""
    if delivered < 0:
        raise ValidationError(f"delivered must not be negative, not {delivered}")
    return await existing(
        conn,
        _REESCALATION_DELIVERIES,
        _ROW,
        "notification",
        notification_id,
        id=notification_id,
        delivered=delivered,
    )


async def send_unless_pending(
    conn: AsyncConnection[Any], data: NotificationCreate
) -> Notification | None:
    """Send the notification unless one of the same purpose is still unacknowledged (same
    sender, type and related task, exactly the same recipients, not acked by all of them):
    RoboCo's purpose dedup. None when it was suppressed.

    RoboCo dedups only the ack-required types; a notification with requires_ack False is sent
    as is. Concurrent senders of one purpose are serialised by a transaction-scoped advisory
    lock, held until the caller's transaction ends, so exactly one of them sends.
    """
    if not data.requires_ack:
        return await send_notification(conn, data)
    params = data.model_dump()
    with translated("notification"):
        async with queries.atomic(conn):  # the lock must outlive the check even in autocommit
            await queries.execute(
                conn,
                _LOCK_PURPOSE,
                from_agent=data.from_agent,
                type=data.type,
                related_task_id=data.related_task_id,
            )
            return await queries.fetch_one(conn, _SEND_UNLESS_PENDING, _ROW, **params)


async def count_for_agent(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> NotificationCounts:
    """An agent's totals in one aggregate pass: addressed to it, unread, still owing its ack."""
    counts = await queries.fetch_one(conn, _COUNT, _COUNTS, agent_id=agent_id)
    assert counts is not None  # an aggregate always returns its row
    return counts


async def list_system(
    conn: AsyncConnection[Any],
    *,
    pending_ack_only: bool = False,
    type: NotificationType | None = None,
    limit: int = 50,
) -> list[Notification]:
    """Every notification, newest first, for the system view: optionally one type, or only
    those some recipient still owes an ack (filtered in SQL, so the limit cannot hide older
    unacked rows behind newer acked ones)."""
    return await queries.fetch_all(
        conn,
        _SYSTEM,
        _ROW,
        pending_ack_only=pending_ack_only,
        type=optional_enum_arg("type", NotificationType, type),
        limit=checked_limit(limit),
    )


async def list_expired_unacked(
    conn: AsyncConnection[Any], *, now: dt.datetime | None = None, limit: int = MAX_LIMIT
) -> list[Notification]:
    """The expiry sweep: ack-required notifications past expires_at (at now, by default the
    clock) that some recipient has not acknowledged, the longest expired first. The sweep
    re-escalates each through claim_reescalation."""
    return await queries.fetch_all(
        conn, _EXPIRED, _ROW, now=_aware("now", now), limit=checked_limit(limit)
    )


async def ack_finished_task_notifications(
    conn: AsyncConnection[Any], *, at: dt.datetime | None = None
) -> list[Notification]:
    """Acknowledge for every remaining recipient each ack-required notification whose task is
    completed or cancelled, in one statement; the notifications it resolved."""
    return await queries.fetch_all(conn, _ACK_FINISHED, _ROW, acked_at=_aware("at", at).isoformat())


async def acknowledge_many(
    conn: AsyncConnection[Any],
    notification_ids: Collection[uuid.UUID],
    agent_id: uuid.UUID,
    *,
    at: dt.datetime | None = None,
) -> int:
    """A recipient acknowledges several notifications in one statement (RoboCo's
    bulk_acknowledge, used when an agent reads its A2A wake-ups): each as acknowledge does,
    skipping those it is not a recipient of; how many it is a recipient of."""
    return await queries.execute_rows(
        conn,
        _ACK_MANY,
        ids=list(set(notification_ids)),
        agent_id=agent_id,
        acked_at=_aware("at", at).isoformat(),
    )


async def send_notifications(
    conn: AsyncConnection[Any], batch: Sequence[NotificationCreate]
) -> list[uuid.UUID]:
    """Insert a batch of notifications in one statement, all or nothing (RoboCo's knowledge
    share fans one out per recipient this way, without dedup); their ids, in batch order.
    NotFound names a sender or task that does not exist."""
    if not batch:
        return []
    rows = Jsonb([n.model_dump(mode="json") for n in batch])
    with translated("notification"):
        await queries.execute_rows(conn, _SEND_MANY, rows=rows)
    return [n.id for n in batch]
