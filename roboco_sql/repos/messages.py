"""Messages: posting one (counters included, one round trip), loading many, reading them back.

Every message moves the counters RoboCo keeps on its session, group and channel. post_message
does it in the INSERT's own statement; post_messages loads with COPY and then adds the whole
batch to the counters in one statement, both inside one transaction.

RoboCo's 060_drop_messaging drops these tables: on a database past it, every function here
raises SchemaGone naming the table and the revision (a database pinned below 060 keeps them).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import MessageType, SessionStatus
from roboco_sql.models.messaging import (
    Message,
    MessageCreate,
    MessageVolume,
    Session,
    SessionCreate,
)
from roboco_sql.repos import channels, sessions
from roboco_sql.repos._errors import translated
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

Cursor = tuple[dt.datetime, uuid.UUID]
"""A keyset position: the (timestamp, id) of the last message of the previous page."""

_Q = queries.load()
_POST = _Q["messages.post_message"]
_BUMP = _Q["messages.bump_message_counters"]
_GET = _Q["messages.get_message"]
_LIST_SESSION = _Q["messages.list_session_messages"]
_LIST_CHANNEL = _Q["messages.list_channel_messages"]
_EDIT = _Q["messages.edit_message"]
_DELETE = _Q["messages.delete_message"]
_TOMBSTONE = _Q["messages.tombstone_message"]
_RECENT = _Q["messages.list_recent_messages"]
_VOLUME = _Q["messages.message_volume"]
_MENTIONS = _Q["messages.notify_message_mentions"]

_MESSAGE = model_row(Message)
_VOLUME_ROW = model_row(MessageVolume)


def _aware(name: str, value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationError(f"{name} must be timezone-aware")
    return value


# COPY cannot be prepared, so it stays out of sql/queries (whose statements are all described
# by the agreement tests); it is one fixed statement, never built from input.
_COPY_COLUMNS: Final = (
    "id",
    "agent_id",
    "channel_id",
    "group_id",
    "session_id",
    "type",
    "content",
    "content_length",
    "is_reply",
    "reply_to",
    "mentions",
    "task_id",
    "commit_ref",
    "timestamp",
    "confidence",
    "raw_excerpt",
    "edited_at",
    "edit_history",
    "created_at",
)
_COPY: Final = (
    "/* messages.py:post_messages */\n"
    f"COPY messages ({', '.join(_COPY_COLUMNS)}) FROM STDIN (FORMAT TEXT)"
)
_NO_EDITS: Final = Json([])


async def post_message(conn: AsyncConnection[Any], msg: MessageCreate) -> Message:
    """Insert a message and count it on its session, group and channel, in one statement.

    NotFound names the session, group, channel, agent, task or replied-to message that does
    not exist; nothing is written then.
    """
    with translated("message"):
        message = await queries.fetch_one(
            conn,
            _POST,
            _MESSAGE,
            id=msg.id,
            agent_id=msg.agent_id,
            channel_id=msg.channel_id,
            group_id=msg.group_id,
            session_id=msg.session_id,
            type=msg.type,
            content=msg.content,
            content_length=msg.content_length,
            is_reply=msg.is_reply,
            reply_to=msg.reply_to,
            mentions=msg.mentions,
            task_id=msg.task_id,
            commit_ref=msg.commit_ref,
            timestamp=msg.timestamp,
            confidence=msg.confidence,
            raw_excerpt=msg.raw_excerpt,
            created_at=msg.created_at,
        )
    assert message is not None  # INSERT ... RETURNING always yields the row
    return message


async def post_messages(conn: AsyncConnection[Any], messages: Iterable[MessageCreate]) -> int:
    """Load many messages with COPY and add them to the counters; the number loaded.

    All or nothing: the COPY and the counter update run in one transaction (a savepoint when
    the caller already has one open), so a missing session, a duplicate id or any other
    refusal leaves no message and no counter changed.
    """
    batch = list(messages)
    if not batch:
        return 0
    wrong = next((m for m in batch if not isinstance(m, MessageCreate)), None)
    if wrong is not None:
        raise ValidationError(f"post_messages takes MessageCreate, not {type(wrong).__name__}")
    with translated("message"):
        async with queries.atomic(conn), conn.cursor() as cur:
            async with cur.copy(_COPY) as copy:
                for m in batch:
                    await copy.write_row(
                        (
                            m.id,
                            m.agent_id,
                            m.channel_id,
                            m.group_id,
                            m.session_id,
                            m.type.value,
                            m.content,
                            m.content_length,
                            m.is_reply,
                            m.reply_to,
                            m.mentions,
                            m.task_id,
                            m.commit_ref,
                            m.timestamp,
                            m.confidence,
                            m.raw_excerpt,
                            None,
                            _NO_EDITS,
                            m.created_at,
                        )
                    )
            await queries.execute(conn, _BUMP, ids=[m.id for m in batch])
    return len(batch)


async def get_message(conn: AsyncConnection[Any], message_id: uuid.UUID) -> Message | None:
    """One message by id, or None."""
    with translated("message"):
        return await queries.fetch_one(conn, _GET, _MESSAGE, id=message_id)


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
            _MESSAGE,
            session_id=session_id,
            before_at=_aware("before", before_at),
            before_id=before_id,
            after=_aware("after", after),
            type=type,
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
            _MESSAGE,
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
    when = _aware("at", at) or utcnow()
    with translated("message"):
        row = await queries.fetch_one(
            conn,
            _EDIT,
            _MESSAGE,
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
        row = await queries.fetch_one(conn, _DELETE, _MESSAGE, id=message_id, agent_id=agent_id)
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
            _MESSAGE,
            id=message_id,
            agent_id=agent_id,
            edited_at=_aware("at", at) or utcnow(),
        )
    return await _by_author(conn, message_id, agent_id, row)


async def list_recent_messages(
    conn: AsyncConnection[Any], *, since: dt.datetime, limit: int = 50
) -> list[Message]:
    """Messages in every channel since a time, newest first: the dashboard's activity feed."""
    with translated("message"):
        return await queries.fetch_all(
            conn, _RECENT, _MESSAGE, since=_aware("since", since), limit=checked_limit(limit)
        )


