"""Work sessions: one agent's stint on one task's branch, from opening through PR and merge."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import Conflict, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import WorkSessionStatus
from roboco_sql.models.work_session import (
    PullRequestStatus,
    ToolchainStatus,
    WorkSession,
    WorkSessionCreate,
    WorkSessionUpdate,
)
from roboco_sql.repos._built import built
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import existing, input_params, missed
from roboco_sql.repos._keyset import keyset
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "abandon_for_project",
    "close_work_session",
    "get_active_work_session",
    "get_work_session",
    "list_work_sessions",
    "open_work_session",
    "record_commits",
    "record_merge",
    "record_pr",
    "set_toolchain",
    "update_work_session",
]

_Q = queries.load()
_ABANDON_FOR_PROJECT = _Q["work_sessions.abandon_project_work_sessions"]
_CREATE = _Q["work_sessions.create_work_session"]
_GET = _Q["work_sessions.get_work_session"]
_GET_ACTIVE = _Q["work_sessions.get_active_work_session"]
_LIST = _Q["work_sessions.list_work_sessions"]
_UPDATE = _Q["work_sessions.update_work_session"]
_APPEND = _Q["work_sessions.append_work_session_commits"]
_CLOSE = _Q["work_sessions.close_work_session"]

_ROW = model_row(WorkSession)
_UPDATABLE = WorkSessionUpdate.columns()
_OUTCOMES = frozenset({WorkSessionStatus.COMPLETED, WorkSessionStatus.ABANDONED})


def _update(**fields: object) -> WorkSessionUpdate:
    """The update a recording function builds from its arguments, refused as our error."""
    return built("work session", WorkSessionUpdate, **fields)


async def open_work_session(conn: AsyncConnection[Any], data: WorkSessionCreate) -> WorkSession:
    """Open an active session on the task's branch (base and target branch recorded).

    Conflict when the agent already has an active session on the task; NotFound naming a
    missing project, task or agent.
    """
    with translated("work session"):
        opened = await queries.fetch_one(conn, _CREATE, _ROW, **input_params(_CREATE, data))
    if opened is None:
        raise Conflict(
            f"work session: agent {data.agent_id} already has an active session on task "
            f"{data.task_id}"
        )
    return opened


async def get_work_session(conn: AsyncConnection[Any], session_id: uuid.UUID) -> WorkSession | None:
    """One work session by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=session_id)


async def get_active_work_session(
    conn: AsyncConnection[Any], task_id: uuid.UUID, agent_id: uuid.UUID | None = None
) -> WorkSession | None:
    """The newest active session on a task (of one agent, if given), or None."""
    return await queries.fetch_one(conn, _GET_ACTIVE, _ROW, task_id=task_id, agent_id=agent_id)


async def list_work_sessions(
    conn: AsyncConnection[Any],
    *,
    task_id: uuid.UUID | None = None,
    agent_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    status: WorkSessionStatus | None = None,
    before: WorkSession | None = None,
    limit: int = 50,
) -> list[WorkSession]:
    """Sessions matching every filter given, newest first; pass the last one as ``before``."""
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        task_id=task_id,
        agent_id=agent_id,
        project_id=project_id,
        status=optional_enum_arg("status", WorkSessionStatus, status),
        **keyset("before", before, WorkSession, "started_at", "id"),
        limit=checked_limit(limit),
    )


async def update_work_session(
    conn: AsyncConnection[Any], session_id: uuid.UUID, data: WorkSessionUpdate
) -> WorkSession:
    """Write the fields the update set (lists are replaced whole); NotFound when missing."""
    return await _write(conn, _UPDATE, session_id, **patch_params(data.changes(), _UPDATABLE))


async def record_commits(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    commits: Sequence[str] = (),
    files_modified: Sequence[str] = (),
) -> WorkSession:
    """Append commits (7-40 hex characters each) and modified files not yet recorded.

    Duplicates are dropped, order kept; the hashes are checked (and lowercased) by
    WorkSessionUpdate before any SQL runs (a refusal is a ValidationError naming the field).
    """
    checked = _update(commits=list(commits), files_modified=list(files_modified))
    return await _write(
        conn, _APPEND, session_id, commits=checked.commits, files_modified=checked.files_modified
    )


async def _write(
    conn: AsyncConnection[Any], query: queries.Query, session_id: uuid.UUID, **params: object
) -> WorkSession:
    """Run one of the session's writes, stamped updated_at now; NotFound when it is missing."""
    return await existing(
        conn, query, _ROW, "work session", session_id, id=session_id, updated_at=utcnow(), **params
    )


async def record_pr(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    pr_number: int,
    pr_url: str,
    *,
    created_at: dt.datetime | None = None,
) -> WorkSession:
    """Record the pull request opened for the session's branch (status ``open``)."""
    return await update_work_session(
        conn,
        session_id,
        _update(
            pr_number=pr_number,
            pr_url=pr_url,
            pr_status=PullRequestStatus.OPEN,
            pr_created_at=created_at or utcnow(),
        ),
    )


async def record_merge(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    merged_by: uuid.UUID,
    *,
    merged_at: dt.datetime | None = None,
) -> WorkSession:
    """Record the PR as merged (by whom, when) and complete the session, as RoboCo does."""
    when = merged_at or utcnow()
    return await update_work_session(
        conn,
        session_id,
        _update(
            pr_status=PullRequestStatus.MERGED,
            pr_merged_at=when,
            merged_by=merged_by,
            status=WorkSessionStatus.COMPLETED,
            ended_at=when,
        ),
    )


async def set_toolchain(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    python: str | None,
    status: ToolchainStatus,
) -> WorkSession:
    """Record the toolchain probe of the session's workspace (Python version, ok/broken)."""
    return await update_work_session(
        conn, session_id, _update(toolchain_python=python, toolchain_status=status)
    )


async def close_work_session(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    outcome: WorkSessionStatus = WorkSessionStatus.COMPLETED,
    *,
    ended_at: dt.datetime | None = None,
) -> WorkSession:
    """End an active session as completed or abandoned.

    Closing again with the same outcome returns the session unchanged (retries are safe); a
    session that already ended otherwise is a Conflict; NotFound when missing.
    """
    if outcome not in _OUTCOMES:
        raise ValidationError(
            f"work session: outcome must be completed or abandoned, not {outcome}"
        )
    closed = await queries.fetch_one(
        conn, _CLOSE, _ROW, id=session_id, outcome=outcome, ended_at=ended_at or utcnow()
    )
    if closed is not None:
        return closed
    current = await get_work_session(conn, session_id)
    if current is not None and current.status == outcome:
        return current
    raise missed(
        current,
        "work session",
        session_id,
        lambda now: f"work session {session_id} already ended as {now.status}",
    )


async def abandon_for_project(
    conn: AsyncConnection[Any], project_id: uuid.UUID, *, ended_at: dt.datetime | None = None
) -> list[WorkSession]:
    """End every active work session of the project as abandoned, in one statement (RoboCo
    does this before deleting a project); the sessions it ended."""
    return await queries.fetch_all(
        conn, _ABANDON_FOR_PROJECT, _ROW, project_id=project_id, ended_at=ended_at or utcnow()
    )
