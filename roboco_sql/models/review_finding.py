"""Review findings: the append-only ledger of what QA, the PR gate, a PM or the CEO found wrong.

A finding is never rewritten; only its status (open -> addressed -> verified, or waived) and
the two resolution columns move.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import AwareDatetime, Field, field_validator

from roboco_sql.models.base import Create, Row, View

__all__ = [
    "EscapedDefect",
    "FindingFileCount",
    "FindingOrigin",
    "FindingSeverity",
    "FindingStatus",
    "FindingStatusCount",
    "ReviewFindingCreate",
    "SeverityCount",
    "TaskReviewFinding",
]

RESOLUTION_NOTE_MAX = 300
"""``resolution_note`` is a varchar(300); longer notes are cut to fit, as RoboCo does."""


class FindingOrigin(StrEnum):
    """Who raised a finding (``task_review_findings.origin``, a varchar(20))."""

    QA = "qa"
    PR_GATE = "pr_gate"
    PM = "pm"
    CEO = "ceo"


class FindingSeverity(StrEnum):
    """Worst first; alphabetical order happens to be the same, which RoboCo's sort relies on."""

    BLOCKER = "blocker"
    MAJOR = "major"
    MINOR = "minor"
    NIT = "nit"


class FindingStatus(StrEnum):
    """Where a finding is in its life (``task_review_findings.status``, default 'open')."""

    OPEN = "open"
    ADDRESSED = "addressed"
    VERIFIED = "verified"
    WAIVED = "waived"


class TaskReviewFinding(Row):
    """Row of ``task_review_findings``; origin, severity and status are plain varchars."""

    __table__ = "task_review_findings"

    id: uuid.UUID
    task_id: uuid.UUID
    origin: str
    round: int
    author_slug: str | None
    file: str | None
    line: int | None
    severity: str
    criterion: str | None
    expected: str
    actual: str
    fix: str | None
    evidence: str | None
    status: str
    addressed_by_commit: str | None
    resolution_note: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class ReviewFindingCreate(Create):
    """One finding as a reviewer states it; the task, origin and round come with the batch."""

    __table__ = "task_review_findings"

    file: str | None = Field(default=None, min_length=1, max_length=300)
    line: int | None = Field(default=None, ge=1)
    severity: FindingSeverity
    criterion: str | None = Field(default=None, max_length=500)
    expected: str = Field(min_length=1, max_length=300)
    actual: str = Field(min_length=1, max_length=300)
    fix: str | None = Field(default=None, max_length=500)
    evidence: str | None = Field(default=None, max_length=2000)

    @field_validator("file")
    @classmethod
    def _relative(cls, file: str | None) -> str | None:
        if file is not None and (file.startswith(("/", "\\")) or file[1:3] in (":\\", ":/")):
            raise ValueError("file must be a path relative to the repository root")
        return file


class FindingStatusCount(View):
    """How many of a task's findings of one origin are in one status."""

    origin: str
    status: str
    count: int


class FindingFileCount(View):
    """A file and how many findings name it."""

    file: str
    count: int


class EscapedDefect(View):
    """A blocker marked addressed but never verified, on a task that has since completed."""

    task_id: uuid.UUID
    origin: str


class SeverityCount(View):
    """How many open findings have one severity."""

    severity: str
    count: int
