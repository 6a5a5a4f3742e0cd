"""The respawn tracker: the durable strike counter against respawning an agent on a stuck task."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import Input, Row, utcnow

__all__ = ["RespawnRecord", "RespawnRecordWrite"]


class RespawnRecord(Row):
    """Row of ``respawn_tracker``, keyed by (agent_slug, task_id); task_id has no foreign key."""

    __table__ = "respawn_tracker"

    agent_slug: str
    task_id: uuid.UUID
    count: int
    last_status: str | None
    last_check: AwareDatetime
    tracing_resets: int
    notified: bool
    updated_at: AwareDatetime
    revisit_resets: int


class RespawnRecordWrite(Input):
    """The whole state of one counter, written over whatever the row held."""

    __table__ = "respawn_tracker"

    agent_slug: str = Field(min_length=1, max_length=64)
    task_id: uuid.UUID
    count: int = Field(default=1, ge=0)
    last_status: str | None = Field(default=None, max_length=64)
    last_check: AwareDatetime = Field(default_factory=utcnow)
    tracing_resets: int = Field(default=0, ge=0)
    revisit_resets: int = Field(default=0, ge=0)
    notified: bool = False
