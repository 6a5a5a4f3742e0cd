"""Tasks found by where they came from: their source (RoboCo's dedupe and cap lists, the post
histories, PR reviews, supersede umbrellas), their branch or their PR number.

Each is one statement; where RoboCo walked a subtree (the supersede umbrella's landed PR) the
walk is in the SQL. Nothing here writes; the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import scalar_row

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.lifecycle import PR_REVIEW_SOURCES
from roboco_sql.models.enums import Team
from roboco_sql.models.task import Task
from roboco_sql.models.task_views import SUPERSEDE_SOURCE, SupersedeToClose
from roboco_sql.repos._checks import (
    INT4_MAX,
    int_arg,
    optional_enum_arg,
    sources_arg,
    text_arg,
    uuid_arg,
)
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._task_common import bool_arg, one_task, task_list, yes_no

__all__ = [
    "agent_checkout_branches",
    "find_supersede_umbrella",
    "list_open_by_source",
    "list_pr_reviews",
    "list_source_history",
    "live_task_owns_branch",
    "pr_review_exists",
    "repo_key",
    "supersede_umbrellas_to_close",
    "task_by_branch",
    "task_by_pr",
]

_Q = queries.load()
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


def _pr_arg(pr_number: int) -> int:
    return int_arg("pr_number", pr_number, 1, INT4_MAX)


def _optional_text(name: str, value: str | None, max_length: int) -> str | None:
    return None if value is None else text_arg(name, value, max_length)


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
    return await yes_no(
        conn,
        _REVIEW_EXISTS,
        project_id=uuid_arg("project_id", project_id),
        pr_number=_pr_arg(pr_number),
        head_sha=head_sha,
        review_sources=sorted(PR_REVIEW_SOURCES),
    )


async def live_task_owns_branch(
    conn: AsyncConnection[Any], branch_name: str, project_id: uuid.UUID
) -> bool:
    """Whether a task not yet completed or cancelled, on this project's repo (any project with
    the same git_url), owns this branch; False for an empty branch name, as RoboCo."""
    pid = uuid_arg("project_id", project_id)
    if branch_name == "":
        return False
    branch = text_arg("branch_name", branch_name, 255)
    return await yes_no(conn, _OWNS_BRANCH, branch_name=branch, project_id=pid)


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
    return await task_list(
        conn,
        _OPEN_BY_SOURCE,
        sources=sources_arg("sources", sources),
        team=optional_enum_arg("team", Team, team),
        repo_key=None if git_url is None else repo_key(text_arg("git_url", git_url, 500)),
        workflow=_optional_text("workflow", workflow, 255),
        default_workflow=text_arg("default_workflow", default_workflow, 255),
        dep_update_command=_optional_text("dep_update_command", dep_update_command, 500),
        marker_key=_optional_text("marker", key, 100),
        marker_value=_optional_text("marker", value, 500),
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
    only = bool_arg("completed_only", completed_only)
    return await task_list(
        conn,
        _SOURCE_HISTORY,
        sources=sources_arg("sources", sources),
        completed_only=only,
        limit=checked_limit(limit),
    )


async def list_pr_reviews(
    conn: AsyncConnection[Any], *, awaiting_decision: bool = False, limit: int = 100
) -> list[Task]:
    """PR review tasks for the panel, oldest first: not cancelled or dismissed, and still under
    way or completed without the CEO's decision; with awaiting_decision, only the latter."""
    only = bool_arg("awaiting_decision", awaiting_decision)
    sources = sorted(PR_REVIEW_SOURCES)
    return await task_list(
        conn, _PR_REVIEWS, review_sources=sources, awaiting_only=only, limit=checked_limit(limit)
    )


async def find_supersede_umbrella(
    conn: AsyncConnection[Any], project_id: uuid.UUID, pr_number: int
) -> Task | None:
    """The supersede umbrella (not cancelled) of this project for this contributor PR, or
    None: the trigger's idempotency check."""
    pid = uuid_arg("project_id", project_id)
    pr = _pr_arg(pr_number)
    return await one_task(conn, _UMBRELLA, project_id=pid, pr_number=pr, source=SUPERSEDE_SOURCE)


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
    branch = text_arg("branch_name", branch_name, 255)
    pid = None if project_id is None else uuid_arg("project_id", project_id)
    return await one_task(conn, _BY_BRANCH, branch_name=branch, project_id=pid)


async def task_by_pr(
    conn: AsyncConnection[Any], pr_number: int, project_id: uuid.UUID
) -> Task | None:
    """The task of a PR within its project (numbers repeat across repos), or None."""
    pr = _pr_arg(pr_number)
    return await one_task(conn, _BY_PR, pr_number=pr, project_id=uuid_arg("project_id", project_id))


async def agent_checkout_branches(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> list[str]:
    """The branches of every task the agent is assigned to or has claimed, sorted: RoboCo's
    checkout allowlist, to which the caller adds the project's head branch."""
    return await queries.fetch_all(
        conn, _BRANCHES, scalar_row, agent_id=uuid_arg("agent_id", agent_id)
    )
