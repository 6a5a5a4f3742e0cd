"""Journals: one per agent, and its entries (reflections, decisions, learnings, struggles).

Adding an entry keeps the journal's tallies (total, last entry, count per kind) in the same
statement, as RoboCo's journal service does in its one commit. Entries no longer carry a
session: RoboCo's 060_drop_messaging dropped journal_entries.session_id, and the statements
name their columns, so they run the same on a database below 060 and past it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import Conflict
from roboco_sql.models.enums import JournalEntryType
from roboco_sql.models.journal import Journal, JournalCreate, JournalEntry, JournalEntryCreate
from roboco_sql.repos._errors import translated
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "Cursor",
    "add_entry",
    "get_entry",
    "get_journal",
    "get_journal_by_agent",
    "get_or_create_journal",
    "list_entries",
]

Cursor = tuple[dt.datetime, uuid.UUID]
"""A keyset position: the (timestamp, id) of the last entry of the previous page."""

_Q = queries.load()
_CREATE_IF_MISSING = _Q["journals.create_journal_if_missing"]
_GET = _Q["journals.get_journal"]
_GET_BY_AGENT = _Q["journals.get_journal_by_agent"]
_ADD_ENTRY = _Q["journals.add_journal_entry"]
_GET_ENTRY = _Q["journals.get_journal_entry"]
_LIST_ENTRIES = _Q["journals.list_journal_entries"]

_JOURNAL = model_row(Journal)
_ENTRY = model_row(JournalEntry)


async def get_or_create_journal(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> Journal:
    """The agent's journal, created empty on first use; NotFound naming a missing agent.

    Race-safe: the insert does nothing when another writer got there first, and the winner's
    row is read back (the usual path, an existing journal, is one SELECT).
    """
    journal = await get_journal_by_agent(conn, agent_id)
    if journal is not None:
        return journal
    with translated("journal"):
        journal = await queries.fetch_one(
            conn, _CREATE_IF_MISSING, _JOURNAL, **JournalCreate(agent_id=agent_id).model_dump()
        )
    if journal is not None:
        return journal
    journal = await get_journal_by_agent(conn, agent_id)
    if journal is None:  # only under a snapshot older than the winner's commit
        raise Conflict(f"journal of agent {agent_id} was created concurrently; retry")
    return journal


async def get_journal(conn: AsyncConnection[Any], journal_id: uuid.UUID) -> Journal | None:
    """One journal by id, or None."""
    return await queries.fetch_one(conn, _GET, _JOURNAL, id=journal_id)


async def get_journal_by_agent(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> Journal | None:
    """An agent's journal, or None if it has none yet."""
    return await queries.fetch_one(conn, _GET_BY_AGENT, _JOURNAL, agent_id=agent_id)


async def add_entry(conn: AsyncConnection[Any], entry: JournalEntryCreate) -> JournalEntry:
    """Insert an entry and update its journal's tallies; NotFound naming a missing journal or
    task."""
    with translated("journal entry"):
        row = await queries.fetch_one(conn, _ADD_ENTRY, _ENTRY, **entry.model_dump())
    assert row is not None
    return row


async def get_entry(conn: AsyncConnection[Any], entry_id: uuid.UUID) -> JournalEntry | None:
    """One entry by id, or None."""
    return await queries.fetch_one(conn, _GET_ENTRY, _ENTRY, id=entry_id)


async def list_entries(
    conn: AsyncConnection[Any],
    journal_id: uuid.UUID,
    *,
    type: JournalEntryType | None = None,
    task_id: uuid.UUID | None = None,
    include_private: bool = True,
    before: Cursor | None = None,
    limit: int = 50,
) -> list[JournalEntry]:
    """A journal's entries newest first, optionally of one kind or about one task; pass the
    last (timestamp, id) as before for the next page."""
    before_at, before_id = before if before is not None else (None, None)
    return await queries.fetch_all(
        conn,
        _LIST_ENTRIES,
        _ENTRY,
        journal_id=journal_id,
        type=type,
        task_id=task_id,
        include_private=include_private,
        before_at=before_at,
        before_id=before_id,
        limit=checked_limit(limit),
    )
