"""Channels, their groups, conversation sessions, session-task links and messages."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from roboco_sql.models.base import (
    Create,
    JsonArray,
    JsonObject,
    Name,
    Patch,
    Row,
    Slug,
    StampedCreate,
    View,
    utcnow,
)
from roboco_sql.models.enums import (
    AgentRole,
    ChannelType,
    MessageType,
    SessionScope,
    SessionStatus,
    TaskStatus,
    Team,
)

__all__ = [
    "Channel",
    "ChannelCreate",
    "ChannelUpdate",
    "Group",
    "GroupCreate",
    "GroupUpdate",
    "LinkedTask",
    "Message",
    "MessageCreate",
    "MessageVolume",
    "Session",
    "SessionCreate",
    "SessionTask",
    "SessionTaskCreate",
    "SessionTaskRelationship",
]

ChannelName = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^#?[a-z0-9-]+$")
]
"""Channel names are slugs that may carry a leading ``#``."""


class SessionTaskRelationship(StrEnum):
    """Values of ``session_tasks.relationship_type`` (a varchar)."""

    DISCUSSION = "discussion"
    PLANNING = "planning"
    REVIEW = "review"
    RETROSPECTIVE = "retrospective"


class Channel(Row):
    """Row of ``channels``; membership lives in the array columns, not a join table."""

    __table__ = "channels"

    id: uuid.UUID
    name: str
    slug: str
    type: ChannelType
    description: str | None
    topic: str | None
    members: list[uuid.UUID]
    writers: list[uuid.UUID]
    silent_observers: list[uuid.UUID]
    is_archived: bool
    is_private: bool
    allow_threads: bool
    allow_reactions: bool
    message_retention_days: int | None
    max_message_length: int
    message_count: int
    group_count: int
    last_activity: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class Group(Row):
    """Row of ``groups``: a hierarchy-scoped room inside a channel."""

    __table__ = "groups"

    id: uuid.UUID
    name: str
    channel_id: uuid.UUID
    allowed_roles: list[str]
    hierarchy_level: int
    members: list[uuid.UUID]
    is_active: bool
    active_session_id: uuid.UUID | None
    default_session_config: JsonObject
    total_sessions: int
    total_messages: int
    last_activity: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class Session(Row):
    """Row of ``sessions``: a bounded conversation window in a group (no ``updated_at``)."""

    __table__ = "sessions"

    id: uuid.UUID
    group_id: uuid.UUID
    max_time_window: dt.timedelta | None
    max_message_count: int | None
    max_content_length: int | None
    timeout_seconds: int
    status: SessionStatus
    scope: SessionScope
    started_at: AwareDatetime
    last_activity_at: AwareDatetime
    closed_at: AwareDatetime | None
    message_count: int
    total_content_length: int
    created_at: AwareDatetime


class SessionTask(Row):
    """Row of ``session_tasks``: links a session to a task; at most one primary per task."""

    __table__ = "session_tasks"

    id: uuid.UUID
    session_id: uuid.UUID
    task_id: uuid.UUID
    is_primary: bool
    relationship_type: str
    added_at: AwareDatetime
    added_by: uuid.UUID | None


class _Utterance(BaseModel):
    """The columns a message starts with, the same as read and as written: who said what,
    where. ``id`` holds the Row's column order; a Create's own ``id`` (made app-side) takes
    its place."""

    id: uuid.UUID
    agent_id: uuid.UUID
    channel_id: uuid.UUID
    group_id: uuid.UUID
    session_id: uuid.UUID
    type: MessageType
    content: str


class Message(Row, _Utterance):
    """Row of ``messages``: one extracted utterance in a session."""

    __table__ = "messages"

    content_length: int
    is_reply: bool
    reply_to: uuid.UUID | None
    mentions: list[uuid.UUID]
    task_id: uuid.UUID | None
    commit_ref: str | None
    timestamp: AwareDatetime
    confidence: float
    raw_excerpt: str | None
    edited_at: AwareDatetime | None
    edit_history: JsonArray
    created_at: AwareDatetime


class ChannelCreate(StampedCreate):
    """A new channel with RoboCo's defaults (threads and reactions on, 90-day retention)."""

    __table__ = "channels"

    name: ChannelName
    slug: Slug
    type: ChannelType
    description: str | None = None
    topic: str | None = Field(default=None, max_length=500)
    members: list[uuid.UUID] = Field(default_factory=list)
    writers: list[uuid.UUID] = Field(default_factory=list)
    silent_observers: list[uuid.UUID] = Field(default_factory=list)
    is_private: bool = False
    allow_threads: bool = True
    allow_reactions: bool = True
    message_retention_days: int | None = Field(default=90, ge=1)
    max_message_length: int = Field(default=10000, ge=1)


