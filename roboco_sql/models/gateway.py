"""Gateway triggers: why the spawn gateway did or did not start an agent."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import Row, StampedCreate

__all__ = ["GatewayDecision", "GatewayTrigger", "GatewayTriggerCreate"]


class GatewayDecision(StrEnum):
    """Values RoboCo writes to ``gateway_triggers.decision``."""

    SPAWN = "spawn"
    QUEUE = "queue"
    DROP = "drop"


class GatewayTrigger(Row):
    """Row of ``gateway_triggers``."""

    __table__ = "gateway_triggers"

    id: uuid.UUID
    trigger_kind: str
    trigger_id: str | None
    task_id: uuid.UUID | None
    target_role: str
    decision: str
    decision_reason: str
    created_at: AwareDatetime


class GatewayTriggerCreate(StampedCreate):
    """A recorded gateway decision."""

    __table__ = "gateway_triggers"

    trigger_kind: str = Field(min_length=1, max_length=40)
    trigger_id: str | None = Field(default=None, max_length=80)
    task_id: uuid.UUID | None = None
    target_role: str = Field(min_length=1, max_length=40)
    decision: GatewayDecision
    decision_reason: str = Field(max_length=200)
