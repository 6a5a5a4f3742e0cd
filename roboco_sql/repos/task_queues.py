"""Task lists and lookups as RoboCo's services read them: board columns in sibling order, an
agent's queues, the PM and board queues, tasks by origin, branch or PR, children and sibling
checks, activity feeds, kanban cards, the parent lock of a merge, and v0.29.0's later reads
(project history, panel search, the vault janitor's drains).

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
from psycopg.rows import scalar_row

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.lifecycle import PR_REVIEW_SOURCES
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import TaskNature, TaskStatus, TaskType, Team
from roboco_sql.models.task import Task
from roboco_sql.models.task_views import (
    HELD_SOURCES,
    SUPERSEDE_SOURCE,
    ChildCoverage,
    KanbanTask,
    SupersedeToClose,
)
from roboco_sql.repos._checks import (
    INT4_MAX,
    aware_arg,
    enum_arg,
    int_arg,
    optional_enum_arg,
    sources_arg,
    statuses_arg,
    text_arg,
    uuid_arg,
)
from roboco_sql.repos._paging import MAX_LIMIT, Page, checked_limit, checked_offset
from roboco_sql.repos._rows import model_row

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
_REVIEW_EXISTS = _Q["task_queues.pr_review_exists"]
_OWNS_BRANCH = _Q["task_queues.live_task_owns_branch"]
_OPEN_BY_SOURCE = _Q["task_queues.list_open_by_source"]
_SOURCE_HISTORY = _Q["task_queues.list_source_history"]
_PR_REVIEWS = _Q["task_queues.list_pr_reviews"]
_UMBRELLA = _Q["task_queues.find_supersede_umbrella"]
_TO_CLOSE = _Q["task_queues.supersede_umbrellas_to_close"]
_BY_BRANCH = _Q["task_queues.task_by_branch"]
_BY_PR = _Q["task_queues.task_by_pr"]
_BRANCHES = _Q["task_queues.agent_task_branches"]
_CHILDREN = _Q["task_queues.list_child_tasks"]
_CHILDREN_DONE = _Q["task_queues.children_all_terminal"]
_EARLIER_SIBLING = _Q["task_queues.earlier_open_code_sibling"]
_UNCOVERED_CELLS = _Q["task_queues.uncovered_required_cells"]
_COVERAGE = _Q["task_queues.children_coverage"]
_SINCE = _Q["task_queues.list_updated_since"]
_TEAM_ACTIVITY = _Q["task_queues.list_team_activity"]
_LANE_BLOCKERS = _Q["task_queues.list_lane_blockers"]
_KANBAN = _Q["task_queues.kanban_tasks"]
_LOCK = _Q["task_queues.lock_task"]
_RECENT_FOR_PROJECT = _Q["task_queues.list_recent_for_project"]
_SEARCH = _Q["task_queues.search_tasks"]
_TOUCHED_SINCE = _Q["task_queues.list_touched_since"]
_TERMINAL_BETWEEN = _Q["task_queues.list_terminal_between"]
_COMPLETED_ROOTS = _Q["task_queues.list_completed_roots"]

_VAULT_CURATION_DISPATCHED = "vault_curation_dispatched"

_ROW = model_row(Task)


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


# -- board columns and queues --------------------------------------------------------------------


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
    return await queries.fetch_all(
        conn,
        _BOARD,
        _ROW,
        statuses=statuses_arg("status", status),
        team=optional_enum_arg("team", Team, team),
        limit=checked_limit(limit),
    )


async def list_assigned(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    *,
    status: TaskStatus | Collection[TaskStatus] | None = None,
    limit: int = 100,
) -> list[Task]:
    """Tasks assigned to an agent (optionally in some statuses), priority then newest first."""
    return await queries.fetch_all(
        conn,
        _ASSIGNED,
        _ROW,
        agent_id=uuid_arg("agent_id", agent_id),
        statuses=statuses_arg("status", status),
        limit=checked_limit(limit),
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
    which = enum_arg("queue", AgentQueue, queue)
    return await queries.fetch_all(
        conn,
        _QUEUE,
        _ROW,
        agent_id=uuid_arg("agent_id", agent_id),
        statuses=list(_QUEUE_STATUSES[which]),
        limit=checked_limit(limit),
    )


async def list_agent_pending(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, *, limit: int = 100
) -> list[Task]:
    """The pending tasks pre-assigned to an agent that it may be offered now, in sequence, then
    priority, then age, in one query: none held for the CEO (self-heal, X and video-post
    drafts until confirmed_by_human), none with an unmet dependency, and none RoboCo's
    claim-time sequence gate holds (an open lower-sequence sibling ahead of it in its stream).
    """
    return await queries.fetch_all(
        conn,
        _PENDING,
        _ROW,
        agent_id=uuid_arg("agent_id", agent_id),
        held_sources=sorted(HELD_SOURCES),
        limit=checked_limit(limit),
    )


async def agent_current_task(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, which: CurrentTask = CurrentTask.ACTIVE
) -> Task | None:
    """The agent's most recently touched task among those that count as current (updated_at
    DESC NULLS LAST, LIMIT 1), or None."""
    scope = enum_arg("which", CurrentTask, which)
    return await queries.fetch_one(
        conn,
        _CURRENT,
        _ROW,
        agent_id=uuid_arg("agent_id", agent_id),
        statuses=list(_CURRENT_STATUSES[scope]),
    )


async def list_root_awaiting_review(
    conn: AsyncConnection[Any], *, nature: TaskNature | None = None, limit: int = 100
) -> list[Task]:
    """Root tasks awaiting PM review in sibling order: the Main PM's triage queue, or with
    nature=NON_TECHNICAL the board's strategic queue."""
    return await queries.fetch_all(
        conn,
        _ROOTS,
        _ROW,
        nature=optional_enum_arg("nature", TaskNature, nature),
        limit=checked_limit(limit),
    )


