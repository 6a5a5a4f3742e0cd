"""Notifications: sent to one or more agents, acknowledged and read per recipient.

Acknowledgements live on the row (``acked_by`` ids, ``acked_at`` agent-id -> ISO time, and
``read_by``), so each one is a single idempotent UPDATE.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.notification import Notification, NotificationCreate
from roboco_sql.queries import Query
from roboco_sql.repos._errors import translated
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "Cursor",
    "acknowledge",
    "add_reescalation_deliveries",
    "claim_reescalation",
    "get_notification",
    "list_for_agent",
    "list_unacknowledged",
    "mark_delivered",
    "mark_read",
    "send_notification",
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

_ROW = model_row(Notification)


async def send_notification(conn: AsyncConnection[Any], data: NotificationCreate) -> Notification:
    """Insert a notification for its recipients (at least one, checked by the model).

    NotFound names a sender or related task that does not exist.
    """
    with translated("notification"):
        row = await queries.fetch_one(conn, _SEND, _ROW, **data.model_dump())
    assert row is not None
    return row


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
    if await get_notification(conn, notification_id) is None:
        raise NotFound(f"notification {notification_id} not found")
    raise ValidationError(f"agent {agent_id} is not a recipient of notification {notification_id}")


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
    row = await queries.fetch_one(
        conn, _DELIVERED, _ROW, id=notification_id, delivered_at=at or utcnow()
    )
    if row is None:
        raise NotFound(f"notification {notification_id} not found")
    return row


async def list_unacknowledged(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    *,
    include_expired: bool = False,
    before: Cursor | None = None,
    limit: int = 20,
) -> list[Notification]:
    """Notifications to an agent that require an ack it has not given, newest first."""
    before_at, before_id = before if before is not None else (None, None)
    return await queries.fetch_all(
        conn,
        _UNACKED,
        _ROW,
        agent_id=agent_id,
        include_expired=include_expired,
        before_at=before_at,
        before_id=before_id,
        limit=checked_limit(limit),
    )


async def list_for_agent(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    *,
    unread_only: bool = False,
    before: Cursor | None = None,
    limit: int = 20,
) -> list[Notification]:
    """Notifications addressed to an agent, newest first, optionally only the unread ones."""
    before_at, before_id = before if before is not None else (None, None)
    return await queries.fetch_all(
        conn,
        _FOR_AGENT,
        _ROW,
        agent_id=agent_id,
        unread_only=unread_only,
        before_at=before_at,
        before_id=before_id,
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
    row = await queries.fetch_one(
        conn, _REESCALATION_DELIVERIES, _ROW, id=notification_id, delivered=delivered
    )
    if row is None:
        raise NotFound(f"notification {notification_id} not found")
    return row
