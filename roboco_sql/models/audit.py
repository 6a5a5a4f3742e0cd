"""The audit log: an append-only record of denials, overrides and security events."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import Create, JsonObject, Row, utcnow

__all__ = ["AuditLogCreate", "AuditLogEntry", "AuditSeverity"]


class AuditSeverity(StrEnum):
    """Values of ``audit_log.severity``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class AuditLogEntry(Row):
    """Row of ``audit_log``; ``details`` is jsonb so queries can filter on its keys."""

    __table__ = "audit_log"

    id: uuid.UUID
    event_type: str
    agent_id: uuid.UUID | None
    target_type: str | None
    target_id: uuid.UUID | None
    severity: str
    details: JsonObject
    timestamp: AwareDatetime


class AuditLogCreate(Create):
    """A new audit event; ``event_type`` is dotted, e.g. ``task.claimed``."""

    __table__ = "audit_log"

    event_type: str = Field(min_length=1, max_length=80)
    agent_id: uuid.UUID | None = None
    target_type: str | None = Field(default=None, max_length=40)
    target_id: uuid.UUID | None = None
    severity: AuditSeverity = AuditSeverity.INFO
    details: JsonObject = Field(default_factory=dict)
    timestamp: AwareDatetime = Field(default_factory=utcnow)
