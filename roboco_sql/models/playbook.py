"""Playbooks: curated how-to procedures an agent drafts and the Auditor approves or retires."""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from roboco_sql.models.base import JsonArray, Patch, Row, StampedCreate, Title

__all__ = ["Playbook", "PlaybookCreate", "PlaybookStatus", "PlaybookUpdate", "playbook_slug"]

PLAYBOOK_SLUG_MAX = 80

PlaybookSlug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=PLAYBOOK_SLUG_MAX, pattern=r"^[a-z0-9-]+$"),
]
"""``playbooks.slug`` is a varchar(80) of lower-case words joined by dashes."""

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def playbook_slug(title: str) -> str:
    """The slug a playbook gets from its title: runs of other characters become one dash."""
    slug = _NOT_SLUG.sub("-", title.strip().lower()).strip("-")
    return slug[:PLAYBOOK_SLUG_MAX].rstrip("-") or "playbook"


class PlaybookStatus(StrEnum):
    """Values of ``playbooks.status`` (a varchar with no CHECK): draft -> approved -> archived."""

    DRAFT = "draft"
    APPROVED = "approved"
    ARCHIVED = "archived"


class Playbook(Row):
    """Row of ``playbooks``; ``tags`` and ``source_task_ids`` are json arrays (not jsonb)."""

    __table__ = "playbooks"

    id: uuid.UUID
    title: str
    slug: str
    problem: str
    procedure: str
    tags: JsonArray
    team: str | None
    scope: str
    source_task_ids: JsonArray
    status: str
    created_by: uuid.UUID
    approved_by: uuid.UUID | None
    created_at: AwareDatetime
    approved_at: AwareDatetime | None
    archived_by: uuid.UUID | None
    archived_at: AwareDatetime | None
    indexed_ok: bool
    indexed_at: AwareDatetime | None
    source_program: str | None


class PlaybookCreate(StampedCreate):
    """A new draft; the slug defaults to one made from the title."""

    __table__ = "playbooks"

    title: Title
    slug: PlaybookSlug | None = None
    problem: str = Field(min_length=1)
    procedure: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    team: str | None = Field(default=None, min_length=1, max_length=20)
    scope: str = Field(default="org", min_length=1, max_length=20)
    source_task_ids: list[uuid.UUID] = Field(default_factory=list)
    created_by: uuid.UUID
    source_program: str | None = Field(default=None, min_length=1, max_length=30)

    @model_validator(mode="after")
    def _slug_from_title(self) -> Self:
        if self.slug is None:
            self.slug = playbook_slug(self.title)
        return self


class PlaybookUpdate(Patch):
    """The editable text of a playbook; its status moves only through approve/reject/archive."""

    __table__ = "playbooks"
    __nullable__ = frozenset({"team"})

    title: Title | None = None
    problem: str | None = Field(default=None, min_length=1)
    procedure: str | None = Field(default=None, min_length=1)
    tags: list[str] | None = None
    team: str | None = Field(default=None, min_length=1, max_length=20)
    scope: str | None = Field(default=None, min_length=1, max_length=20)
