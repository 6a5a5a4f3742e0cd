"""Task lists as RoboCo's services read them: board columns in sibling order, an agent's queues
and current task, the PM and board queues, the ready and stale lists, and offset pages of all
tasks. The other task reads live by concept beside it and are re-exported here, their historic
home: task_origins (by source, branch or PR), task_children (children and sibling checks, the
parent lock) and task_feeds (activity feeds, kanban, v0.29.0's later reads).

Each is one statement with the order RoboCo relies on; where RoboCo looped (a query per task,
a BFS per level) the loop is in the SQL. Nothing here writes; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from enum import StrEnum
from typing import Any, Final

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import TaskNature, TaskStatus, Team
from roboco_sql.models.task import Task
from roboco_sql.models.task_views import HELD_SOURCES
from roboco_sql.repos._checks import enum_arg, optional_enum_arg, statuses_arg, uuid_arg
from roboco_sql.repos._paging import Page, checked_limit, checked_offset
from roboco_sql.repos._task_common import TASK_ROW, bool_arg, one_task, task_list
from roboco_sql.repos.task_children import (
    all_children_terminal,
    children_coverage,
    has_earlier_open_code_sibling,
    list_children,
    lock_task,
    uncovered_required_cells,
)
from roboco_sql.repos.task_feeds import (
    kanban_tasks,
    list_lane_blockers,
    list_recent_for_project,
    list_roots_to_curate,
    list_team_activity,
    list_terminal_between,
    list_touched_since,
    list_updated_since,
    search_tasks,
)
from roboco_sql.repos.task_origins import (
    agent_checkout_branches,
    find_supersede_umbrella,
    list_open_by_source,
    list_pr_reviews,
    list_source_history,
    live_task_owns_branch,
    pr_review_exists,
    repo_key,
    supersede_umbrellas_to_close,
    task_by_branch,
    task_by_pr,
)
from roboco_sql.validate import check_span

__all__ = [
    "AgentQueue",
    "CurrentTask",
    "agent_checkout_branches",
    "agent_current_task",
    "agent_queue",
    "all_children_terminal",
    "blocked_longer_than",
    "children_coverage",
    "find_supersede_umbrella",
    "has_earlier_open_code_sibling",
    "kanban_tasks",
    "list_agent_pending",
    "list_assigned",
    "list_board",
    "list_children",
    "list_lane_blockers",
    "list_open_by_source",
    "list_pr_reviews",
    "list_ready_pending",
    "list_recent_for_project",
    "list_root_awaiting_review",
    "list_roots_to_curate",
    "list_source_history",
    "list_team_activity",
    "list_terminal_between",
    "list_touched_since",
    "list_updated_since",
    "live_task_owns_branch",
    "lock_task",
    "page_all_tasks",
    "pr_review_exists",
    "repo_key",
    "search_tasks",
    "supersede_umbrellas_to_close",
    "task_by_branch",
    "task_by_pr",
    "uncovered_required_cells",
]

_Q = queries.load()
_BOARD = _Q["task_queues.list_board_tasks"]
_ASSIGNED = _Q["task_queues.list_assigned_tasks"]
_QUEUE = _Q["task_queues.list_agent_queue"]
_PENDING = _Q["task_queues.list_agent_pending"]
_CURRENT = _Q["task_queues.agent_current_task"]
_ROOTS = _Q["task_queues.list_root_awaiting_review"]
_BLOCKED_BEFORE = _Q["task_queues.list_blocked_before"]
_READY = _Q["task_queues.list_ready_pending"]
_PAGE = _Q["task_queues.page_all_tasks"]
_PAGE_OLDEST = _Q["task_queues.page_all_tasks_oldest"]
_COUNT = _Q["task_queues.count_all_tasks"]


class AgentQueue(StrEnum):
    """The queues RoboCo's gateway reads for an agent, each priority first, then the most
    recently touched (list_assigned_for_agent, list_in_progress_for_agent,
    list_paused_for_agent)."""

    ASSIGNED = "assigned"  # every status the agent can still be handed work in
    IN_PROGRESS = "in_progress"  # in progress, or blocked and still owned
    PAUSED = "paused"


_QUEUE_STATUSES: Final[dict[AgentQueue, tuple[TaskStatus, ...]]] = {
    AgentQueue.ASSIGNED: (
        TaskStatus.PENDING,
        TaskStatus.CLAIMED,
        TaskStatus.IN_PROGRESS,
        TaskStatus.NEEDS_REVISION,
        TaskStatus.VERIFYING,
        TaskStatus.AWAITING_QA,
        TaskStatus.AWAITING_DOCUMENTATION,
        TaskStatus.AWAITING_PM_REVIEW,
        TaskStatus.PAUSED,
    ),
    AgentQueue.IN_PROGRESS: (TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED),
    AgentQueue.PAUSED: (TaskStatus.PAUSED,),
}


class CurrentTask(StrEnum):
    """Which of an agent's tasks counts as its current one."""

    ACTIVE = "active"  # being worked: RoboCo's get_active_task_for_agent
    JOURNAL_CONTEXT = "journal_context"  # also while stuck: get_journal_context_task_for_agent


