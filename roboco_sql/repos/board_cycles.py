"""Board Program cycles: open one per originated exploration, count verdicts, close it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.board_cycle import PROGRAM_KEY_MAX, BoardDecision, BoardProgramCycle
from roboco_sql.repos._inputs import existing, returned
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "board_cycle_for_exploration",
    "close_board_cycle",
    "get_board_cycle",
    "latest_board_cycle",
    "list_board_cycles",
    "list_closed_board_cycles",
    "open_board_cycle",
    "record_board_decision",
    "record_nothing_to_propose",
]

_Q = queries.load()
_OPEN = _Q["board_cycles.open_board_cycle"]
_GET = _Q["board_cycles.get_board_cycle"]
_LIST = _Q["board_cycles.list_board_cycles"]
_CLOSED = _Q["board_cycles.list_closed_board_cycles"]
_CLOSE = _Q["board_cycles.close_board_cycle"]
_DECIDE = _Q["board_cycles.record_board_decision"]
_NOTHING = _Q["board_cycles.record_nothing_to_propose"]

_ROW = model_row(BoardProgramCycle)
_ENTITY = "board program cycle"


def _key(program_key: str) -> str:
    if not 1 <= len(program_key) <= PROGRAM_KEY_MAX:
        raise ValidationError(f"program_key must be 1 to {PROGRAM_KEY_MAX} characters")
    return program_key


async def open_board_cycle(
    conn: AsyncConnection[Any],
    program_key: str,
    *,
    exploration_task_id: uuid.UUID | None,
    opened_at: dt.datetime | None = None,
) -> BoardProgramCycle:
    """Open a cycle for the task a program originated; NotFound for an unknown task."""
    if opened_at is not None and opened_at.tzinfo is None:
        raise ValidationError("opened_at must be timezone-aware")
    return await returned(
        conn,
        _OPEN,
        _ROW,
        _ENTITY,
        id=uuid.uuid4(),
        program_key=_key(program_key),
        exploration_task_id=exploration_task_id,
        opened_at=opened_at,
    )


async def get_board_cycle(
    conn: AsyncConnection[Any], cycle_id: uuid.UUID
) -> BoardProgramCycle | None:
    """One cycle by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=cycle_id)


async def _newest(
    conn: AsyncConnection[Any], program_key: str, task_id: uuid.UUID | None, limit: int
) -> list[BoardProgramCycle]:
    """The program's cycles (of one exploration task, or any), newest opened first."""
    return await queries.fetch_all(
        conn, _LIST, _ROW, program_key=_key(program_key), exploration_task_id=task_id, limit=limit
    )


async def latest_board_cycle(
    conn: AsyncConnection[Any], program_key: str
) -> BoardProgramCycle | None:
    """The program's most recently opened cycle (open or closed), or None."""
    return next(iter(await _newest(conn, program_key, None, 1)), None)


async def board_cycle_for_exploration(
    conn: AsyncConnection[Any], program_key: str, exploration_task_id: uuid.UUID
) -> BoardProgramCycle | None:
    """The program's cycle opened for this exploration task, or None."""
    return next(iter(await _newest(conn, program_key, exploration_task_id, 1)), None)


async def list_board_cycles(
    conn: AsyncConnection[Any], program_key: str, *, limit: int = 20
) -> list[BoardProgramCycle]:
    """The program's cycles, newest opened first."""
    return await _newest(conn, program_key, None, checked_limit(limit))


async def list_closed_board_cycles(
    conn: AsyncConnection[Any], program_key: str, *, limit: int = 2
) -> list[BoardProgramCycle]:
    """The program's closed cycles, most recently closed first."""
    return await queries.fetch_all(
        conn, _CLOSED, _ROW, program_key=_key(program_key), limit=checked_limit(limit)
    )


async def close_board_cycle(conn: AsyncConnection[Any], cycle_id: uuid.UUID) -> BoardProgramCycle:
    """Close the cycle now (a closed one keeps its time); NotFound if there is none."""
    return await existing(conn, _CLOSE, _ROW, _ENTITY, cycle_id, id=cycle_id)


async def record_board_decision(
    conn: AsyncConnection[Any], cycle_id: uuid.UUID, decision: BoardDecision
) -> BoardProgramCycle:
    """Count one verdict on the cycle and append it to decisions, in one UPDATE (concurrent
    verdicts each land; none is lost). NotFound if there is no such cycle."""
    return await existing(
        conn,
        _DECIDE,
        _ROW,
        _ENTITY,
        cycle_id,
        id=cycle_id,
        verdict=decision.verdict,
        entry=Json(decision.entry()),
    )


async def record_nothing_to_propose(
    conn: AsyncConnection[Any], program_key: str, exploration_task_id: uuid.UUID, reason: str
) -> BoardProgramCycle | None:
    """Note on the exploration's cycle that there was nothing to propose; None if no cycle."""
    if not reason.strip():
        raise ValidationError("reason must not be empty")
    return await queries.fetch_one(
        conn,
        _NOTHING,
        _ROW,
        program_key=_key(program_key),
        exploration_task_id=exploration_task_id,
        reason=reason,
    )
