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
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.messaging import Message, MessageCreate
from roboco_sql.repos._errors import translated
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "Cursor",
    "get_message",
    "list_channel_messages",
    "list_messages",
    "post_message",
    "post_messages",
]

Cursor = tuple[dt.datetime, uuid.UUID]
"""A keyset position: the (timestamp, id) of the last message of the previous page."""

_Q = queries.load()
_POST = _Q["messages.post_message"]
_BUMP = _Q["messages.bump_message_counters"]
_GET = _Q["messages.get_message"]
_LIST_SESSION = _Q["messages.list_session_messages"]
_LIST_CHANNEL = _Q["messages.list_channel_messages"]

_MESSAGE = model_row(Message)

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
        async with conn.transaction(), conn.cursor() as cur:
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
    limit: int = 100,
) -> list[Message]:
    """A session's messages, newest first; pass the last one's (timestamp, id) as before."""
    before_at, before_id = before if before is not None else (None, None)
    with translated("message"):
        return await queries.fetch_all(
            conn,
            _LIST_SESSION,
            _MESSAGE,
            session_id=session_id,
            before_at=before_at,
            before_id=before_id,
            limit=checked_limit(limit),
        )


async def list_channel_messages(
    conn: AsyncConnection[Any],
    channel_id: uuid.UUID,
    *,
    before: Cursor | None = None,
    limit: int = 50,
) -> list[Message]:
    """A channel's recent messages across its groups and sessions, newest first."""
    before_at, before_id = before if before is not None else (None, None)
    with translated("message"):
        return await queries.fetch_all(
            conn,
            _LIST_CHANNEL,
            _MESSAGE,
            channel_id=channel_id,
            before_at=before_at,
            before_id=before_id,
            limit=checked_limit(limit),
        )
