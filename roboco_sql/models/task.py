"""Tasks: the unit of work, and the rules a new or edited task must satisfy."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from roboco_sql.models.base import (
    JsonArray,
    JsonObject,
    Patch,
    Row,
    StampedCreate,
    Title,
    unstorable,
)
from roboco_sql.models.enums import (
    BlockerResolverType,
    Complexity,
    TaskNature,
    TaskStatus,
    TaskType,
    Team,
)
from roboco_sql.models.task_markers import (
    MARKER_SHAPES,
    Marker,
    MarkerShape,
    json_texts,
    marker_value,
    marker_values,
)

__all__ = [
    "MARKER_SHAPES",
    "MAX_TASK_DEPTH",
    "NOTE_MIRRORS",
    "DocRef",
    "Marker",
    "MarkerShape",
    "NoteSection",
    "Task",
    "TaskCreate",
    "TaskUpdate",
    "marker_value",
]

MAX_TASK_DEPTH = 3
"""Parent chains stop at this depth; the repository walks the chain when a parent is given."""


class Task(Row):
    """Row of ``tasks``.

    No scope check here: the column pair allows rows with neither or both set, and reading
    them must not fail.
    """

    __table__ = "tasks"

    id: uuid.UUID
    title: str
    description: str
    acceptance_criteria: list[str]
    acceptance_criteria_ids: list[str]
    parent_ac_refs: list[str]
    status: TaskStatus
    blocker_resolver_type: BlockerResolverType | None
    blocker_raised_by: uuid.UUID | None
    priority: int
    task_type: TaskType
    nature: TaskNature
    project_id: uuid.UUID | None
    product_id: uuid.UUID | None
    branch_name: str | None
    work_session_id: uuid.UUID | None
    pr_number: int | None
    pr_url: str | None
    docs_complete: bool
    pr_created: bool
    board_review_complete: bool
    created_by: uuid.UUID
    assigned_to: uuid.UUID | None
    team: Team
    parent_task_id: uuid.UUID | None
    dependency_ids: list[uuid.UUID]
    blocker_ids: list[uuid.UUID]
    completed_dependency_ids: list[uuid.UUID]
    sequence: int
    created_at: AwareDatetime
    updated_at: AwareDatetime | None
    claimed_at: AwareDatetime | None
    claimed_by: uuid.UUID | None
    started_at: AwareDatetime | None
    completed_at: AwareDatetime | None
    target_date: AwareDatetime | None
    plan: JsonObject | None
    estimated_complexity: Complexity
    checkpoints: JsonArray
    progress_updates: JsonArray
    commits: JsonArray
    documents: JsonArray
    dev_notes: str | None
    qa_notes: str | None
    auditor_notes: str | None
    self_verified: bool
    qa_verified: bool | None
    quick_context: str | None
    proactive_context: JsonObject | None
    pr_reviewer_notes: str | None
    doc_notes: str | None
    notes_structured: JsonObject | None
    orchestration_markers: JsonObject | None
    active_claimant_id: uuid.UUID | None
    last_heartbeat_at: AwareDatetime | None
    pre_block_state: str | None
    pre_block_assignee: uuid.UUID | None
    pre_block_metadata: JsonObject | None
    acceptance_criteria_status: JsonArray
    qa_evidence_inspected: bool
    source: str
    confirmed_by_human: bool
    revision_count: int  # 045: times sent back for revision
    batch_id: uuid.UUID | None  # 046: batch intake: tasks filed together
    intends_to_touch: list[str] | None  # 046: paths the work expects to change
    adds_migration: bool  # 046
    touches_shared: bool  # 046
    constraints: str | None  # 068: constraints, apart from the description
    pm_notes: str | None  # 071
    budget_usd: float | None  # 080
    stalled_reason: str | None  # 092: why the dispatcher gave up on it (plain varchar)
    stalled_since: AwareDatetime | None  # 092


# -- entries of the task's JSON work-log columns ----------------------------------------------


class _Entry(BaseModel):
    """One element of a JSON column: unknown keys refused, text PostgreSQL can store."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _storable_text(self) -> Self:
        for name, value in self.__dict__.items():
            for text in json_texts(value):
                reason = unstorable(text)
                if reason is not None:
                    raise ValueError(f"{name} {reason}")
        return self


class DocRef(_Entry):
    """One element of ``tasks.documents``: a document the task wrote or updated, keyed by path
    (RoboCo's DocRef)."""

    path: str = Field(min_length=1)
    title: str
    doc_type: str
    version: str | None = None
    created_by: str | None = None
    created_at: str | None = None
    updated_by: str | None = None
    updated_at: str | None = None
    commit_status: str | None = None


class NoteSection(StrEnum):
    """The structured note sections RoboCo validates (its CONTENT_MODELS keys)."""

    PR_REVIEW = "pr_review"
    TASK_DESCRIPTION = "task_description"
    RESUMPTION = "resumption"
    DEVELOPER = "developer"
    QA = "qa"
    DOC = "doc"
    AUDITOR = "auditor"
    PM_REVIEW = "pm_review"


NOTE_MIRRORS: Final[Mapping[NoteSection, str]] = {
    NoteSection.DEVELOPER: "dev_notes",
    NoteSection.QA: "qa_notes",
    NoteSection.AUDITOR: "auditor_notes",
    NoteSection.DOC: "doc_notes",
    NoteSection.PR_REVIEW: "pr_reviewer_notes",
    NoteSection.RESUMPTION: "quick_context",
    NoteSection.PM_REVIEW: "pm_notes",
}
"""The text column each section's rendered markdown mirrors; task_description has none."""

NOTE_COLUMNS: Final = frozenset(NOTE_MIRRORS.values())
"""The task's free-text note columns (dev_notes, qa_notes, ..., pm_notes)."""

