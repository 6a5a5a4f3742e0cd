"""Agent-to-agent conversations between two agent slugs, and their messages.

A message and the conversation's counters (message_count, last_message_at, the other side's
unread count) move in one statement, which also refuses a sender who is not a participant.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from psycopg import AsyncConnection
from psycopg.rows import class_row

from roboco_sql import queries
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.a2a import (
    A2AConversation,
    A2AConversationCreate,
    A2AMessage,
    A2AMessageCreate,
)
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import A2AConversationStatus
from roboco_sql.models.task import Task
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._paging import checked_limit, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "A2AInboxSummary",
    "Cursor",
    "add_message",
    "append_protocol_note",
    "close_conversation",
    "create_conversation",
    "find_conversation",
    "get_conversation",
    "get_message",
    "inbox_summary",
    "latest_messages",
    "list_conversations",
    "list_messages",
    "mark_all_read",
    "mark_read",
    "send_message",
]

Cursor = tuple[dt.datetime, uuid.UUID]
"""A keyset position: the (updated_at or created_at, id) of the last row of the previous page."""

_Q = queries.load()
_CREATE = _Q["a2a.create_a2a_conversation"]
_GET = _Q["a2a.get_a2a_conversation"]
_FIND = _Q["a2a.find_a2a_conversation"]
_LIST = _Q["a2a.list_a2a_conversations"]
_ADD_MESSAGE = _Q["a2a.add_a2a_message"]
_GET_MESSAGE = _Q["a2a.get_a2a_message"]
_LIST_MESSAGES = _Q["a2a.list_a2a_messages"]
_MARK_READ = _Q["a2a.mark_a2a_read"]
_CLOSE = _Q["a2a.close_a2a_conversation"]
_LATEST = _Q["a2a.latest_a2a_messages"]
_SEND = _Q["a2a.send_a2a_message"]
_MARK_ALL_READ = _Q["a2a.mark_all_a2a_read"]
_INBOX = _Q["a2a.a2a_inbox_summary"]
_PROTOCOL_NOTE = _Q["a2a.append_a2a_protocol_note"]
_TASK = model_row(Task)

_CONVERSATION = model_row(A2AConversation)
_MESSAGE = model_row(A2AMessage)
_MAX_IDS = 1000


@dataclass(frozen=True, slots=True)
class A2AInboxSummary:
    """An agent's inbox counts (RoboCo's inbox summary)."""

    total_unread: int
    conversations_with_unread: int
    pending_responses: int
    unanswered_requests: int


async def _require_participant(
    conn: AsyncConnection[Any], conversation_id: uuid.UUID, agent: str
) -> NoReturn:
    """Explain an UPDATE that matched nothing: a missing conversation or an outsider."""
    if await get_conversation(conn, conversation_id) is None:
        raise NotFound(f"a2a conversation {conversation_id} not found")
    raise ValidationError(f"agent {agent!r} is not a participant of conversation {conversation_id}")


# -- conversations -----------------------------------------------------------------------------


async def create_conversation(
    conn: AsyncConnection[Any], data: A2AConversationCreate
) -> A2AConversation:
    """Insert a conversation (the pair in slug order); Conflict if the pair has that topic.

    Topic-less conversations are not unique per pair (NULLs are distinct in the constraint).
    """
    return await insert(conn, _CREATE, _CONVERSATION, data, entity="a2a conversation")


async def get_conversation(
    conn: AsyncConnection[Any], conversation_id: uuid.UUID
) -> A2AConversation | None:
    """One conversation by id, or None."""
    return await queries.fetch_one(conn, _GET, _CONVERSATION, id=conversation_id)


async def find_conversation(
    conn: AsyncConnection[Any], agent_1: str, agent_2: str, *, topic: str | None = None
) -> A2AConversation | None:
    """The conversation of two agents (either order) about a topic (None: a topic-less one)."""
    agent_a, agent_b = sorted((agent_1, agent_2))
    return await queries.fetch_one(
        conn, _FIND, _CONVERSATION, agent_a=agent_a, agent_b=agent_b, topic=topic
    )


async def list_conversations(
    conn: AsyncConnection[Any],
    agent: str,
    *,
    status: A2AConversationStatus | None = None,
    with_agent: str | None = None,
    task_id: uuid.UUID | None = None,
    unread_only: bool = False,
    before: Cursor | None = None,
    limit: int = 50,
) -> list[A2AConversation]:
    """An agent's conversations (either side), most recently updated first; pass the last
    one's (updated_at, id) as before for the next page.

    Narrowed to one status, the pair with `with_agent`, one task, or (`unread_only`) those
    holding messages the agent has not read. Their newest messages: `latest_messages`.
    """
    return await queries.fetch_all(
        conn,
        _LIST,
        _CONVERSATION,
        agent=agent,
        status=optional_enum_arg("status", A2AConversationStatus, status),
        with_agent=with_agent,
        task_id=task_id,
        unread_only=unread_only,
        **cursor_params(before),
        limit=checked_limit(limit),
    )


async def latest_messages(
    conn: AsyncConnection[Any],
    conversation_ids: Sequence[uuid.UUID],
    *,
    incoming_to: str | None = None,
) -> dict[uuid.UUID, A2AMessage]:
    """The newest message of each conversation (of those with any), in one query; with
    `incoming_to`, the newest one written to that agent (a preview never shows its own reply).
    """
    ids = list(dict.fromkeys(conversation_ids))
    if len(ids) > _MAX_IDS:
        raise ValidationError(f"conversation_ids: at most {_MAX_IDS}, not {len(ids)}")
    if not ids:
        return {}
    rows = await queries.fetch_all(
        conn, _LATEST, _MESSAGE, conversation_ids=ids, incoming_to=incoming_to
    )
    return {m.conversation_id: m for m in rows}


async def mark_read(
    conn: AsyncConnection[Any],
    conversation_id: uuid.UUID,
    agent: str,
    *,
    at: dt.datetime | None = None,
) -> A2AConversation:
    """Zero the agent's unread count and stamp read_at on the other side's unread messages.

    NotFound for a missing conversation; ValidationError for an agent that is not in it.
    """
    row = await queries.fetch_one(
        conn,
        _MARK_READ,
        _CONVERSATION,
        conversation_id=conversation_id,
        agent=agent,
        read_at=at or utcnow(),
    )
    if row is None:
        await _require_participant(conn, conversation_id, agent)
    return row


async def mark_all_read(
    conn: AsyncConnection[Any], agent: str, *, at: dt.datetime | None = None
) -> int:
    """Read every conversation the agent has unread messages in, in one statement; the number
    of conversations cleared. A message that arrives meanwhile stays unread and counted."""
    cleared = await queries.fetch_scalar(
        conn, _MARK_ALL_READ, int, agent=agent, read_at=at or utcnow()
    )
    return cleared or 0


async def inbox_summary(conn: AsyncConnection[Any], agent: str) -> A2AInboxSummary:
    """The agent's unread count, conversations holding them, responses it awaits and requests
    awaiting it (RoboCo counts requests ever made, answered or not; so does this)."""
    row = await queries.fetch_one(conn, _INBOX, class_row(A2AInboxSummary), agent=agent)
    assert row is not None  # four scalar subqueries always make a row
    return row


async def close_conversation(
    conn: AsyncConnection[Any], conversation_id: uuid.UUID, *, resolution: str | None = None
) -> A2AConversation:
    """Close a conversation, recording how it ended; NotFound if missing."""
    row = await queries.fetch_one(
        conn, _CLOSE, _CONVERSATION, id=conversation_id, resolution=resolution, updated_at=utcnow()
    )
    if row is None:
        raise NotFound(f"a2a conversation {conversation_id} not found")
    return row


# -- messages ----------------------------------------------------------------------------------


async def add_message(conn: AsyncConnection[Any], msg: A2AMessageCreate) -> A2AMessage:
    """Insert a message and bump the conversation's counters, in one statement.

    NotFound for a missing conversation (or replied-to message); ValidationError when the
    sender is not one of the conversation's two agents. Nothing is written then.
    """
    with translated("a2a message"):
        row = await queries.fetch_one(conn, _ADD_MESSAGE, _MESSAGE, **msg.model_dump())
    if row is None:
        await _require_participant(conn, msg.conversation_id, msg.from_agent)
    return row


async def send_message(
    conn: AsyncConnection[Any], msg: A2AMessageCreate
) -> tuple[A2AMessage, bool]:
    """Send a chat message unless the sender's identical message (kind and content) is still
    unread there: then that one comes back and nothing is written. (message, whether new).

    NotFound for a missing conversation; ValidationError for a sender outside it.
    """
    with translated("a2a message"):
        row = await queries.fetch_one(conn, _SEND, _MESSAGE, **msg.model_dump())
    if row is None:
        await _require_participant(conn, msg.conversation_id, msg.from_agent)
    return row, row.id == msg.id


async def get_message(conn: AsyncConnection[Any], message_id: uuid.UUID) -> A2AMessage | None:
    """One a2a message by id, or None."""
    return await queries.fetch_one(conn, _GET_MESSAGE, _MESSAGE, id=message_id)


async def list_messages(
    conn: AsyncConnection[Any],
    conversation_id: uuid.UUID,
    *,
    before: Cursor | None = None,
    limit: int = 100,
) -> list[A2AMessage]:
    """A conversation's messages newest first; pass the last one's (created_at, id) as before."""
    return await queries.fetch_all(
        conn,
        _LIST_MESSAGES,
        _MESSAGE,
        conversation_id=conversation_id,
        **cursor_params(before),
        limit=checked_limit(limit),
    )


# -- the A2A task protocol ---------------------------------------------------------------------


async def append_protocol_note(conn: AsyncConnection[Any], task_id: uuid.UUID, text: str) -> Task:
    """Append an A2A-protocol message (or a cancellation note) to the task's thread in
    dev_notes, in one statement, as RoboCo's A2A task endpoints keep it. NotFound if missing."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("text must be a non-empty string")
    row = await queries.fetch_one(conn, _PROTOCOL_NOTE, _TASK, task_id=task_id, text=text)
    if row is None:
        raise NotFound(f"task {task_id} not found")
    return row
