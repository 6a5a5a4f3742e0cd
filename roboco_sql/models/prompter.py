"""The prompter: intake chats with a human that end in confirmed task drafts."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime

from roboco_sql.models.base import Input, JsonObject, Row, StampedCreate
from roboco_sql.models.enums import PrompterMessageRole, PrompterSessionStatus

__all__ = [
    "PrompterMessage",
    "PrompterMessageCreate",
    "PrompterSession",
    "PrompterSessionCreate",
    "TaskDraft",
    "TaskDraftCreate",
    "TaskDraftUpdate",
]


class PrompterSession(Row):
    """Row of ``prompter_sessions``."""

    __table__ = "prompter_sessions"

    id: uuid.UUID
    agent_id: uuid.UUID
    status: PrompterSessionStatus
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class PrompterMessage(Row):
    """Row of ``prompter_messages``."""

    __table__ = "prompter_messages"

    id: uuid.UUID
    session_id: uuid.UUID
    role: PrompterMessageRole
    content: str
    created_at: AwareDatetime


class TaskDraft(Row):
    """Row of ``task_drafts``; ``task_id`` is set once the draft became a real task."""

    __table__ = "task_drafts"

    id: uuid.UUID
    session_id: uuid.UUID
    draft_data: JsonObject
    confirmed_at: AwareDatetime | None
    task_id: uuid.UUID | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class PrompterSessionCreate(StampedCreate):
    """A new intake session."""

    __table__ = "prompter_sessions"

    agent_id: uuid.UUID
    status: PrompterSessionStatus = PrompterSessionStatus.ACTIVE


class PrompterMessageCreate(StampedCreate):
    """One turn of an intake chat."""

    __table__ = "prompter_messages"

    session_id: uuid.UUID
    role: PrompterMessageRole
    content: str


class TaskDraftCreate(StampedCreate):
    """A draft task proposed in an intake session, not yet confirmed."""

    __table__ = "task_drafts"

    session_id: uuid.UUID
    draft_data: JsonObject


class TaskDraftUpdate(Input):
    """The human revised a draft before confirming it; the whole document is replaced."""

    __table__ = "task_drafts"

    draft_data: JsonObject