async def blocked_longer_than(
    conn: AsyncConnection[Any], threshold: dt.timedelta, *, limit: int = 100
) -> list[Task]:
    """Blocked tasks not touched for longer than threshold (by the application's clock, as
    RoboCo), the stalest first; a blocked task never updated is not listed."""
    if not isinstance(threshold, dt.timedelta) or threshold < dt.timedelta(0):
        raise ValidationError("threshold must be a timedelta >= 0")
    return await queries.fetch_all(
        conn,
        _BLOCKED_BEFORE,
        _ROW,
        cutoff=utcnow() - threshold,
        limit=checked_limit(limit),
    )


async def list_ready_pending(
    conn: AsyncConnection[Any], *, team: Team | None = None, limit: int = 100
) -> list[Task]:
    """Pending tasks whose dependencies are all met, in sibling order, in one query."""
    return await queries.fetch_all(
        conn,
        _READY,
        _ROW,
        team=optional_enum_arg("team", Team, team),
        limit=checked_limit(limit),
    )


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
    if not isinstance(newest_first, bool):
        raise ValidationError("newest_first must be a bool")
    params = {"offset": checked_offset(offset), "limit": checked_limit(limit)}
    items = await queries.fetch_all(conn, _PAGE if newest_first else _PAGE_OLDEST, _ROW, **params)
    total = await queries.fetch_scalar(conn, _COUNT, int) or 0
    return Page(items=items, total=total, offset=offset, limit=limit)


# -- tasks by origin, branch or PR ---------------------------------------------------------------


async def pr_review_exists(
    conn: AsyncConnection[Any],
    project_id: uuid.UUID,
    pr_number: int,
    head_sha: str | None = None,
) -> bool:
    """Whether this repo's PR is already reviewed at this head (RoboCo's ingest dedupe): any
    review task of the PR on a project sharing the git_url counts when head_sha is unknown;
    otherwise one recorded at this head, or at no head, does."""
    if head_sha is not None and not isinstance(head_sha, str):
        raise ValidationError("head_sha must be a string or None")
    found = await queries.fetch_scalar(
        conn,
        _REVIEW_EXISTS,
        bool,
        project_id=uuid_arg("project_id", project_id),
        pr_number=int_arg("pr_number", pr_number, 1, INT4_MAX),
        head_sha=head_sha,
        review_sources=sorted(PR_REVIEW_SOURCES),
    )
    return bool(found)


