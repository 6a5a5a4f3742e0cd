"""Task feeds and boards: what changed since a moment, a team's activity and blockers, the
kanban cards, and RoboCo v0.29.0's later reads (a project's history for the prompter, the
panel's search, the vault janitor's drains and the curator's window).

Each is one statement with the order RoboCo relies on. Nothing here writes; the caller owns
the transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.models.enums import TaskStatus, TaskType, Team
from roboco_sql.models.task import Task
from roboco_sql.models.task_views import KanbanTask
from roboco_sql.repos._checks import (
    aware_arg,
    int_arg,
    optional_enum_arg,
    statuses_arg,
    text_arg,
    uuid_arg,
)
from roboco_sql.repos._paging import checked_limit, checked_offset
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._task_common import task_list

__all__ = [
    "kanban_tasks",
    "list_lane_blockers",
    "list_recent_for_project",
    "list_roots_to_curate",
    "list_team_activity",
    "list_terminal_between",
    "list_touched_since",
    "list_updated_since",
    "search_tasks",
]

_Q = queries.load()
_SINCE = _Q["task_queues.list_updated_since"]
_TEAM_ACTIVITY = _Q["task_queues.list_team_activity"]
_LANE_BLOCKERS = _Q["task_queues.list_lane_blockers"]
_KANBAN = _Q["task_queues.kanban_tasks"]
_RECENT_FOR_PROJECT = _Q["task_queues.list_recent_for_project"]
_SEARCH = _Q["task_queues.search_tasks"]
_TOUCHED_SINCE = _Q["task_queues.list_touched_since"]
_TERMINAL_BETWEEN = _Q["task_queues.list_terminal_between"]
_COMPLETED_ROOTS = _Q["task_queues.list_completed_roots"]

_VAULT_CURATION_DISPATCHED = "vault_curation_dispatched"


async def list_updated_since(
    conn: AsyncConnection[Any], since: dt.datetime, *, limit: int = 50
) -> list[Task]:
    """Tasks updated since a moment, the most recent first (the dashboard's activity feed)."""
    return await task_list(
        conn, _SINCE, since=aware_arg("since", since), limit=checked_limit(limit)
    )


async def list_team_activity(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, *, limit: int = 10
) -> list[Task]:
    """The tasks of the agent's team, most recently touched first (updated_at, else
    created_at); [] for an unknown agent or one without a team."""
    agent = uuid_arg("agent_id", agent_id)
    return await task_list(conn, _TEAM_ACTIVITY, agent_id=agent, limit=checked_limit(limit))


async def list_lane_blockers(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, *, limit: int = 10
) -> list[Task]:
    """The blocked tasks of the agent's team, updated_at DESC as PostgreSQL orders it."""
    agent = uuid_arg("agent_id", agent_id)
    return await task_list(conn, _LANE_BLOCKERS, agent_id=agent, limit=checked_limit(limit))


async def kanban_tasks(
    conn: AsyncConnection[Any],
    *,
    team: Team | None = None,
    status: TaskStatus | Collection[TaskStatus] | None = None,
    task_type: TaskType | None = None,
    max_priority: int | None = None,
    limit: int = 500,
) -> list[KanbanTask]:
    """Kanban cards in one query, in board order (priority, then newest first): each task with
    its assignee's name and its number of direct children. RoboCo's boards are this with
    filters: dev and PM (team), QA and documenter (team, statuses, type), Main PM (statuses),
    board roadmap (max_priority=1)."""
    return await queries.fetch_all(
        conn,
        _KANBAN,
        model_row(KanbanTask),
        team=optional_enum_arg("team", Team, team),
        statuses=statuses_arg("status", status),
        task_type=optional_enum_arg("task_type", TaskType, task_type),
        max_priority=None if max_priority is None else int_arg("max_priority", max_priority, 0, 3),
        limit=checked_limit(limit),
    )


async def list_recent_for_project(
    conn: AsyncConnection[Any], project_id: uuid.UUID, *, limit: int = 15
) -> list[Task]:
    """A project's tasks that are not cancelled, the most recently active first (completed,
    else updated, else created)."""
    project = uuid_arg("project_id", project_id)
    return await task_list(
        conn, _RECENT_FOR_PROJECT, project_id=project, limit=checked_limit(limit)
    )


def _like_literal(text: str) -> str:
    """text as a LIKE pattern matching itself: its wildcards and the escape escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_tasks(
    conn: AsyncConnection[Any],
    text: str,
    *,
    team: Team | None = None,
    status: TaskStatus | None = None,
    limit: int = 100,
) -> list[Task]:
    """Tasks whose title or description contains text, or whose id starts with it, ignoring
    case, newest first. The text matches literally: RoboCo passes it to ILIKE as is, so a
    '%' or '_' in it acted as a wildcard there."""
    return await task_list(
        conn,
        _SEARCH,
        pattern=_like_literal(text_arg("text", text, 200)),
        team=optional_enum_arg("team", Team, team),
        status=optional_enum_arg("status", TaskStatus, status),
        limit=checked_limit(limit),
    )


async def list_touched_since(
    conn: AsyncConnection[Any], since: dt.datetime, *, offset: int = 0, limit: int = 100
) -> list[Task]:
    """Tasks touched (updated, else created) since a moment, oldest touch first, by offset: a
    drain that resumes from the last touch it processed."""
    moment = aware_arg("since", since)
    page = {"offset": checked_offset(offset), "limit": checked_limit(limit)}
    return await task_list(conn, _TOUCHED_SINCE, since=moment, **page)


async def list_terminal_between(
    conn: AsyncConnection[Any],
    after: dt.datetime,
    before: dt.datetime,
    *,
    offset: int = 0,
    limit: int = 100,
) -> list[Task]:
    """Completed or cancelled tasks whose terminal moment (completed, else updated, else
    created) is in [after, before), oldest first, by offset."""
    window = {"after": aware_arg("after", after), "before": aware_arg("before", before)}
    page = {"offset": checked_offset(offset), "limit": checked_limit(limit)}
    return await task_list(conn, _TERMINAL_BETWEEN, **window, **page)


async def list_roots_to_curate(conn: AsyncConnection[Any], *, window: int = 20) -> list[Task]:
    """Of the ``window`` most recently completed root tasks, newest first, those whose
    vault_curation_dispatched marker is not set (by Python's truth rules, as RoboCo reads it).

    The marker is read after the window, as RoboCo does, so an old completion never crowds
    out a fresh one and the scan stays bounded.
    """
    roots = await task_list(conn, _COMPLETED_ROOTS, limit=checked_limit(window, "window"))
    return [t for t in roots if not (t.orchestration_markers or {}).get(_VAULT_CURATION_DISPATCHED)]
