"""What the lifecycle's rules read: a task's git facts, and the status and role arguments.

Kept apart from the edge table so the facts a row must supply (and how a loose mapping is
read into them) are one small module; the gates in :mod:`.gates` and :mod:`.authority` only
consume them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from roboco_sql.errors import ValidationError
from roboco_sql.models.enums import AgentRole, TaskStatus
from roboco_sql.validate import shown


class Precondition(enum.StrEnum):
    """Git facts an edge needs; named after the task column that records each one."""

    DOCS_COMPLETE = "docs_complete"
    PR_CREATED = "pr_created"
    PR_NUMBER = "pr_number"
    BRANCH_NAME = "branch_name"


# Task ``source`` values that mark a read-only PR review: such a task never owns a branch.
PR_REVIEW_SOURCES: Final[frozenset[str]] = frozenset({"external_pr", "internal_pr"})

# A new task may have at most MAX_DEPTH - 1 ancestors (root -> subtask -> sub-subtask);
# RoboCo refuses the create once the parent chain reaches MAX_DEPTH ancestors.
MAX_DEPTH: Final[int] = 3


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """The task columns the git preconditions read, detached from any row type."""

    branch_name: str | None = None
    pr_number: int | None = None
    pr_created: bool = False
    docs_complete: bool = False
    # project_id NULL and product_id set: a fan-out task with no repo, so never a branch.
    is_coordination: bool = False
    # source in PR_REVIEW_SOURCES: reviews someone else's PR, so never a branch.
    is_pr_review: bool = False

    @classmethod
    def from_mapping(cls, row: Mapping[str, object]) -> TaskFacts:
        """Build facts from a task row; missing keys read as "not done", which only refuses.

        ``is_coordination`` and ``is_pr_review`` may be given directly or are derived from
        ``project_id``/``product_id`` and ``source`` the way RoboCo derives them.
        """
        if "is_coordination" in row:
            coordination = _flag(row, "is_coordination")
        else:
            coordination = (
                "project_id" in row
                and row["project_id"] is None
                and row.get("product_id") is not None
            )
        if "is_pr_review" in row:
            pr_review = _flag(row, "is_pr_review")
        else:
            pr_review = row.get("source") in PR_REVIEW_SOURCES
        return cls(
            branch_name=_optional_str(row, "branch_name"),
            pr_number=_optional_int(row, "pr_number"),
            pr_created=_flag(row, "pr_created"),
            docs_complete=_flag(row, "docs_complete"),
            is_coordination=coordination,
            is_pr_review=pr_review,
        )


def _flag(row: Mapping[str, object], key: str) -> bool:
    value = row.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ValidationError(f"task fact {key} must be a boolean, got {type(value).__name__}")
    return value


def _optional_str(row: Mapping[str, object], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"task fact {key} must be a string, got {type(value).__name__}")
    return value


def _optional_int(row: Mapping[str, object], key: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"task fact {key} must be an integer, got {type(value).__name__}")
    return value


_HOLDS: Final[Mapping[Precondition, Callable[[TaskFacts], bool]]] = MappingProxyType(
    {
        Precondition.DOCS_COMPLETE: lambda f: f.docs_complete,
        Precondition.PR_CREATED: lambda f: f.pr_created,
        Precondition.PR_NUMBER: lambda f: f.pr_number is not None,
        # An empty branch name counts as none, as in RoboCo.
        Precondition.BRANCH_NAME: lambda f: (
            bool(f.branch_name) or f.is_coordination or f.is_pr_review
        ),
    }
)

_WHY_UNMET: Final[Mapping[Precondition, str]] = MappingProxyType(
    {
        Precondition.DOCS_COMPLETE: "documentation not finished",
        Precondition.PR_CREATED: "no PR opened yet",
        Precondition.PR_NUMBER: "no PR number recorded",
        Precondition.BRANCH_NAME: "no branch, and not a coordination or PR-review task",
    }
)


def _status(value: TaskStatus | str) -> TaskStatus:
    try:
        return TaskStatus(value)
    except ValueError:
        raise ValidationError(f"unknown task status {shown(value)}") from None


def _role(value: AgentRole | str) -> AgentRole:
    try:
        return AgentRole(value)
    except ValueError:
        raise ValidationError(f"unknown agent role {shown(value)}") from None


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))