async def live_task_owns_branch(
    conn: AsyncConnection[Any], branch_name: str, project_id: uuid.UUID
) -> bool:
    """Whether a task not yet completed or cancelled, on this project's repo (any project with
    the same git_url), owns this branch; False for an empty branch name, as RoboCo."""
    pid = uuid_arg("project_id", project_id)
    if branch_name == "":
        return False
    found = await queries.fetch_scalar(
        conn,
        _OWNS_BRANCH,
        bool,
        branch_name=text_arg("branch_name", branch_name, 255),
        project_id=pid,
    )
    return bool(found)


def repo_key(git_url: str) -> str:
    """A repository's identity as RoboCo compares git URLs: lower case, no trailing '/', no
    .git suffix (the SQL of list_open_by_source normalises the stored URL the same way)."""
    return git_url.lower().rstrip("/").removesuffix(".git")


async def list_open_by_source(
    conn: AsyncConnection[Any],
    sources: str | Collection[str],
    *,
    team: Team | None = None,
    git_url: str | None = None,
    workflow: str | None = None,
    default_workflow: str = "ci.yml",
    dep_update_command: str | None = None,
    marker: tuple[str, str] | None = None,
    limit: int = 100,
) -> list[Task]:
    """Tasks of these sources neither completed nor cancelled, oldest first: RoboCo's
    list_open_* dedupe and cap lists (pass the source set, e.g. models.task_views.X_SOURCES),
    narrowed as theirs are: by team (vault-note drafts), by repo (git_url compared by
    repo_key; ci_watch, dep_update, env_sync), by CI workflow (a project without its own
    counts as ``default_workflow``, RoboCo's ci_watch_default_workflow setting), by the
    project's dependency update command, or by one marker's value (docs_sync's release
    version: ``marker=("docs_sync_release_version", "1.4.0")``)."""
    key, value = (None, None) if marker is None else marker
    return await queries.fetch_all(
        conn,
        _OPEN_BY_SOURCE,
        _ROW,
        sources=sources_arg("sources", sources),
        team=optional_enum_arg("team", Team, team),
        repo_key=None if git_url is None else repo_key(text_arg("git_url", git_url, 500)),
        workflow=None if workflow is None else text_arg("workflow", workflow, 255),
        default_workflow=text_arg("default_workflow", default_workflow, 255),
        dep_update_command=(
            None
            if dep_update_command is None
            else text_arg("dep_update_command", dep_update_command, 500)
        ),
        marker_key=None if key is None else text_arg("marker", key, 100),
        marker_value=None if value is None else text_arg("marker", value, 500),
        limit=checked_limit(limit),
    )


async def list_source_history(
    conn: AsyncConnection[Any],
    sources: str | Collection[str],
    *,
    completed_only: bool = False,
    limit: int = 50,
) -> list[Task]:
    """Finished tasks of these sources, the latest update first (a never-updated one first, as
    PostgreSQL sorts RoboCo's order): with cancelled ones, the X and video post histories;
    completed only, the post-mortems, market briefs and quality reports."""
    if not isinstance(completed_only, bool):
        raise ValidationError("completed_only must be a bool")
    return await queries.fetch_all(
        conn,
        _SOURCE_HISTORY,
        _ROW,
        sources=sources_arg("sources", sources),
        completed_only=completed_only,
        limit=checked_limit(limit),
    )


async def list_pr_reviews(
    conn: AsyncConnection[Any], *, awaiting_decision: bool = False, limit: int = 100
) -> list[Task]:
    """PR review tasks for the panel, oldest first: not cancelled or dismissed, and still under
    way or completed without the CEO's decision; with awaiting_decision, only the latter."""
    if not isinstance(awaiting_decision, bool):
        raise ValidationError("awaiting_decision must be a bool")
    return await queries.fetch_all(
        conn,
        _PR_REVIEWS,
        _ROW,
        review_sources=sorted(PR_REVIEW_SOURCES),
        awaiting_only=awaiting_decision,
        limit=checked_limit(limit),
    )


