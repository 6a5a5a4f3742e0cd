"""Writing messages: one posted with its counters (one round trip), many loaded with COPY,
and RoboCo's send_message (session, reply target, counters, mentions, session boundary).

Every message moves the counters RoboCo keeps on its session, group and channel. post_message
does it in the INSERT's own statement; post_messages loads with COPY and then adds the whole
batch to the counters in one statement, both inside one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import SessionStatus
from roboco_sql.models.messaging import Message, MessageCreate, Session, SessionCreate
from roboco_sql.repos import channels, sessions
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._message_rows import MESSAGE, get_message

__all__ = ["Sent", "post_message", "post_messages", "send_message"]

_Q = queries.load()
_POST = _Q["messages.post_message"]
_BUMP = _Q["messages.bump_message_counters"]
_MENTIONS = _Q["messages.notify_message_mentions"]

# COPY cannot be prepared, so it stays out of sql/queries (whose statements are all described
# by the agreement tests); it is one fixed statement, never built from input. Its label names
# the public module, where callers find post_messages.
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
    return await insert(conn, _POST, MESSAGE, msg, entity="message")


def _copy_row(m: MessageCreate) -> tuple[object, ...]:
    """One message as the COPY's columns: a new message is unedited."""
    return (
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
                    await copy.write_row(_copy_row(m))
            await queries.execute(conn, _BUMP, ids=[m.id for m in batch])
    return len(batch)


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
