"""Notifications: addressed, acknowledgeable alerts from PMs, the board and the auditor."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import JsonObject, Row, StampedCreate, Title, View, utcnow
from roboco_sql.models.enums import NotificationPriority, NotificationType

__all__ = ["Notification", "NotificationCounts", "NotificationCreate"]


class Notification(Row):
    """Row of ``notifications``; ``acked_at`` maps agent-id strings to ISO timestamps."""

    __table__ = "notifications"

    id: uuid.UUID
    type: NotificationType
    priority: NotificationPriority
    from_agent: uuid.UUID
    to_agents: list[uuid.UUID]
    subject: str
    body: str
    requires_ack: bool
    acked_by: list[uuid.UUID]
    acked_at: JsonObject
    related_task_id: uuid.UUID | None
    related_message_ids: list[uuid.UUID]
    timestamp: AwareDatetime
    expires_at: AwareDatetime | None
    read_by: list[uuid.UUID]
    delivered_at: AwareDatetime | None
    created_at: AwareDatetime
    reescalation_count: int
    reescalation_delivered_count: int
    last_reescalated_at: AwareDatetime | None


class NotificationCreate(StampedCreate):
    """A new notification; one with no recipient would never be delivered, so it is refused."""

    __table__ = "notifications"

    type: NotificationType
    priority: NotificationPriority = NotificationPriority.NORMAL
    from_agent: uuid.UUID
    to_agents: list[uuid.UUID] = Field(min_length=1)
    subject: Title
    body: str
    requires_ack: bool = True
    related_task_id: uuid.UUID | None = None
    related_message_ids: list[uuid.UUID] = Field(default_factory=list)
    timestamp: AwareDatetime = Field(default_factory=utcnow)
    expires_at: AwareDatetime | None = None


class NotificationCounts(View):
    """An agent's notification counts: addressed to it, not yet read, still owing its ack."""

    total: int
    unread: int
    pending_ack: int