async def find_supersede_umbrella(
    conn: AsyncConnection[Any], project_id: uuid.UUID, pr_number: int
) -> Task | None:
    """The supersede umbrella (not cancelled) of this project for this contributor PR, or
    None: the trigger's idempotency check."""
    return await queries.fetch_one(
        conn,
        _UMBRELLA,
        _ROW,
        project_id=uuid_arg("project_id", project_id),
        pr_number=int_arg("pr_number", pr_number, 1, INT4_MAX),
        source=SUPERSEDE_SOURCE,
    )


async def supersede_umbrellas_to_close(conn: AsyncConnection[Any]) -> list[SupersedeToClose]:
    """Landed supersede umbrellas whose contributor PR is not closed yet, each with the PR that
    replaced it (its own, else the first completed descendant's, breadth first), in one query;
    an umbrella completed over work that never landed a PR is not listed."""
    return await queries.fetch_all(
        conn, _TO_CLOSE, model_row(SupersedeToClose), source=SUPERSEDE_SOURCE
    )


async def task_by_branch(
    conn: AsyncConnection[Any], branch_name: str, *, project_id: uuid.UUID | None = None
) -> Task | None:
    """The task owning a branch (within one project if given); the newest if several do."""
    return await queries.fetch_one(
        conn,
        _BY_BRANCH,
        _ROW,
        branch_name=text_arg("branch_name", branch_name, 255),
        project_id=None if project_id is None else uuid_arg("project_id", project_id),
    )


async def task_by_pr(
    conn: AsyncConnection[Any], pr_number: int, project_id: uuid.UUID
) -> Task | None:
    """The task of a PR within its project (numbers repeat across repos), or None."""
    return await queries.fetch_one(
        conn,
        _BY_PR,
        _ROW,
        pr_number=int_arg("pr_number", pr_number, 1, INT4_MAX),
        project_id=uuid_arg("project_id", project_id),
    )


