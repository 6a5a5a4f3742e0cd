"""Secretary directives: actions the CEO orders, some held for the CEO's confirmation."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any, Self

from pydantic import AwareDatetime, Field, model_validator

from roboco_sql.models.base import Create, JsonObject, Patch, Row, utcnow

__all__ = [
    "GATED_KINDS",
    "REQUIRED_PAYLOAD_KEYS",
    "DirectiveKind",
    "DirectiveStatus",
    "SecretaryDirective",
    "SecretaryDirectiveCreate",
    "SecretaryDirectiveResolution",
]


class DirectiveKind(StrEnum):
    """Values of ``secretary_directives.kind``."""

    RELAY_MESSAGE = "relay_message"
    UPDATE_CHARTER = "update_charter"
    CONTROL_TASK = "control_task"
    APPROVE_PITCH = "approve_pitch"
    ANNOUNCE = "announce"


class DirectiveStatus(StrEnum):
    """Values of ``secretary_directives.status``; every directive starts ``pending``."""

    PENDING = "pending"
    EXECUTED = "executed"
    REJECTED = "rejected"
    FAILED = "failed"


GATED_KINDS: frozenset[DirectiveKind] = frozenset(
    {
        DirectiveKind.UPDATE_CHARTER,
        DirectiveKind.CONTROL_TASK,
        DirectiveKind.APPROVE_PITCH,
        DirectiveKind.ANNOUNCE,
    }
)
"""High-impact kinds wait for the CEO to confirm; the rest run at once."""

REQUIRED_PAYLOAD_KEYS: dict[DirectiveKind, frozenset[str]] = {
    DirectiveKind.RELAY_MESSAGE: frozenset({"channel", "text"}),
    DirectiveKind.ANNOUNCE: frozenset({"text"}),
    DirectiveKind.UPDATE_CHARTER: frozenset({"charter"}),
    DirectiveKind.APPROVE_PITCH: frozenset({"pitch_id"}),
    DirectiveKind.CONTROL_TASK: frozenset({"task_id", "action"}),
}
"""A directive whose payload lacks these keys could never be executed."""


class SecretaryDirective(Row):
    """Row of ``secretary_directives``; ``kind`` and ``status`` are varchar columns."""

    __table__ = "secretary_directives"

    id: uuid.UUID
    kind: str
    payload: JsonObject
    status: str
    requested_by: uuid.UUID
    requested_at: AwareDatetime
    decided_by: uuid.UUID | None
    decided_at: AwareDatetime | None
    result: str | None


class SecretaryDirectiveCreate(Create):
    """A new directive, always inserted ``pending`` with the payload its kind needs."""

    __table__ = "secretary_directives"

    kind: DirectiveKind
    payload: JsonObject = Field(default_factory=dict)
    requested_by: uuid.UUID
    requested_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _payload_complete(self) -> Self:
        missing = sorted(REQUIRED_PAYLOAD_KEYS[self.kind] - self.payload.keys())
        if missing:
            raise ValueError(f"{self.kind.value} payload is missing: {', '.join(missing)}")
        return self

    @property
    def gated(self) -> bool:
        """Whether this directive must wait for the CEO's confirmation."""
        return self.kind in GATED_KINDS


class SecretaryDirectiveResolution(Patch):
    """How a pending directive ended: executed, failed, or rejected by the CEO."""

    __table__ = "secretary_directives"
    __nullable__ = frozenset({"decided_by", "result"})

    status: DirectiveStatus
    decided_by: uuid.UUID | None = None
    decided_at: AwareDatetime = Field(default_factory=utcnow)
    result: str | None = None

    @model_validator(mode="after")
    def _resolved(self) -> Self:
        if self.status is DirectiveStatus.PENDING:
            raise ValueError("a resolution moves a directive out of 'pending'")
        return self

    def changes(self) -> dict[str, Any]:
        """As ``Patch.changes``, always stamping the new status and when it was decided."""
        changed = super().changes()
        changed["status"] = self.status
        changed["decided_at"] = self.decided_at
        return changed
