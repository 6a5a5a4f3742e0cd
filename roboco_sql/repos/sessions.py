"""Conversation sessions inside groups, and the session-task links (one primary per task).

Opening a session makes it its group's live one (``groups.active_session_id``); closing it
clears that pointer. Both happen in the statement that changes the session, as RoboCo's
messaging service does them in one flush.

Past RoboCo's 060_drop_messaging every function here raises SchemaGone (`_errors._DROPPED`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg import errors as pgerr

from roboco_sql import queries
from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import SessionStatus
from roboco_sql.models.messaging import (
    Channel,
    Group,
    LinkedTask,
    Session,
    SessionCreate,
    SessionTask,
    SessionTaskCreate,
    SessionTaskRelationship,
)
from roboco_sql.queries import Query
from roboco_sql.repos import channels
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import missed
from roboco_sql.repos._paging import checked_limit, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "Cursor",
    "SessionInContext",
    "SessionWithTasks",
    "close_session",
    "get_active_session",
    "get_or_open_session",
    "get_primary_session",
    "get_session",
    "get_session_task",
    "link_task",
    "list_session_tasks",
    "list_sessions",
    "list_sessions_with_tasks",
    "list_task_sessions",
    "list_task_sessions_in_context",
    "open_session",
    "set_primary_session",
    "sweep_timed_out",
    "unlink_task",
]

Cursor = tuple[dt.datetime, uuid.UUID]
"""A keyset position: the (started_at, id) of the last session of the previous page."""

_Q = queries.load()
_OPEN = _Q["sessions.open_session"]
_CLOSE = _Q["sessions.close_session"]
_GET = _Q["sessions.get_session"]
_GET_ACTIVE = _Q["sessions.get_active_session"]
_LIST = _Q["sessions.list_sessions_by_group"]
_LINK = _Q["sessions.link_session_task"]
_GET_LINK = _Q["sessions.get_session_task"]
_LIST_BY_SESSION = _Q["sessions.list_session_tasks_by_session"]
_LIST_BY_TASK = _Q["sessions.list_session_tasks_by_task"]
_GET_PRIMARY = _Q["sessions.get_primary_session"]
_CLEAR_PRIMARY = _Q["sessions.clear_primary_session"]
_SET_PRIMARY = _Q["sessions.set_primary_session"]
_UNLINK = _Q["sessions.unlink_session_task"]
_SWEEP = _Q["sessions.sweep_timed_out_sessions"]
_LOCK_GROUP = _Q["sessions.lock_group"]
_BY_IDS = _Q["sessions.list_sessions_by_ids"]
_LINKED_TASKS = _Q["sessions.list_linked_tasks_of_sessions"]

_SESSION = model_row(Session)
_LINK_ROW = model_row(SessionTask)
_LINKED_TASK = model_row(LinkedTask)


@dataclass(frozen=True, slots=True)
class SessionWithTasks:
    """A session with its task links and their tasks' headlines (what RoboCo eager-loads for
    a group's session list)."""

    session: Session
    tasks: list[LinkedTask]


@dataclass(frozen=True, slots=True)
class SessionInContext:
    """A task's link to a session, with the session, its group and the group's channel."""

    link: SessionTask
    session: Session
    group: Group
    channel: Channel


_PRIMARY_INDEX = "ix_session_tasks_primary_per_task"
_ENDED = frozenset({SessionStatus.CLOSED, SessionStatus.TIMED_OUT})


# -- sessions ----------------------------------------------------------------------------------


async def _one_session(
    conn: AsyncConnection[Any], query: Query, **params: object
) -> Session | None:
    """The session row a statement returns, or None; a dropped table is SchemaGone."""
    with translated("session"):
        return await queries.fetch_one(conn, query, _SESSION, **params)


async def _sessions(conn: AsyncConnection[Any], query: Query, **params: object) -> list[Session]:
    """The session rows a statement returns."""
    with translated("session"):
        return await queries.fetch_all(conn, query, _SESSION, **params)


async def _links(conn: AsyncConnection[Any], query: Query, **params: object) -> list[SessionTask]:
    """The session-task link rows a statement returns."""
    with translated("session task"):
        return await queries.fetch_all(conn, query, _LINK_ROW, **params)