async def agent_checkout_branches(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> list[str]:
    """The branches of every task the agent is assigned to or has claimed, sorted: RoboCo's
    checkout allowlist, to which the caller adds the project's head branch."""
    return await queries.fetch_all(
        conn, _BRANCHES, scalar_row, agent_id=uuid_arg("agent_id", agent_id)
    )


# -- children and sibling checks -----------------------------------------------------------------


async def list_children(
    conn: AsyncConnection[Any],
    parent_id: uuid.UUID,
    *,
    live_only: bool = False,
    limit: int = MAX_LIMIT,
) -> list[Task]:
    """A task's direct children, oldest first (RoboCo's get_subtasks); with live_only, without
    the cancelled ones (get_live_subtasks)."""
    if not isinstance(live_only, bool):
        raise ValidationError("live_only must be a bool")
    return await queries.fetch_all(
        conn,
        _CHILDREN,
        _ROW,
        parent_id=uuid_arg("parent_id", parent_id),
        live_only=live_only,
        limit=checked_limit(limit),
    )


async def all_children_terminal(conn: AsyncConnection[Any], parent_id: uuid.UUID) -> bool:
    """Whether every direct child is completed or cancelled (true with no children)."""
    done = await queries.fetch_scalar(
        conn, _CHILDREN_DONE, bool, parent_id=uuid_arg("parent_id", parent_id)
    )
    return bool(done)


async def has_earlier_open_code_sibling(conn: AsyncConnection[Any], task_id: uuid.UUID) -> bool:
    """Whether a code task waits behind an open code sibling of the same assignee with a lower
    (sequence, created_at); false for a non-code, parentless or unassigned task."""
    found = await queries.fetch_scalar(
        conn, _EARLIER_SIBLING, bool, id=uuid_arg("task_id", task_id)
    )
    return bool(found)


async def uncovered_required_cells(conn: AsyncConnection[Any], parent_id: uuid.UUID) -> list[str]:
    """The cells the parent's required_cells marker names that no direct child's team covers,
    normalised and in marker order; [] when there is no marker (or no such task)."""
    return await queries.fetch_all(
        conn, _UNCOVERED_CELLS, scalar_row, parent_id=uuid_arg("parent_id", parent_id)
    )


async def children_coverage(
    conn: AsyncConnection[Any], parent_id: uuid.UUID
) -> list[ChildCoverage]:
    """Each direct child's status and declared parent criteria (ids or texts), oldest first:
    the projection RoboCo's acceptance-criteria coverage checks fold."""
    return await queries.fetch_all(
        conn, _COVERAGE, model_row(ChildCoverage), parent_id=uuid_arg("parent_id", parent_id)
    )


# -- activity feeds and boards -------------------------------------------------------------------


async def list_updated_since(
    conn: AsyncConnection[Any], since: dt.datetime, *, limit: int = 50
) -> list[Task]:
    """Tasks updated since a moment, the most recent first (the dashboard's activity feed)."""
    return await queries.fetch_all(
        conn, _SINCE, _ROW, since=aware_arg("since", since), limit=checked_limit(limit)
    )


async def list_team_activity(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, *, limit: int = 10
) -> list[Task]:
    """The tasks of the agent's team, most recently touched first (updated_at, else
    created_at); [] for an unknown agent or one without a team."""
    return await queries.fetch_all(
        conn,
        _TEAM_ACTIVITY,
        _ROW,
        agent_id=uuid_arg("agent_id", agent_id),
        limit=checked_limit(limit),
    )


async def list_lane_blockers(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, *, limit: int = 10
) -> list[Task]:
    """The blocked tasks of the agent's team, updated_at DESC as PostgreSQL orders it."""
    return await queries.fetch_all(
        conn,
        _LANE_BLOCKERS,
        _ROW,
        agent_id=uuid_arg("agent_id", agent_id),
        limit=checked_limit(limit),
    )


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


async def lock_task(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Task | None:
    """Lock a task row FOR UPDATE until the caller's transaction ends and return it (None: no
    such task). RoboCo locks a parent so two merges into it run one after the other."""
    return await queries.fetch_one(conn, _LOCK, _ROW, id=uuid_arg("task_id", task_id))


# -- RoboCo v0.29.0's later task reads (prompter, panel search, vault janitor and curator) --------


async def list_recent_for_project(
    conn: AsyncConnection[Any], project_id: uuid.UUID, *, limit: int = 15
) -> list[Task]:
    """A project's tasks that are not cancelled, the most recently active first (completed,
    else updated, else created)."""
    return await queries.fetch_all(
        conn,
        _RECENT_FOR_PROJECT,
        _ROW,
        project_id=uuid_arg("project_id", project_id),
        limit=checked_limit(limit),
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
    return await queries.fetch_all(
        conn,
        _SEARCH,
        _ROW,
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
    return await queries.fetch_all(
        conn,
        _TOUCHED_SINCE,
        _ROW,
        since=aware_arg("since", since),
        offset=checked_offset(offset),
        limit=checked_limit(limit),
    )


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
    return await queries.fetch_all(
        conn,
        _TERMINAL_BETWEEN,
        _ROW,
        after=aware_arg("after", after),
        before=aware_arg("before", before),
        offset=checked_offset(offset),
        limit=checked_limit(limit),
    )


async def list_roots_to_curate(conn: AsyncConnection[Any], *, window: int = 20) -> list[Task]:
    """Of the ``window`` most recently completed root tasks, newest first, those whose
    vault_curation_dispatched marker is not set (by Python's truth rules, as RoboCo reads it).

    The marker is read after the window, as RoboCo does, so an old completion never crowds
    out a fresh one and the scan stays bounded.
    """
    roots = await queries.fetch_all(conn, _COMPLETED_ROOTS, _ROW, limit=checked_limit(window))
    return [t for t in roots if not (t.orchestration_markers or {}).get(_VAULT_CURATION_DISPATCHED)]