async def message_volume(
    conn: AsyncConnection[Any], *, since: dt.datetime, agent_id: uuid.UUID | None = None
) -> MessageVolume:
    """Messages since a time (by one agent, if given): total, distinct channels, per type."""
    with translated("message"):
        row = await queries.fetch_one(
            conn, _VOLUME, _VOLUME_ROW, since=_aware("since", since), agent_id=agent_id
        )
    assert row is not None  # an aggregate always returns its row
    return row


@dataclass(frozen=True, slots=True)
class Sent:
    """What send_message did: the message as stored, the mention notifications it sent, and
    whether the message filled its session (which it then closed)."""

    message: Message
    mentions: list[uuid.UUID]
    closed_session: bool


def _full(session: Session) -> bool:
    """RoboCo's session boundary: its message count or its content length reached."""
    by_count = session.max_message_count and session.message_count >= session.max_message_count
    by_size = (
        session.max_content_length and session.total_content_length >= session.max_content_length
    )
    return bool(by_count or by_size)


async def send_message(conn: AsyncConnection[Any], msg: MessageCreate) -> Sent:
    """RoboCo's send_message in one all-or-nothing block: the message goes to its session's
    group and channel (a session that has ended is replaced by the group's live one, opened
    if need be); a reply must answer a message of the session named; the message is posted
    with its three counters; every mentioned agent but the sender gets a mention
    notification (one statement; below 079 the notifications repository cannot write, so it
    is written here); and a session the message fills is closed.

    NotFound for a missing session, group, channel or reply target; ValidationError for a
    reply target in another session.
    """
    async with queries.atomic(conn):
        session = await sessions.get_session(conn, msg.session_id)
        if session is None:
            raise NotFound(f"session {msg.session_id} not found")
        if session.status is not SessionStatus.ACTIVE:
            session = await sessions.get_or_open_session(
                conn, SessionCreate(group_id=session.group_id)
            )
        group = await channels.get_group(conn, session.group_id)
        if group is None:
            raise NotFound(f"group {session.group_id} not found")
        channel = await channels.get_channel(conn, group.channel_id)
        if channel is None:
            raise NotFound(f"channel {group.channel_id} not found")
        if msg.reply_to is not None:
            target = await get_message(conn, msg.reply_to)
            if target is None:
                raise NotFound(f"message {msg.reply_to} not found")
            if target.session_id != msg.session_id:
                raise ValidationError(f"message {msg.reply_to} is not in session {msg.session_id}")
        placed = msg.model_copy(
            update={"session_id": session.id, "group_id": group.id, "channel_id": channel.id}
        )
        message = await post_message(conn, placed)
        mentioned = [m for m in dict.fromkeys(message.mentions) if m != message.agent_id]
        if mentioned:
            with translated("message"):
                await queries.execute_rows(
                    conn,
                    _MENTIONS,
                    message_id=message.id,
                    subject=f"You were mentioned in #{channel.slug}"[:200],
                    at=utcnow(),
                )
        after = await sessions.get_session(conn, session.id)
        closed = after is not None and _full(after)
        if closed:
            await sessions.close_session(conn, session.id)
    return Sent(message=message, mentions=mentioned, closed_session=closed)