_ACTIVE = (
    TaskStatus.CLAIMED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.VERIFYING,
    TaskStatus.AWAITING_QA,
    TaskStatus.AWAITING_DOCUMENTATION,
)
_CURRENT_STATUSES: Final[dict[CurrentTask, tuple[TaskStatus, ...]]] = {
    CurrentTask.ACTIVE: _ACTIVE,
    CurrentTask.JOURNAL_CONTEXT: (
        *_ACTIVE,
        TaskStatus.BLOCKED,
        TaskStatus.PAUSED,
        TaskStatus.NEEDS_REVISION,
    ),
}


async def list_board(
    conn: AsyncConnection[Any],
    *,
    status: TaskStatus | Collection[TaskStatus] | None = None,
    team: Team | None = None,
    limit: int = 100,
) -> list[Task]:
    """A board column in RoboCo's sibling order: priority, sequence, then oldest first.

    Serves list_by_status / list_blocked / list_awaiting_* (one status, optional team) and
    list_by_team (a team, optional status).
    """
    statuses = statuses_arg("status", status)
    team_arg = optional_enum_arg("team", Team, team)
    return await task_list(
        conn, _BOARD, statuses=statuses, team=team_arg, limit=checked_limit(limit)
    )


async def list_assigned(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    *,
    status: TaskStatus | Collection[TaskStatus] | None = None,
    limit: int = 100,
) -> list[Task]:
    """Tasks assigned to an agent (optionally in some statuses), priority then newest first."""
    agent = uuid_arg("agent_id", agent_id)
    statuses = statuses_arg("status", status)
    return await task_list(
        conn, _ASSIGNED, agent_id=agent, statuses=statuses, limit=checked_limit(limit)
    )


async def agent_queue(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    queue: AgentQueue,
    *,
    limit: int = 100,
) -> list[Task]:
    """One of an agent's work queues: priority first, then the most recently touched (a task
    never updated first within its priority, as RoboCo's order puts it on PostgreSQL)."""
    statuses = list(_QUEUE_STATUSES[enum_arg("queue", AgentQueue, queue)])
    agent = uuid_arg("agent_id", agent_id)
    return await task_list(
        conn, _QUEUE, agent_id=agent, statuses=statuses, limit=checked_limit(limit)
    )


async def list_agent_pending(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, *, limit: int = 100
) -> list[Task]:
    """The pending tasks pre-assigned to an agent that it may be offered now, in sequence, then
    priority, then age, in one query: none held for the CEO (self-heal, X and video-post
    drafts until confirmed_by_human), none with an unmet dependency, and none RoboCo's
    claim-time sequence gate holds (an open lower-sequence sibling ahead of it in its stream).
    """
    agent = uuid_arg("agent_id", agent_id)
    held = sorted(HELD_SOURCES)
    return await task_list(
        conn, _PENDING, agent_id=agent, held_sources=held, limit=checked_limit(limit)
    )


async def agent_current_task(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, which: CurrentTask = CurrentTask.ACTIVE
) -> Task | None:
    """The agent's most recently touched task among those that count as current (updated_at
    DESC NULLS LAST, LIMIT 1), or None."""
    statuses = list(_CURRENT_STATUSES[enum_arg("which", CurrentTask, which)])
    agent = uuid_arg("agent_id", agent_id)
    return await one_task(conn, _CURRENT, agent_id=agent, statuses=statuses)


async def list_root_awaiting_review(
    conn: AsyncConnection[Any], *, nature: TaskNature | None = None, limit: int = 100
) -> list[Task]:
    """Root tasks awaiting PM review in sibling order: the Main PM's triage queue, or with
    nature=NON_TECHNICAL the board's strategic queue."""
    kind = optional_enum_arg("nature", TaskNature, nature)
    return await task_list(conn, _ROOTS, nature=kind, limit=checked_limit(limit))


async def blocked_longer_than(
    conn: AsyncConnection[Any], threshold: dt.timedelta, *, limit: int = 100
) -> list[Task]:
    """Blocked tasks not touched for longer than threshold (by the application's clock, as
    RoboCo), the stalest first; a blocked task never updated is not listed."""
    if not isinstance(threshold, dt.timedelta):  # whole seconds are not taken here
        raise ValidationError("threshold must be a timedelta >= 0")
    cutoff = utcnow() - check_span("threshold", threshold)
    return await task_list(conn, _BLOCKED_BEFORE, cutoff=cutoff, limit=checked_limit(limit))


async def list_ready_pending(
    conn: AsyncConnection[Any], *, team: Team | None = None, limit: int = 100
) -> list[Task]:
    """Pending tasks whose dependencies are all met, in sibling order, in one query."""
    team_arg = optional_enum_arg("team", Team, team)
    return await task_list(conn, _READY, team=team_arg, limit=checked_limit(limit))


async def page_all_tasks(
    conn: AsyncConnection[Any],
    *,
    offset: int = 0,
    limit: int = 100,
    newest_first: bool = True,
) -> Page[Task]:
    """One offset page of every task by creation time, with the total.

    The total is read in the same transaction right after the page; a caller needing the two
    to agree exactly under concurrent inserts runs them in a REPEATABLE READ transaction.
    """
    page = _PAGE if bool_arg("newest_first", newest_first) else _PAGE_OLDEST
    params = {"offset": checked_offset(offset), "limit": checked_limit(limit)}
    items = await queries.fetch_all(conn, page, TASK_ROW, **params)
    total = await queries.fetch_scalar(conn, _COUNT, int) or 0
    return Page(items=items, total=total, offset=offset, limit=limit)