NOTES_CAP: Final = 8000
"""RoboCo's size cap for an appended note column, in characters: past it the oldest text goes."""

NOTES_TRIM_MARK: Final = "[older notes dropped to stay under the size cap]\n"
"""What a capped note column starts with once older text was dropped."""


def _one_scope(project_id: uuid.UUID | None, product_id: uuid.UUID | None) -> None:
    """A task targets one repo (project) or fans out over a product's cells, never both."""
    if (project_id is None) == (product_id is None):
        raise ValueError(
            "a task needs exactly one of project_id (the repo it targets) or product_id "
            "(a product whose cells it fans out to)"
        )


class TaskCreate(StampedCreate):
    """A new task.

    Type, nature and complexity have no defaults on purpose: RoboCo found silent defaults
    there stalled the lifecycle, so callers must state them. Initial-state columns (flags,
    empty artifact lists) are not inputs; the insert writes their starting values.
    """

    __table__ = "tasks"

    title: Title
    description: str = Field(min_length=20)
    acceptance_criteria: list[str] = Field(min_length=1)
    acceptance_criteria_ids: list[str] = Field(default_factory=list)
    parent_ac_refs: list[str] = Field(default_factory=list)
    status: TaskStatus = TaskStatus.PENDING
    priority: int = Field(default=2, ge=0, le=3)
    task_type: TaskType
    nature: TaskNature
    estimated_complexity: Complexity
    team: Team
    project_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    created_by: uuid.UUID
    assigned_to: uuid.UUID | None = None
    parent_task_id: uuid.UUID | None = None
    dependency_ids: list[uuid.UUID] = Field(default_factory=list)
    sequence: int = 0
    target_date: AwareDatetime | None = None
    source: str = Field(default="manual", max_length=50)
    confirmed_by_human: bool = False
    batch_id: uuid.UUID | None = None
    intends_to_touch: list[str] | None = None
    adds_migration: bool = False
    touches_shared: bool = False
    constraints: str | None = None
    budget_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    # origin data a task can be born with (RoboCo's external-PR review and supersede tasks)
    branch_name: str | None = Field(default=None, max_length=500)
    pr_number: int | None = None
    pr_url: str | None = Field(default=None, max_length=500)
    orchestration_markers: JsonObject | None = None

    @model_validator(mode="after")
    def _scope_and_criteria_ids(self) -> Self:
        _one_scope(self.project_id, self.product_id)
        if self.orchestration_markers is not None:
            self.orchestration_markers = marker_values(self.orchestration_markers) or None
        if not self.acceptance_criteria_ids:
            # One stable id per criterion, so later edits and child refs can name it.
            self.acceptance_criteria_ids = [uuid.uuid4().hex for _ in self.acceptance_criteria]
        elif len(self.acceptance_criteria_ids) != len(self.acceptance_criteria):
            raise ValueError("acceptance_criteria_ids must pair 1:1 with acceptance_criteria")
        return self


class TaskUpdate(Patch):
    """Editable task attributes.

    ``status`` is absent: status moves only through the lifecycle state machine. Setting either
    scope column rewrites both, so a task can be moved between a project and a product but
    never end up holding both.
    """

    __table__ = "tasks"
    __nullable__ = frozenset(
        {
            "assigned_to",
            "target_date",
            "dev_notes",
            "qa_notes",
            "auditor_notes",
            "quick_context",
            "pr_reviewer_notes",
            "doc_notes",
            "project_id",
            "product_id",
            "branch_name",
            "pr_number",
            "pr_url",
            "claimed_by",
            "budget_usd",
            "pm_notes",
            "plan",
            "notes_structured",
        }
    )

    title: Title | None = None
    description: str | None = None
    acceptance_criteria: list[str] | None = Field(default=None, min_length=1)
    priority: int | None = Field(default=None, ge=0, le=3)
    assigned_to: uuid.UUID | None = None
    target_date: AwareDatetime | None = None
    estimated_complexity: Complexity | None = None
    dev_notes: str | None = None
    qa_notes: str | None = None
    auditor_notes: str | None = None
    quick_context: str | None = None
    pr_reviewer_notes: str | None = None
    doc_notes: str | None = None
    task_type: TaskType | None = None
    nature: TaskNature | None = None
    project_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    branch_name: str | None = Field(default=None, max_length=500)
    pr_number: int | None = None
    pr_url: str | None = Field(default=None, max_length=500)
    docs_complete: bool | None = None
    pr_created: bool | None = None
    # what RoboCo's PATCH route and its services set besides (sibling order, ownership,
    # origin, cost cap, the PM's notes, and whole JSON documents)
    sequence: int | None = Field(default=None, ge=0)
    team: Team | None = None
    claimed_by: uuid.UUID | None = None
    confirmed_by_human: bool | None = None
    source: str | None = Field(default=None, max_length=50)
    budget_usd: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    pm_notes: str | None = None
    plan: JsonObject | None = None
    notes_structured: JsonObject | None = None
    progress_updates: JsonArray | None = None
    checkpoints: JsonArray | None = None
    commits: JsonArray | None = None

    @model_validator(mode="after")
    def _scope(self) -> Self:
        if self.touches_scope:
            _one_scope(self.project_id, self.product_id)
        return self

    @property
    def touches_scope(self) -> bool:
        """Whether this update moves the task to another project or product."""
        return bool({"project_id", "product_id"} & self.model_fields_set)

    def changes(self) -> dict[str, Any]:
        """As ``Patch.changes``, but a scope change always carries both columns."""
        changed = super().changes()
        if self.touches_scope:
            changed["project_id"] = self.project_id
            changed["product_id"] = self.product_id
        return changed
