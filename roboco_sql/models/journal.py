"""Journals: each agent's private log of reflections, decisions, learnings and struggles."""

from __future__ import annotations

import uuid
from typing import Self

from pydantic import AwareDatetime, Field, model_validator

from roboco_sql.models.base import JsonObject, Row, StampedCreate, Title, View, utcnow
from roboco_sql.models.enums import AgentRole, JournalEntryType

__all__ = [
    "DEFAULT_SENTIMENT",
    "Journal",
    "JournalCreate",
    "JournalEntry",
    "JournalEntryCreate",
    "JournalHighlight",
    "LearningTopic",
    "TaskEntryTime",
]

DEFAULT_SENTIMENT: dict[JournalEntryType, str] = {
    JournalEntryType.LEARNING: "positive",
    JournalEntryType.STRUGGLE: "frustrated",
}
"""RoboCo tags these entry types with a sentiment when the author gives none."""


class Journal(Row):
    """Row of ``journals``; one per agent, enforced by a unique constraint."""

    __table__ = "journals"

    id: uuid.UUID
    agent_id: uuid.UUID
    total_entries: int
    last_entry_at: AwareDatetime | None
    latest_summary: str | None
    summary_updated_at: AwareDatetime | None
    entries_by_type: JsonObject
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class JournalEntry(Row):
    """Row of ``journal_entries``; ``content`` is markdown.

    RoboCo's 060_drop_messaging dropped the column ``session_id`` (a link to the discussion
    sessions it retired); below 060 it is still there, always NULL as RoboCo writes it, and
    not read here, so the model is the same on both sides.
    """

    __table__ = "journal_entries"

    id: uuid.UUID
    journal_id: uuid.UUID
    type: JournalEntryType
    title: str
    content: str
    task_id: uuid.UUID | None
    timestamp: AwareDatetime
    tags: list[str]
    sentiment: str | None
    is_private: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class JournalCreate(StampedCreate):
    """A new (empty) journal for an agent."""

    __table__ = "journals"

    agent_id: uuid.UUID


class JournalEntryCreate(StampedCreate):
    """A new journal entry; learning and struggle entries get RoboCo's default sentiment."""

    __table__ = "journal_entries"

    journal_id: uuid.UUID
    type: JournalEntryType
    title: Title
    content: str
    task_id: uuid.UUID | None = None
    timestamp: AwareDatetime = Field(default_factory=utcnow)
    tags: list[str] = Field(default_factory=list)
    sentiment: str | None = Field(default=None, max_length=50)
    is_private: bool = False

    @model_validator(mode="after")
    def _default_sentiment(self) -> Self:
        if "sentiment" not in self.model_fields_set:
            self.sentiment = DEFAULT_SENTIMENT.get(self.type)
        return self


class JournalHighlight(View):
    """A journal entry about a task with its author's slug and role: the handoff a task's next
    owner (or the CEO, for the board's review) reads without opening every journal."""

    entry_id: uuid.UUID
    task_id: uuid.UUID
    type: JournalEntryType
    title: str
    content: str
    timestamp: AwareDatetime
    author_id: uuid.UUID
    author_slug: str
    author_role: AgentRole


class LearningTopic(View):
    """A public learning title and how many entries carry it (the librarian's pattern signal)."""

    title: str
    count: int


class TaskEntryTime(View):
    """When a journal entry about a task was written (one point of a task's activity)."""

    task_id: uuid.UUID
    timestamp: AwareDatetime
