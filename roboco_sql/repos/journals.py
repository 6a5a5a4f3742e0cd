"""Journals: one per agent, and its entries (reflections, decisions, learnings, struggles).

Adding an entry keeps the journal's tallies (total, last entry, count per kind) in the same
statement, as RoboCo's journal service does in its one commit. Entries no longer carry a
session: RoboCo's 060_drop_messaging dropped journal_entries.session_id, and the statements
name their columns, so they run the same on a database below 060 and past it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from enum import StrEnum
from typing import Any, TypeVar

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import Conflict, ValidationError
from roboco_sql.models.enums import AgentRole, JournalEntryType
from roboco_sql.models.journal import (
    Journal,
    JournalCreate,
    JournalEntry,
    JournalEntryCreate,
    JournalHighlight,
    LearningTopic,
    TaskEntryTime,
)
from roboco_sql.repos._checks import INT4_MAX, int_arg, member, optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._paging import checked_limit, checked_offset, cursor_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "BOARD_REVIEW_ROLES",
    "HANDOFF_TYPES",
    "Cursor",
    "add_entry",
    "count_resolved_struggles",
    "delete_entry",
    "get_entry",
    "get_journal",
    "get_journal_by_agent",
    "get_or_create_journal",
    "has_entry_for_task",
    "has_recent_entry",
    "latest_entry_for_task_at",
    "learning_topics",
    "list_entries",
    "list_task_entry_times",
    "list_task_highlights",
]

HANDOFF_TYPES: tuple[JournalEntryType, ...] = (
    JournalEntryType.DECISION_LOG,
    JournalEntryType.TASK_REFLECTION,
    JournalEntryType.GENERAL,
)
"""The kinds a task's handoff is made of; learnings and struggles are personal."""

BOARD_REVIEW_ROLES: tuple[AgentRole, ...] = (AgentRole.PRODUCT_OWNER, AgentRole.HEAD_MARKETING)
"""The authors of the board's review of a task (RoboCo's board_review_brief)."""

_E = TypeVar("_E", bound=StrEnum)


def _member(cls: type[_E], value: str, name: str) -> _E:
    """value as a member of cls, or ValidationError naming the parameter."""
    return member(cls, value, f"{name}: {value!r} is not a {cls.__name__}")


MAX_ANCESTOR_DEPTH = 16
"""How far up parent_task_id the highlights walk, as RoboCo caps it (real depth is <= 4)."""

Cursor = tuple[dt.datetime, uuid.UUID]
"""A keyset position: the (timestamp, id) of the last entry of the previous page."""

_Q = queries.load()
_CREATE_IF_MISSING = _Q["journals.create_journal_if_missing"]
_GET = _Q["journals.get_journal"]
_GET_BY_AGENT = _Q["journals.get_journal_by_agent"]
_ADD_ENTRY = _Q["journals.add_journal_entry"]
_GET_ENTRY = _Q["journals.get_journal_entry"]
_LIST_ENTRIES = _Q["journals.list_journal_entries"]
_DELETE_ENTRY = _Q["journals.delete_journal_entry"]
_HIGHLIGHTS = _Q["journals.list_task_journal_highlights"]
_HAS_TASK_ENTRY = _Q["journals.agent_has_task_entry"]
_LATEST_TASK_ENTRY = _Q["journals.latest_agent_task_entry_at"]
_HAS_ENTRY_SINCE = _Q["journals.agent_has_entry_since"]
_RESOLVED_STRUGGLES = _Q["journals.count_resolved_struggles"]
_RECURRING = _Q["journals.recurring_learning_titles"]
_RECENT_LEARNINGS = _Q["journals.recent_learning_titles"]
_ENTRY_TIMES = _Q["journals.list_task_entry_times"]

_JOURNAL = model_row(Journal)
_ENTRY = model_row(JournalEntry)
_HIGHLIGHT = model_row(JournalHighlight)
_TOPIC = model_row(LearningTopic)
_ENTRY_TIME = model_row(TaskEntryTime)


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
    return await insert(conn, _ADD_ENTRY, _ENTRY, entry, entity="journal entry")


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
    offset: int = 0,
    limit: int = 50,
) -> list[JournalEntry]:
    """A journal's entries newest first, optionally of one kind or about one task; pass the
    last (timestamp, id) as before for the next page, or skip offset entries as RoboCo's
    journal API pages."""
    return await queries.fetch_all(
        conn,
        _LIST_ENTRIES,
        _ENTRY,
        journal_id=journal_id,
        type=optional_enum_arg("type", JournalEntryType, type),
        task_id=task_id,
        include_private=include_private,
        **cursor_params(before),
        limit=checked_limit(limit),
        offset=checked_offset(offset),
    )


async def delete_entry(conn: AsyncConnection[Any], entry_id: uuid.UUID) -> JournalEntry | None:
    """Delete an entry and take it off its journal's tallies in one statement; the deleted
    entry, or None when there was none (RoboCo's delete_entry returns False then)."""
    with translated("journal entry"):
        return await queries.fetch_one(conn, _DELETE_ENTRY, _ENTRY, id=entry_id)


