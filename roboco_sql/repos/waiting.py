"""Waiting records: what a parked agent waits for, so a restarted orchestrator can wake it."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import NotFound
from roboco_sql.models.waiting import WaitingFor, WaitingRecord, WaitingRecordCreate
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._rows import model_row

__all__ = [
    "delete_waiting_record",
    "get_waiting_record",
    "list_waiting_records",
    "set_waiting_record",
]

_Q = queries.load()
_SET = _Q["waiting.set_waiting_record"]
_GET = _Q["waiting.get_waiting_record"]
_LIST = _Q["waiting.list_waiting_records"]
_DELETE = _Q["waiting.delete_waiting_record"]

_ROW = model_row(WaitingRecord)


async def set_waiting_record(
    conn: AsyncConnection[Any], data: WaitingRecordCreate
) -> WaitingRecord:
    """Record what the agent waits for, replacing any record it had (one per agent slug)."""
    return await insert(conn, _SET, _ROW, data, entity="waiting record", json=("context",))


async def get_waiting_record(conn: AsyncConnection[Any], agent_slug: str) -> WaitingRecord | None:
    """The agent's waiting record, or None when it waits for nothing."""
    return await queries.fetch_one(conn, _GET, _ROW, agent_id=agent_slug)


async def list_waiting_records(
    conn: AsyncConnection[Any],
    *,
    waiting_for: WaitingFor | None = None,
    task_id: uuid.UUID | None = None,
) -> list[WaitingRecord]:
    """Every waiting record (or those for one reason / task), longest waiting first.

    Unpaginated on purpose: there is at most one per agent, and the orchestrator restores them
    all at start.
    """
    waiting_for = optional_enum_arg("waiting_for", WaitingFor, waiting_for)
    return await queries.fetch_all(conn, _LIST, _ROW, waiting_for=waiting_for, task_id=task_id)


async def delete_waiting_record(conn: AsyncConnection[Any], agent_slug: str) -> None:
    """Drop the agent's record once its wait resolved; NotFound when it had none."""
    if await queries.execute_rows(conn, _DELETE, agent_id=agent_slug) == 0:
        raise NotFound(f"waiting record of agent '{agent_slug}' not found")