async def open_session(conn: AsyncConnection[Any], data: SessionCreate) -> Session:
    """Insert a session and make it the group's live one; NotFound naming a missing group.

    It does not check for a live session already in the group: a caller that must reuse one
    reads get_active_session first, under its own lock on the group.
    """
    with translated("session"):
        session = await queries.fetch_one(conn, _OPEN, _SESSION, **data.model_dump())
    assert session is not None
    return session


async def get_or_open_session(conn: AsyncConnection[Any], data: SessionCreate) -> Session:
    """The group's live session, or a new one opened from data when it has none: RoboCo's
    create_session, which reuses the one conversation a group holds. Callers racing on one
    group queue on its row lock, so they all get the same session. NotFound if no group."""
    async with queries.atomic(conn):
        with translated("session"):
            locked = await queries.fetch_scalar(
                conn, _LOCK_GROUP, uuid.UUID, group_id=data.group_id
            )
        if locked is None:
            raise NotFound(f"group {data.group_id} not found")
        live = await get_active_session(conn, data.group_id)
        return live if live is not None else await open_session(conn, data)


async def close_session(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    *,
    status: SessionStatus = SessionStatus.CLOSED,
    closed_at: dt.datetime | None = None,
) -> Session:
    """End an active session (closed, or timed_out for the sweeper) and unhook it from its group.

    NotFound if there is no such session; Conflict if it already ended, so a manual close and
    the timeout sweeper cannot both win.
    """
    if status not in _ENDED:
        raise ValidationError(f"a session closes as closed or timed_out, not {status}")
    session = await _one_session(
        conn, _CLOSE, id=session_id, status=status, closed_at=closed_at or utcnow()
    )
    if session is not None:
        return session
    raise missed(
        await get_session(conn, session_id),
        "session",
        session_id,
        lambda now: f"session {session_id} is already {now.status}",
    )


async def get_session(conn: AsyncConnection[Any], session_id: uuid.UUID) -> Session | None:
    """One session by id, or None."""
    return await _one_session(conn, _GET, id=session_id)


async def get_active_session(conn: AsyncConnection[Any], group_id: uuid.UUID) -> Session | None:
    """The group's live session (its active_session_id, if still active), or None."""
    return await _one_session(conn, _GET_ACTIVE, group_id=group_id)


async def list_sessions(
    conn: AsyncConnection[Any],
    group_id: uuid.UUID,
    *,
    status: SessionStatus | None = None,
    before: Cursor | None = None,
    limit: int = 50,
) -> list[Session]:
    """A group's sessions, newest start first; pass the last one's (started_at, id) as before."""
    status = optional_enum_arg("status", SessionStatus, status)
    return await _sessions(
        conn,
        _LIST,
        group_id=group_id,
        status=status,
        **cursor_params(before),
        limit=checked_limit(limit),
    )


async def sweep_timed_out(
    conn: AsyncConnection[Any],
    *,
    now: dt.datetime | None = None,
    status: SessionStatus = SessionStatus.CLOSED,
) -> list[Session]:
    """Close every active session idle past its timeout_seconds or open past its
    max_time_window (at now, by default the clock) and unhook each from its group, in one
    statement; the sessions closed. RoboCo's sweeper closes them as closed; pass timed_out to
    tell them apart. A session a writer holds locked is left for the next sweep."""
    if status not in _ENDED:
        raise ValidationError(f"a session closes as closed or timed_out, not {status}")
    if now is not None and now.tzinfo is None:
        raise ValidationError("now must be timezone-aware")
    return await _sessions(conn, _SWEEP, now=now or utcnow(), status=status)


async def list_sessions_with_tasks(
    conn: AsyncConnection[Any],
    group_id: uuid.UUID,
    *,
    status: SessionStatus | None = None,
    limit: int = 50,
) -> list[SessionWithTasks]:
    """A group's sessions, newest start first, each with its task links and their tasks'
    headlines: two statements whatever the page size, where RoboCo eager-loads. RoboCo checks
    first that the reader may see the group's channel (a member, an observer or privileged):
    that stays the caller's, on the channel's arrays."""
    page = await list_sessions(conn, group_id, status=status, limit=limit)
    if not page:
        return []
    ids = [s.id for s in page]
    with translated("session task"):
        links = await queries.fetch_all(conn, _LINKED_TASKS, _LINKED_TASK, session_ids=ids)
    grouped: dict[uuid.UUID, list[LinkedTask]] = {i: [] for i in ids}
    for link in links:
        grouped[link.session_id].append(link)
    return [SessionWithTasks(session=s, tasks=grouped[s.id]) for s in page]


