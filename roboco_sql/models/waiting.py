"""Waiting records: what a parked agent is waiting for, so it can be woken correctly."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import JsonObject, Row, StampedCreate, utcnow

__all__ = ["WaitingFor", "WaitingRecord", "WaitingRecordCreate"]


class WaitingFor(StrEnum):
    """Values RoboCo writes to ``waiting_records.waiting_for``."""

    BLOCKER_RESOLUTION = "blocker_resolution"
    QA_RESULT = "qa_result"
    ANSWER = "answer"
    ASSIGNMENT = "assignment"


class WaitingRecord(Row):
    """Row of ``waiting_records``; keyed by agent slug, one record per agent."""

    __table__ = "waiting_records"

    id: uuid.UUID
    agent_id: str
    task_id: uuid.UUID | None
    waiting_for: str
    waiting_since: AwareDatetime
    context: JsonObject
    created_at: AwareDatetime


class WaitingRecordCreate(StampedCreate):
    """A new (or replacing) waiting record; ``agent_id`` is the agent's slug."""

    __table__ = "waiting_records"

    agent_id: str = Field(min_length=1, max_length=64)
    task_id: uuid.UUID | None = None
    waiting_for: WaitingFor
    waiting_since: AwareDatetime = Field(default_factory=utcnow)
    context: JsonObject = Field(default_factory=dict)
