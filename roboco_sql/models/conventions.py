"""Architectural conventions: the derived map per project commit, and per-task findings."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import Create, JsonObject, Row, utcnow

__all__ = [
    "ConventionsStatus",
    "DefinitionKind",
    "ProjectConventionFinding",
    "ProjectConventionFindingCreate",
    "ProjectConventionsCache",
    "ProjectConventionsCacheCreate",
    "RuleLevel",
]


class ConventionsStatus(StrEnum):
    """Values of ``project_conventions_cache.status``."""

    OK = "ok"
    DEGRADED = "degraded"
    MISSING = "missing"


class RuleLevel(StrEnum):
    """Values of ``project_convention_findings.level``: advise, or stop the task."""

    WARN = "warn"
    BLOCK = "block"


class DefinitionKind(StrEnum):
    """Values of ``project_convention_findings.kind``."""

    MODEL = "model"
    ROUTE = "route"
    HELPER = "helper"
    BUSINESS_LOGIC = "business_logic"
    COMPONENT = "component"
    OTHER = "other"


class ProjectConventionsCache(Row):
    """Row of ``project_conventions_cache``; one per (project, commit)."""

    __table__ = "project_conventions_cache"

    id: uuid.UUID
    project_id: uuid.UUID
    commit_sha: str
    effective_map: JsonObject
    status: str
    derived_at: AwareDatetime


class ProjectConventionFinding(Row):
    """Row of ``project_convention_findings``; ``task_id`` has no foreign key."""

    __table__ = "project_convention_findings"

    id: uuid.UUID
    project_id: uuid.UUID
    task_id: uuid.UUID | None
    file: str
    line: int
    rule: str
    level: str
    kind: str | None
    message: str
    detected_at: AwareDatetime


class ProjectConventionsCacheCreate(Create):
    """The conventions derived at one commit of a project."""

    __table__ = "project_conventions_cache"

    project_id: uuid.UUID
    commit_sha: str = Field(min_length=1, max_length=40)
    effective_map: JsonObject
    status: ConventionsStatus
    derived_at: AwareDatetime = Field(default_factory=utcnow)


class ProjectConventionFindingCreate(Create):
    """One finding; a task's findings are replaced wholesale on each check."""

    __table__ = "project_convention_findings"

    project_id: uuid.UUID
    task_id: uuid.UUID | None = None
    file: str = Field(min_length=1, max_length=500)
    line: int = Field(ge=0)
    rule: str = Field(min_length=1, max_length=100)
    level: RuleLevel
    kind: DefinitionKind | None = None
    message: str
    detected_at: AwareDatetime = Field(default_factory=utcnow)
