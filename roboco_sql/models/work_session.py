"""Work sessions: one agent's stint on one task's branch, through to its pull request."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from roboco_sql.models.base import Patch, Row, StampedCreate, utcnow
from roboco_sql.models.enums import WorkSessionStatus

__all__ = [
    "PullRequestStatus",
    "ToolchainStatus",
    "WorkSession",
    "WorkSessionCreate",
    "WorkSessionUpdate",
]


class PullRequestStatus(StrEnum):
    """Values RoboCo writes to the free-text ``work_sessions.pr_status``."""

    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"


class ToolchainStatus(StrEnum):
    """Values RoboCo writes to ``work_sessions.toolchain_status``."""

    OK = "ok"
    BROKEN = "broken"
    UNKNOWN = "unknown"


CommitHash = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-fA-F]{7,40}$")
]
"""A git commit hash, full or abbreviated: 7-40 hex characters, stored lowercase."""


class WorkSession(Row):
    """Row of ``work_sessions``; ``agent_id`` is nullable because deleting an agent nulls it."""

    __table__ = "work_sessions"

    id: uuid.UUID
    project_id: uuid.UUID
    task_id: uuid.UUID
    agent_id: uuid.UUID | None
    branch_name: str
    base_branch: str
    target_branch: str
    started_at: AwareDatetime
    ended_at: AwareDatetime | None
    status: WorkSessionStatus
    commits: list[str]
    files_modified: list[str]
    pr_number: int | None
    pr_url: str | None
    pr_status: str | None
    pr_created_at: AwareDatetime | None
    pr_merged_at: AwareDatetime | None
    merged_by: uuid.UUID | None
    toolchain_python: str | None
    toolchain_status: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class WorkSessionCreate(StampedCreate):
    """A new work session; unlike the column, RoboCo always names the working agent."""

    __table__ = "work_sessions"

    project_id: uuid.UUID
    task_id: uuid.UUID
    agent_id: uuid.UUID
    branch_name: str = Field(min_length=1, max_length=500)
    base_branch: str = Field(min_length=1, max_length=500)
    target_branch: str = Field(min_length=1, max_length=500)
    status: WorkSessionStatus = WorkSessionStatus.ACTIVE
    started_at: AwareDatetime = Field(default_factory=utcnow)


class WorkSessionUpdate(Patch):
    """Progress on a work session: commits, PR state, toolchain probe, closing."""

    __table__ = "work_sessions"
    __nullable__ = frozenset(
        {
            "ended_at",
            "pr_number",
            "pr_url",
            "pr_status",
            "pr_created_at",
            "pr_merged_at",
            "merged_by",
            "toolchain_python",
            "toolchain_status",
        }
    )

    status: WorkSessionStatus | None = None
    ended_at: AwareDatetime | None = None
    commits: list[CommitHash] | None = None
    files_modified: list[str] | None = None
    pr_number: int | None = None
    pr_url: str | None = Field(default=None, max_length=500)
    pr_status: PullRequestStatus | None = None
    pr_created_at: AwareDatetime | None = None
    pr_merged_at: AwareDatetime | None = None
    merged_by: uuid.UUID | None = None
    toolchain_python: str | None = Field(default=None, max_length=20)
    toolchain_status: ToolchainStatus | None = None
