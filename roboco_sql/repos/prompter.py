"""The prompter's intake chats: sessions, their messages, and the task drafts they produce.

A session moves active -> draft_ready -> confirmed (or abandoned); a draft can be revised until
it is confirmed, and confirming it links the task it became, once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from roboco_sql import queries
from roboco_sql.errors import Conflict, NotFound
from roboco_sql.models.enums import PrompterSessionStatus
from roboco_sql.models.prompter import (
    PrompterMessage,
    PrompterMessageCreate,
    PrompterSession,
    PrompterSessionCreate,
    TaskDraft,
    TaskDraftCreate,
    TaskDraftUpdate,
)
from roboco_sql.repos._checks import member
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert, missed
from roboco_sql.repos._paging import checked_limit, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "add_prompter_message",
    "confirm_task_draft",
    "create_prompter_session",
    "create_task_draft",
    "get_prompter_session",
    "get_task_draft",
    "list_prompter_messages",
    "list_prompter_sessions",
    "list_task_drafts",
    "set_prompter_session_status",
    "update_task_draft",
]

_Q = queries.load()
_CREATE_SESSION = _Q["prompter.create_prompter_session"]
_GET_SESSION = _Q["prompter.get_prompter_session"]
_LIST_SESSIONS = _Q["prompter.list_prompter_sessions"]
_SET_STATUS = _Q["prompter.set_prompter_session_status"]
_ADD_MESSAGE = _Q["prompter.add_prompter_message"]
_LIST_MESSAGES = _Q["prompter.list_prompter_messages"]
_CREATE_DRAFT = _Q["prompter.create_task_draft"]
_GET_DRAFT = _Q["prompter.get_task_draft"]
_LIST_DRAFTS = _Q["prompter.list_task_drafts"]
_UPDATE_DRAFT = _Q["prompter.update_task_draft"]
_CONFIRM_DRAFT = _Q["prompter.confirm_task_draft"]

_SESSION = model_row(PrompterSession)
_MESSAGE = model_row(PrompterMessage)
_DRAFT = model_row(TaskDraft)


def _status(value: PrompterSessionStatus | str, what: str) -> PrompterSessionStatus:
    return member(
        PrompterSessionStatus, value, f"prompter session {what} {value!r} is not a status"
    )


# -- sessions ----------------------------------------------------------------------------------


async def create_prompter_session(
    conn: AsyncConnection[Any], session: PrompterSessionCreate
) -> PrompterSession:
    """Open an intake session; NotFound if its agent does not exist."""
    return await insert(conn, _CREATE_SESSION, _SESSION, session, entity="prompter session")


async def get_prompter_session(
    conn: AsyncConnection[Any], session_id: uuid.UUID
) -> PrompterSession | None:
    """One intake session, or None."""
    return await queries.fetch_one(conn, _GET_SESSION, _SESSION, id=session_id)


async def list_prompter_sessions(
    conn: AsyncConnection[Any],
    *,
    agent_id: uuid.UUID | None = None,
    status: PrompterSessionStatus | None = None,
    before: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int = 100,
) -> list[PrompterSession]:
    """Sessions newest first; `before` is the (created_at, id) of the previous page's last."""
    checked = _status(status, "filter") if status is not None else None
    return await queries.fetch_all(
        conn,
        _LIST_SESSIONS,
        _SESSION,
        agent_id=agent_id,
        status=checked,
        **cursor_params(before),
        limit=checked_limit(limit),
    )


async def set_prompter_session_status(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    status: PrompterSessionStatus,
    *,
    expected: PrompterSessionStatus | None = None,
) -> PrompterSession:
    """Move a session to `status`, only from `expected` when given (Conflict otherwise)."""
    new = _status(status, "status")
    old = _status(expected, "expected status") if expected is not None else None
    row = await queries.fetch_one(
        conn, _SET_STATUS, _SESSION, id=session_id, status=new, expected=old
    )
    if row is not None:
        return row
    raise missed(
        await get_prompter_session(conn, session_id),
        "prompter session",
        session_id,
        lambda now: (
            f"prompter session {session_id} is {now.status.value}, not {old}; "
            f"cannot move it to {new.value}"
        ),
    )


# -- messages ----------------------------------------------------------------------------------


async def add_prompter_message(
    conn: AsyncConnection[Any], message: PrompterMessageCreate
) -> PrompterMessage:
    """Append one turn; NotFound if the session does not exist."""
    return await insert(conn, _ADD_MESSAGE, _MESSAGE, message, entity="prompter message")


async def list_prompter_messages(
    conn: AsyncConnection[Any],
    session_id: uuid.UUID,
    *,
    after: tuple[dt.datetime, uuid.UUID] | None = None,
    limit: int = 100,
) -> list[PrompterMessage]:
    """A session's turns in chat order; `after` is the (created_at, id) of the last one read."""
    return await queries.fetch_all(
        conn,
        _LIST_MESSAGES,
        _MESSAGE,
        session_id=session_id,
        **cursor_params(after, "after"),
        limit=checked_limit(limit),
    )


# -- drafts ------------------------------------------------------------------------------------


async def create_task_draft(conn: AsyncConnection[Any], draft: TaskDraftCreate) -> TaskDraft:
    """Store a proposed task; NotFound if the session does not exist."""
    return await insert(
        conn, _CREATE_DRAFT, _DRAFT, draft, entity="task draft", draft_data=Jsonb(draft.draft_data)
    )


async def get_task_draft(conn: AsyncConnection[Any], draft_id: uuid.UUID) -> TaskDraft | None:
    """One draft, or None."""
    return await queries.fetch_one(conn, _GET_DRAFT, _DRAFT, id=draft_id)


async def list_task_drafts(
    conn: AsyncConnection[Any], session_id: uuid.UUID, *, unconfirmed_only: bool = False
) -> list[TaskDraft]:
    """A session's drafts in creation order."""
    return await queries.fetch_all(
        conn, _LIST_DRAFTS, _DRAFT, session_id=session_id, unconfirmed_only=unconfirmed_only
    )


async def _unchanged_draft(conn: AsyncConnection[Any], draft_id: uuid.UUID) -> Exception:
    """Why a draft update matched no row: NotFound, or Conflict if it is already confirmed."""
    existing = await get_task_draft(conn, draft_id)
    if existing is None:
        return NotFound(f"task draft {draft_id} not found")
    return Conflict(f"task draft {draft_id} was already confirmed at {existing.confirmed_at}")


async def update_task_draft(
    conn: AsyncConnection[Any], draft_id: uuid.UUID, update: TaskDraftUpdate
) -> TaskDraft:
    """Replace an unconfirmed draft's data; Conflict once it is confirmed."""
    row = await queries.fetch_one(
        conn, _UPDATE_DRAFT, _DRAFT, id=draft_id, draft_data=Jsonb(update.draft_data)
    )
    if row is None:
        raise await _unchanged_draft(conn, draft_id)
    return row


async def confirm_task_draft(
    conn: AsyncConnection[Any], draft_id: uuid.UUID, task_id: uuid.UUID
) -> TaskDraft:
    """Mark a draft confirmed as the task it became; once only, and the task must exist."""
    with translated("task draft"):
        row = await queries.fetch_one(conn, _CONFIRM_DRAFT, _DRAFT, id=draft_id, task_id=task_id)
    if row is None:
        raise await _unchanged_draft(conn, draft_id)
    return row