async def list_task_sessions_in_context(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    *,
    relationship_type: SessionTaskRelationship | None = None,
) -> list[SessionInContext]:
    """A task's session links, newest first, each with its session, group and channel: four
    statements however many links, where RoboCo joins three relationships."""
    links = await list_task_sessions(conn, task_id, relationship_type=relationship_type)
    if not links:
        return []
    rows = await _sessions(conn, _BY_IDS, ids=list({link.session_id for link in links}))
    by_id = {s.id: s for s in rows}
    groups = await channels.list_groups_by_ids(conn, {s.group_id for s in rows})
    rooms = await channels.list_channels_by_ids(conn, {g.channel_id for g in groups.values()})
    found: list[SessionInContext] = []
    for link in links:
        # each lookup misses only for a row deleted between the statements: skip that link
        if (session := by_id.get(link.session_id)) is None:
            continue
        if (group := groups.get(session.group_id)) is None:
            continue
        if (channel := rooms.get(group.channel_id)) is None:
            continue
        found.append(SessionInContext(link=link, session=session, group=group, channel=channel))
    return found


# -- session-task links ------------------------------------------------------------------------


async def link_task(conn: AsyncConnection[Any], data: SessionTaskCreate) -> SessionTask:
    """Link a task to a session.

    Conflict if the pair is already linked, or (is_primary) the task already has a primary
    session; NotFound naming the session, task or agent that does not exist.
    """
    with translated("session task"):
        try:
            link = await queries.fetch_one(conn, _LINK, _LINK_ROW, **data.model_dump())
        except pgerr.UniqueViolation as exc:
            if exc.diag.constraint_name != _PRIMARY_INDEX:
                raise
            raise Conflict(f"task {data.task_id} already has a primary session") from None
    assert link is not None
    return link


async def get_session_task(
    conn: AsyncConnection[Any], session_id: uuid.UUID, task_id: uuid.UUID
) -> SessionTask | None:
    """The link between a session and a task, or None."""
    with translated("session task"):
        return await queries.fetch_one(
            conn, _GET_LINK, _LINK_ROW, session_id=session_id, task_id=task_id
        )


async def list_session_tasks(
    conn: AsyncConnection[Any], session_id: uuid.UUID
) -> list[SessionTask]:
    """The task links of a session, newest first."""
    return await _links(conn, _LIST_BY_SESSION, session_id=session_id)


async def list_task_sessions(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    *,
    relationship_type: SessionTaskRelationship | None = None,
) -> list[SessionTask]:
    """The session links of a task, newest first, optionally of one relationship type."""
    relationship_type = optional_enum_arg(
        "relationship_type", SessionTaskRelationship, relationship_type
    )
    return await _links(conn, _LIST_BY_TASK, task_id=task_id, relationship_type=relationship_type)


async def get_primary_session(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Session | None:
    """The task's primary session (the discussion of record), or None."""
    return await _one_session(conn, _GET_PRIMARY, task_id=task_id)


async def set_primary_session(
    conn: AsyncConnection[Any], task_id: uuid.UUID, session_id: uuid.UUID
) -> SessionTask:
    """Make an existing link the task's primary one, demoting the previous primary.

    Both steps run in one transaction (the unique index allows one primary at any instant);
    NotFound, with nothing changed, when the session is not linked to the task.
    """
    with translated("session task"):
        async with queries.atomic(conn):
            await queries.execute_rows(conn, _CLEAR_PRIMARY, task_id=task_id, session_id=session_id)
            link = await queries.fetch_one(
                conn, _SET_PRIMARY, _LINK_ROW, task_id=task_id, session_id=session_id
            )
            if link is None:
                raise NotFound(f"session {session_id} is not linked to task {task_id}")
    return link


async def unlink_task(
    conn: AsyncConnection[Any], session_id: uuid.UUID, task_id: uuid.UUID
) -> None:
    """Remove the link between a session and a task; NotFound if there is none."""
    with translated("session task"):
        removed = await queries.execute_rows(conn, _UNLINK, session_id=session_id, task_id=task_id)
    if removed == 0:
        raise NotFound(f"session {session_id} is not linked to task {task_id}")