async def list_task_highlights(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    *,
    types: Collection[JournalEntryType] = HANDOFF_TYPES,
    roles: Collection[AgentRole] | None = None,
    include_ancestors: bool = False,
    content_cap: int | None = None,
    limit: int = 50,
) -> list[JournalHighlight]:
    """A task's handoff: the entries about it of the given kinds, each with its author's slug
    and role, oldest first, in one three-table join.

    RoboCo's briefing reads the handoff kinds with include_ancestors (the root's analysis
    first, then each PM's decomposition) and content_cap=800; its board review brief reads
    types=(DECISION_LOG,), roles=BOARD_REVIEW_ROLES, limit=20. Private entries are included:
    the caller serves them only to the task's owner, as RoboCo does.
    """
    if not types:
        raise ValidationError("types must name at least one journal entry kind")
    if roles is not None and not roles:
        raise ValidationError("roles must be None (any author) or name at least one role")
    if content_cap is not None:
        content_cap = int_arg("content_cap", content_cap, 1, INT4_MAX)
    return await queries.fetch_all(
        conn,
        _HIGHLIGHTS,
        _HIGHLIGHT,
        task_id=task_id,
        types=[_member(JournalEntryType, t, "types") for t in types],
        roles=None if roles is None else [_member(AgentRole, r, "roles") for r in roles],
        include_ancestors=include_ancestors,
        max_depth=MAX_ANCESTOR_DEPTH,
        content_cap=content_cap,
        limit=checked_limit(limit),
    )


async def has_entry_for_task(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    task_id: uuid.UUID,
    type: JournalEntryType,
) -> bool:
    """Whether the agent wrote an entry of this kind about the task: the choreographer's
    tracing gate (RoboCo's has_decision/note/learning/reflect/struggle_for_task)."""
    found = await queries.fetch_scalar(
        conn,
        _HAS_TASK_ENTRY,
        bool,
        agent_id=agent_id,
        task_id=task_id,
        type=_member(JournalEntryType, type, "type"),
    )
    return bool(found)


async def latest_entry_for_task_at(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    task_id: uuid.UUID,
    type: JournalEntryType = JournalEntryType.DECISION_LOG,
) -> dt.datetime | None:
    """When the agent last wrote an entry of this kind about the task (by default a decision,
    RoboCo's latest_decision_at, which windows the PM decision gate), or None."""
    return await queries.fetch_scalar(
        conn,
        _LATEST_TASK_ENTRY,
        dt.datetime,
        agent_id=agent_id,
        task_id=task_id,
        type=_member(JournalEntryType, type, "type"),
    )


async def has_recent_entry(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    within_seconds: int,
    *,
    now: dt.datetime | None = None,
) -> bool:
    """Whether the agent wrote any entry in the last within_seconds (before now, by default
    the clock): the auditor's note obligation before it goes idle."""
    if within_seconds <= 0:
        raise ValidationError(f"within_seconds must be positive, not {within_seconds}")
    if now is not None and now.tzinfo is None:
        raise ValidationError("now must be timezone-aware")
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(seconds=within_seconds)
    found = await queries.fetch_scalar(conn, _HAS_ENTRY_SINCE, bool, agent_id=agent_id, since=since)
    return bool(found)


async def count_resolved_struggles(conn: AsyncConnection[Any], journal_id: uuid.UUID) -> int:
    """How many of the journal's struggle entries have a "## Resolution" section: with the
    journal's struggle tally, RoboCo's struggle resolution rate."""
    return await queries.fetch_scalar(conn, _RESOLVED_STRUGGLES, int, journal_id=journal_id) or 0


async def learning_topics(
    conn: AsyncConnection[Any], *, min_count: int = 2, limit: int = 10
) -> list[LearningTopic]:
    """The public learning titles that recur (at least min_count entries), most frequent
    first; when none does yet, the newest titles, each counted once: the librarian's
    pattern signal and its fallback for a fresh company."""
    if min_count < 1:
        raise ValidationError(f"min_count must be positive, not {min_count}")
    limit = checked_limit(limit)
    recurring = await queries.fetch_all(conn, _RECURRING, _TOPIC, min_count=min_count, limit=limit)
    if recurring:
        return recurring
    return await queries.fetch_all(conn, _RECENT_LEARNINGS, _TOPIC, limit=limit)


async def list_task_entry_times(
    conn: AsyncConnection[Any], task_ids: Collection[uuid.UUID]
) -> list[TaskEntryTime]:
    """When each journal entry about any of the tasks was written, by task then time: the
    journal's share of a task's activity timeline."""
    if not task_ids:
        return []
    return await queries.fetch_all(conn, _ENTRY_TIMES, _ENTRY_TIME, task_ids=list(set(task_ids)))
