"""Handoffs: what a developer leaves the documenter when a task's code is done.

RoboCo reserves this table without a service layer yet, so only the shapes are fixed here.
"""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import JsonArray, Row, StampedCreate
from roboco_sql.models.enums import HandoffStatus

__all__ = ["Handoff", "HandoffCreate"]


class Handoff(Row):
    """Row of ``handoffs``; one per task, enforced by a unique constraint."""

    __table__ = "handoffs"

    id: uuid.UUID
    task_id: uuid.UUID
    summary: str
    new_functionality: list[str]
    modified_behavior: list[str]
    breaking_changes: list[str]
    required_docs: JsonArray
    optional_docs: JsonArray
    commits: JsonArray
    new_files: JsonArray
    modified_files: JsonArray
    key_conversations: JsonArray
    code_samples: JsonArray
    gotchas: JsonArray
    related_docs: list[str]
    changelog_entry: str | None
    key_learnings: list[str]
    key_decisions: JsonArray
    questions: list[str]
    dev_notes_location: str | None
    status: HandoffStatus
    assigned_to: uuid.UUID | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None
    claimed_at: AwareDatetime | None
    completed_at: AwareDatetime | None
    documenter_notes: str | None


class HandoffCreate(StampedCreate):
    """A new handoff; every list column starts empty unless given."""

    __table__ = "handoffs"

    task_id: uuid.UUID
    summary: str = Field(min_length=1)
    new_functionality: list[str] = Field(default_factory=list)
    modified_behavior: list[str] = Field(default_factory=list)
    breaking_changes: list[str] = Field(default_factory=list)
    required_docs: JsonArray = Field(default_factory=list)
    optional_docs: JsonArray = Field(default_factory=list)
    commits: JsonArray = Field(default_factory=list)
    new_files: JsonArray = Field(default_factory=list)
    modified_files: JsonArray = Field(default_factory=list)
    key_conversations: JsonArray = Field(default_factory=list)
    code_samples: JsonArray = Field(default_factory=list)
    gotchas: JsonArray = Field(default_factory=list)
    related_docs: list[str] = Field(default_factory=list)
    changelog_entry: str | None = None
    key_learnings: list[str] = Field(default_factory=list)
    key_decisions: JsonArray = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)
    dev_notes_location: str | None = Field(default=None, max_length=500)
    status: HandoffStatus = HandoffStatus.PENDING
    assigned_to: uuid.UUID | None = None
