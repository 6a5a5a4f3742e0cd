"""Agent-to-agent conversations between two agent slugs, and their messages."""

from __future__ import annotations

import uuid
from typing import Self

from pydantic import AwareDatetime, Field, model_validator

from roboco_sql.models.base import Input, JsonArray, Row, Slug, new_id, utcnow
from roboco_sql.models.enums import A2AConversationStatus, A2AMessageKind

__all__ = ["A2AConversation", "A2AConversationCreate", "A2AMessage", "A2AMessageCreate"]


class A2AConversation(Row):
    """Row of ``a2a_conversations``; ``agent_a`` is the lexically smaller slug of the pair."""

    __table__ = "a2a_conversations"

    id: uuid.UUID
    agent_a: str
    agent_b: str
    topic: str | None
    task_id: uuid.UUID | None
    status: A2AConversationStatus
    resolution: str | None
    message_count: int
    unread_by_a: int
    unread_by_b: int
    created_at: AwareDatetime
    updated_at: AwareDatetime
    last_message_at: AwareDatetime | None


class A2AMessage(Row):
    """Row of ``a2a_messages``; ``from_agent`` is a slug, not an agent id."""

    __table__ = "a2a_messages"

    id: uuid.UUID
    conversation_id: uuid.UUID
    from_agent: str
    content: str
    message_kind: A2AMessageKind
    response_to_id: uuid.UUID | None
    requires_response: bool
    read_at: AwareDatetime | None
    created_at: AwareDatetime
    edited_at: AwareDatetime | None
    edit_history: JsonArray
    skill: str | None


class A2AConversationCreate(Input):
    """A new conversation; the pair is stored in slug order, which the database cannot check.

    The slugs are sorted here rather than refused, so (a, b) and (b, a) find the same pair.
    """

    __table__ = "a2a_conversations"

    id: uuid.UUID = Field(default_factory=new_id)
    agent_a: Slug
    agent_b: Slug
    topic: str | None = Field(default=None, max_length=255)
    task_id: uuid.UUID | None = None
    status: A2AConversationStatus = A2AConversationStatus.ACTIVE
    created_at: AwareDatetime = Field(default_factory=utcnow)
    updated_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _ordered_pair(self) -> Self:
        if self.agent_a == self.agent_b:
            raise ValueError("an agent cannot hold a conversation with itself")
        if self.agent_a > self.agent_b:
            self.agent_a, self.agent_b = self.agent_b, self.agent_a
        return self


class A2AMessageCreate(Input):
    """A new message in a conversation."""

    __table__ = "a2a_messages"

    id: uuid.UUID = Field(default_factory=new_id)
    conversation_id: uuid.UUID
    from_agent: Slug
    content: str = Field(min_length=1)
    message_kind: A2AMessageKind = A2AMessageKind.MESSAGE
    response_to_id: uuid.UUID | None = None
    requires_response: bool = False
    created_at: AwareDatetime = Field(default_factory=utcnow)
    skill: str | None = Field(default=None, min_length=1, max_length=100)
