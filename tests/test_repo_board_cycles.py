"""roboco_sql.repos.board_cycles against a real database: the Board Programs' LEARN ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.board_cycle import BoardDecision
from roboco_sql.repos import board_cycles as bc
from tests.fix_rows import make_agent, make_task

Conn = AsyncConnection[Any]
T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


async def test_open_latest_for_exploration_and_close(conn: Conn) -> None:
    board = await make_agent(conn, "board-1")
    t1, t2 = await make_task(conn, board), await make_task(conn, board)
    assert await bc.latest_board_cycle(conn, "roadmap") is None
    c1 = await bc.open_board_cycle(conn, "roadmap", exploration_task_id=t1, opened_at=T0)
    c2 = await bc.open_board_cycle(
        conn, "roadmap", exploration_task_id=t2, opened_at=T0 + dt.timedelta(days=1)
    )
    await bc.open_board_cycle(conn, "x_feature", exploration_task_id=None)
    assert c1.decisions == [] and c1.items_proposed == 0 and c1.closed_at is None
    latest = await bc.latest_board_cycle(conn, "roadmap")
    assert latest is not None and latest.id == c2.id
    found = await bc.board_cycle_for_exploration(conn, "roadmap", t1)
    assert found is not None and found.id == c1.id
    assert await bc.board_cycle_for_exploration(conn, "x_feature", t1) is None
    closed = await bc.close_board_cycle(conn, c1.id)
    assert closed.closed_at is not None
    again = await bc.close_board_cycle(conn, c1.id)
    assert again.closed_at == closed.closed_at  # a closed cycle keeps its time
    assert [c.id for c in await bc.list_board_cycles(conn, "roadmap")] == [c2.id, c1.id]
    assert [c.id for c in await bc.list_closed_board_cycles(conn, "roadmap")] == [c1.id]
    with pytest.raises(NotFound):
        await bc.close_board_cycle(conn, uuid.uuid4())
    with pytest.raises(ValidationError):
        await bc.open_board_cycle(conn, "k" * 41, exploration_task_id=None)
    with pytest.raises(NotFound, match="tasks"):
        async with conn.transaction():
            await bc.open_board_cycle(conn, "roadmap", exploration_task_id=uuid.uuid4())


async def test_decisions_count_and_append_in_order(conn: Conn) -> None:
    cycle = await bc.open_board_cycle(conn, "roadmap", exploration_task_id=None)
    await bc.record_board_decision(
        conn, cycle.id, BoardDecision(item_ref="A", verdict="approved", item_snapshot={"t": 1})
    )
    out = await bc.record_board_decision(
        conn, cycle.id, BoardDecision(item_ref="B", verdict="rejected", reason="too big")
    )
    assert (out.items_proposed, out.items_approved, out.items_rejected) == (2, 1, 1)
    assert out.decisions == [
        {"item_ref": "A", "verdict": "approved", "reason": None, "item_snapshot": {"t": 1}},
        {"item_ref": "B", "verdict": "rejected", "reason": "too big"},
    ]
    cur = await conn.execute(
        "SELECT pg_typeof(decisions)::text, decisions::text FROM board_program_cycles"
        " WHERE id = %s",
        (cycle.id,),
    )
    row = await cur.fetchone()
    assert row is not None and row[0] == "json"
    assert row[1].index('"item_ref"') < row[1].index('"verdict"')  # json keeps key order
    with pytest.raises(NotFound):
        await bc.record_board_decision(
            conn, uuid.uuid4(), BoardDecision(item_ref="x", verdict="approved")
        )


async def test_concurrent_decisions_are_all_kept(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
        cycle = await bc.open_board_cycle(c, "roadmap", exploration_task_id=None)

    async def decide(n: int) -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            await bc.record_board_decision(
                c, cycle.id, BoardDecision(item_ref=f"i{n}", verdict="approved")
            )

    await asyncio.gather(*(decide(n) for n in range(8)))
    async with await psycopg.AsyncConnection.connect(db_url) as c:
        final = await bc.get_board_cycle(c, cycle.id)
    assert final is not None and final.items_approved == 8 and len(final.decisions) == 8


async def test_nothing_to_propose_lands_on_the_exploration_cycle(conn: Conn) -> None:
    board = await make_agent(conn, "board-1")
    task = await make_task(conn, board)
    await bc.open_board_cycle(conn, "spackle", exploration_task_id=task)
    out = await bc.record_nothing_to_propose(conn, "spackle", task, "all quiet")
    assert out is not None and out.nothing_to_propose_reason == "all quiet"
    assert out.items_proposed == 0 and out.closed_at is None
    assert await bc.record_nothing_to_propose(conn, "roadmap", task, "x") is None
    with pytest.raises(ValidationError):
        await bc.record_nothing_to_propose(conn, "spackle", task, " ")