class ChannelUpdate(Patch):
    """Editable channel attributes; membership changes replace the whole array."""

    __table__ = "channels"
    __nullable__ = frozenset({"description", "topic", "message_retention_days"})

    name: ChannelName | None = None
    description: str | None = None
    topic: str | None = Field(default=None, max_length=500)
    members: list[uuid.UUID] | None = None
    writers: list[uuid.UUID] | None = None
    silent_observers: list[uuid.UUID] | None = None
    is_archived: bool | None = None
    is_private: bool | None = None
    allow_threads: bool | None = None
    allow_reactions: bool | None = None
    message_retention_days: int | None = Field(default=None, ge=1)
    max_message_length: int | None = Field(default=None, ge=1)


class GroupCreate(StampedCreate):
    """A new group; level 0 is the CEO tier, 4 (the default) is cell members."""

    __table__ = "groups"

    name: Name
    channel_id: uuid.UUID
    allowed_roles: list[AgentRole] = Field(default_factory=list)
    hierarchy_level: int = Field(default=4, ge=0, le=4)
    members: list[uuid.UUID] = Field(default_factory=list)
    is_active: bool = True
    default_session_config: JsonObject = Field(default_factory=dict)


class GroupUpdate(Patch):
    """Editable group attributes, including which session is the live one."""

    __table__ = "groups"
    __nullable__ = frozenset({"active_session_id"})

    name: Name | None = None
    allowed_roles: list[AgentRole] | None = None
    hierarchy_level: int | None = Field(default=None, ge=0, le=4)
    members: list[uuid.UUID] | None = None
    is_active: bool | None = None
    active_session_id: uuid.UUID | None = None
    default_session_config: JsonObject | None = None


class SessionCreate(StampedCreate):
    """A new session; limits default to RoboCo's (30 min, 100 messages, 50k chars, 300 s)."""

    __table__ = "sessions"

    group_id: uuid.UUID
    max_time_window: dt.timedelta | None = dt.timedelta(minutes=30)
    max_message_count: int | None = Field(default=100, ge=1)
    max_content_length: int | None = Field(default=50000, ge=1)
    timeout_seconds: int = Field(default=300, ge=0)
    status: SessionStatus = SessionStatus.ACTIVE
    scope: SessionScope = SessionScope.TASK
    started_at: AwareDatetime = Field(default_factory=utcnow)
    last_activity_at: AwareDatetime = Field(default_factory=utcnow)


class SessionTaskCreate(Create):
    """A session-task link; the database keeps the pair unique and one primary per task."""

    __table__ = "session_tasks"

    session_id: uuid.UUID
    task_id: uuid.UUID
    is_primary: bool = False
    relationship_type: SessionTaskRelationship = SessionTaskRelationship.DISCUSSION
    added_at: AwareDatetime = Field(default_factory=utcnow)
    added_by: uuid.UUID | None = None


class MessageCreate(StampedCreate, _Utterance):
    """A new message; ``content_length`` is derived from ``content`` unless given."""

    __table__ = "messages"

    content_length: int | None = Field(default=None, ge=0)
    is_reply: bool = False
    reply_to: uuid.UUID | None = None
    mentions: list[uuid.UUID] = Field(default_factory=list)
    task_id: uuid.UUID | None = None
    commit_ref: str | None = Field(default=None, max_length=40)
    timestamp: AwareDatetime = Field(default_factory=utcnow)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    raw_excerpt: str | None = None

    @model_validator(mode="after")
    def _length(self) -> Self:
        if self.content_length is None:
            self.content_length = len(self.content)
        return self


class MessageVolume(View):
    """Messages over a period: how many, in how many channels, and how many of each type."""

    total: int
    channels: int
    by_type: dict[str, int]


class LinkedTask(SessionTask):
    """A session's link to a task, with the task's headline (the columns a task has had since
    RoboCo's first revision, so it reads the same at every revision that has sessions)."""

    title: str
    status: TaskStatus
    priority: int
    team: Team
    assigned_to: uuid.UUID | None
    parent_task_id: uuid.UUID | None
