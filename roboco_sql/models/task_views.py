"""Read-only views of tasks: board cards, queue projections and dashboard aggregates.

None of these is a table. Each is what one list or aggregate query returns, so the agreement
tests can hold the query's columns to the model's fields. The source tags are RoboCo's
(services/task.py at v0.29.0): the lists and aggregates filter on them.
"""

from __future__ import annotations

import uuid
from typing import Final

from roboco_sql.models.base import View
from roboco_sql.models.enums import TaskStatus, Team
from roboco_sql.models.task import Task

__all__ = [
    "AgentMetrics",
    "BlockerStats",
    "ChildCoverage",
    "DeliveryStats",
    "HealthCounts",
    "KanbanTask",
    "RoadmapProgress",
    "SupersedeToClose",
    "TaskStatusCount",
    "TaskTeamCount",
    "TeamMetrics",
    "Velocity",
]

# -- RoboCo's task source tags ------------------------------------------------------------------

SELF_HEAL_SOURCE: Final = "self_heal"
RELEASE_MANAGER_SOURCE: Final = "release_manager"
SUPERSEDE_SOURCE: Final = "external_pr_supersede"
X_SOURCES: Final = frozenset(
    {"x_post", "x_reply", "x_feature", "x_editorial", "x_campaign", "x_barfly"}
)
VIDEO_HELD_SOURCES: Final = frozenset({"video_post"})
HELD_SOURCES: Final = frozenset({SELF_HEAL_SOURCE, *X_SOURCES, *VIDEO_HELD_SOURCES})
"""Tasks waiting for the CEO's go (confirmed_by_human) before an agent may be offered them."""
LEAD_TIME_EXCLUDED_SOURCES: Final = frozenset(
    {*X_SOURCES, "x_feature_exploration", *VIDEO_HELD_SOURCES, RELEASE_MANAGER_SOURCE}
)
"""Drafts that complete when approved, not when work ships: out of the delivery lead time."""


class KanbanTask(Task):
    """A task as a kanban card reads it: the row, its assignee's name and its child count."""

    assignee_name: str | None
    subtask_count: int


class SupersedeToClose(Task):
    """A completed supersede umbrella and the merged PR that replaced the contributor's."""

    replacement_pr_number: int


class ChildCoverage(View):
    """A direct child's status and the parent criteria it declares it covers."""

    id: uuid.UUID
    status: TaskStatus
    parent_ac_refs: list[str]


class TaskStatusCount(View):
    """How many tasks are in one status."""

    status: TaskStatus
    count: int


class TaskTeamCount(View):
    """How many tasks one team holds."""

    team: Team
    count: int


class Velocity(View):
    """Throughput over a trailing window (RoboCo's MetricsService.get_velocity): tasks
    completed and created since the window opened, and the mean started-to-completed hours."""

    tasks_completed: int
    tasks_created: int
    avg_completion_hours: float | None

    @property
    def completion_rate(self) -> float:
        """Completed over created; 0 when nothing was created."""
        return self.tasks_completed / self.tasks_created if self.tasks_created else 0.0


class TeamMetrics(View):
    """A team's load and pace (RoboCo's get_team_metrics): active work (claimed, in progress,
    verifying, awaiting QA), completed and mean cycle hours over the week, blocked work, and
    how many completed tasks carry developer notes."""

    active_tasks: int
    completed_tasks_week: int
    blocked_tasks: int
    avg_completion_hours: float | None
    completed_total: int
    completed_with_notes: int

    @property
    def documentation_coverage(self) -> float:
        """Share of completed tasks with developer notes; 0 when none completed."""
        return self.completed_with_notes / self.completed_total if self.completed_total else 0.0


class AgentMetrics(View):
    """An agent's week (RoboCo's get_agent_metrics)."""

    agent_id: uuid.UUID
    agent_name: str
    current_task_id: uuid.UUID | None
    tasks_completed_week: int
    avg_completion_hours: float | None


class HealthCounts(View):
    """The counts RoboCo's get_health_status judges a team (or the company) by."""

    active_tasks: int
    blocked_tasks: int
    completed_this_week: int

    @property
    def blocked_ratio(self) -> float:
        return self.blocked_tasks / self.active_tasks if self.active_tasks else 0.0

    @property
    def status(self) -> str:
        """RoboCo's verdict: critical over 30% blocked, slow over 15% (or more than five
        active tasks and nothing completed this week), else ok."""
        if self.blocked_ratio > 0.3:
            return "critical"
        if self.blocked_ratio > 0.15 or (self.active_tasks > 5 and self.completed_this_week == 0):
            return "slow"
        return "ok"


class BlockerStats(View):
    """Blocked work now (RoboCo's get_blocker_metrics): how many, for how long on average and
    the longest; a task is blocked since its last ``task.blocked`` audit row, else since it
    was last touched (updated_at, else created_at)."""

    active_blockers: int
    avg_blocked_hours: float | None
    longest_blocked_task_id: uuid.UUID | None
    longest_blocked_hours: float | None


class DeliveryStats(View):
    """Root delivery tasks completed in the last 30 days and their median intake-to-done hours
    (RoboCo's get_delivery_stats_30d)."""

    completed_30d: int
    median_lead_time_hours: float | None


class RoadmapProgress(View):
    """High-priority (P0/P1) tasks, all and completed (RoboCo's get_roadmap_progress)."""

    high_priority_total: int
    high_priority_completed: int

    @property
    def progress(self) -> float:
        total = self.high_priority_total
        return self.high_priority_completed / total if total else 0.0
