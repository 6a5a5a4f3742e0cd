"""Messages: posting one (counters included, one round trip), loading many, reading them back,
and the author's edits.

Every message moves the counters RoboCo keeps on its session, group and channel; the writes
live in `_message_posts` (re-exported here), the reads and the author's edit, delete and
tombstone here.

Past RoboCo's 060_drop_messaging every function here raises SchemaGone (`_errors._DROPPED`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import MessageType
from roboco_sql.models.messaging import Message, MessageVolume
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._message_posts import Sent, post_message, post_messages, send_message
from roboco_sql.repos._message_rows import MESSAGE, Cursor, aware, get_message
from roboco_sql.repos._paging import checked_cursor, checked_limit, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "Cursor",
    "Sent",
    "delete_message",
    "edit_message",
    "get_message",
    "history",
    "list_channel_messages",
    "list_messages",
    "list_recent_messages",
    "message_volume",
    "post_message",
    "post_messages",
    "send_message",
    "tombstone_message",
]

_Q = queries.load()
_LIST_SESSION = _Q["messages.list_session_messages"]
_LIST_CHANNEL = _Q["messages.list_channel_messages"]
_EDIT = _Q["messages.edit_message"]
_DELETE = _Q["messages.delete_message"]
_TOMBSTONE = _Q["messages.tombstone_message"]
_RECENT = _Q["messages.list_recent_messages"]
_VOLUME = _Q["messages.message_volume"]

_VOLUME_ROW = model_row(MessageVolume)


async def list_messages(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    *,
    before: Cursor | None = None,
    after: dt.datetime | None = None,
    type: MessageType | None = None,
    limit: int = 100,
) -> list[Message]:
    """A session's messages, newest first, optionally only those after a time or of one type;
    pass the last one's (timestamp, id) as before for the next page."""
    return await _session_page(
        conn, session_id, before=before, after=after, type=type, rows=checked_limit(limit)
    )


async def _session_page(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    *,
    before: Cursor | None,
    after: dt.datetime | None,
    type: MessageType | None,
    rows: int,
) -> list[Message]:
    checked = checked_cursor(before)
    before_at, before_id = checked if checked is not None else (None, None)
    with translated("message"):
        return await queries.fetch_all(
            conn,
            _LIST_SESSION,
            MESSAGE,
            session_id=session_id,
            before_at=aware("before", before_at),
            before_id=before_id,
            after=aware("after", after),
            type=optional_enum_arg("type", MessageType, type),
            limit=rows,
        )


async def history(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    *,
    before: dt.datetime | None = None,
    after: dt.datetime | None = None,
    type: MessageType | None = None,
    limit: int = 50,
) -> tuple[list[Message], bool]:
    """RoboCo's session history: messages strictly between after and before (timestamps),
    optionally of one type, newest first, and whether more lie beyond the limit."""
    cursor = None if before is None else (before, uuid.UUID(int=0))  # strictly before the time
    rows = await _session_page(
        conn, session_id, before=cursor, after=after, type=type, rows=checked_limit(limit) + 1
    )
    return rows[:limit], len(rows) > limit


async def list_channel_messages(
    conn: AsyncConnection[Any],
    channel_id: uuid.UUID,
    *,
    before: Cursor | None = None,
    limit: int = 50,
) -> list[Message]:
    """A channel's recent messages across its groups and sessions, newest first."""
    with translated("message"):
        return await queries.fetch_all(
            conn,
            _LIST_CHANNEL,
            MESSAGE,
            channel_id=channel_id,
            **cursor_params(before),
            limit=checked_limit(limit),
        )


async def _by_author(
    conn: AsyncConnection[Any], message_id: uuid.UUID, agent_id: uuid.UUID, row: Message | None
) -> Message:
    """The row an author-only statement returned, or why it returned none."""
    if row is not None:
        return row
    current = await get_message(conn, message_id)
    if current is None:
        raise NotFound(f"message {message_id} not found")
    raise ValidationError(f"agent {agent_id} is not the author of message {message_id}")


async def edit_message(
    conn: AsyncConnection[Any],
    message_id: uuid.UUID,
    agent_id: uuid.UUID,
    content: str,
    *,
    reason: str | None = None,
    at: dt.datetime | None = None,
) -> Message:
    """The author rewrites a message in one statement: the old content is appended to
    edit_history (with the time and reason), and the session's content length follows.
    NotFound for a missing message; ValidationError for anyone but its author."""
    if not content:
        raise ValidationError("content must not be empty")
    when = aware("at", at) or utcnow()
    with translated("message"):
        row = await queries.fetch_one(
            conn,
            _EDIT,
            MESSAGE,
            id=message_id,
            agent_id=agent_id,
            content=content,
            content_length=len(content),
            reason=reason,
            edited_at=when,
            edited_at_text=when.isoformat(),
        )
    return await _by_author(conn, message_id, agent_id, row)


async def delete_message(
    conn: AsyncConnection[Any], message_id: uuid.UUID, agent_id: uuid.UUID
) -> Message:
    """The author deletes a message for good, and its session's message count and content
    length drop by it, in one statement (RoboCo leaves the group's and channel's totals);
    the deleted message. NotFound / ValidationError as edit_message."""
    with translated("message"):
        row = await queries.fetch_one(conn, _DELETE, MESSAGE, id=message_id, agent_id=agent_id)
    return await _by_author(conn, message_id, agent_id, row)


async def tombstone_message(
    conn: AsyncConnection[Any],
    message_id: uuid.UUID,
    agent_id: uuid.UUID,
    *,
    at: dt.datetime | None = None,
) -> Message:
    """The author's soft delete: the content becomes "[deleted]", counters stay."""
    with translated("message"):
        row = await queries.fetch_one(
            conn,
            _TOMBSTONE,
            MESSAGE,
            id=message_id,
            agent_id=agent_id,
            edited_at=aware("at", at) or utcnow(),
        )
    return await _by_author(conn, message_id, agent_id, row)


async def list_recent_messages(
    conn: AsyncConnection[Any], *, since: dt.datetime, limit: int = 50
) -> list[Message]:
    """Messages in every channel since a time, newest first: the dashboard's activity feed."""
    with translated("message"):
        return await queries.fetch_all(
            conn, _RECENT, MESSAGE, since=aware("since", since), limit=checked_limit(limit)
        )


async def message_volume(
    conn: AsyncConnection[Any], *, since: dt.datetime, agent_id: uuid.UUID | None = None
) -> MessageVolume:
    """Messages since a time (by one agent, if given): total, distinct channels, per type."""
    with translated("message"):
        row = await queries.fetch_one(
            conn, _VOLUME, _VOLUME_ROW, since=aware("since", since), agent_id=agent_id
        )
    assert row is not None  # an aggregate always returns its row
    return row
