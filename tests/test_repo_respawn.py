"""roboco_sql.repos.respawn against a real database: the durable respawn strike counters."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.models.respawn import RespawnRecordWrite
from roboco_sql.repos import respawn

Conn = AsyncConnection[Any]
TASK = uuid.UUID("00000000-0000-0000-0000-0000000000aa")  # no FK: may dangle


async def test_save_overwrites_the_whole_state(conn: Conn) -> None:
    old = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    first = await respawn.save_respawn_record(
        conn,
        RespawnRecordWrite(
            agent_slug="be-pm", task_id=TASK, count=4, notified=True, last_check=old
        ),
    )
    assert first.count == 4 and first.notified and first.last_check == old
    second = await respawn.save_respawn_record(
        conn, RespawnRecordWrite(agent_slug="be-pm", task_id=TASK, count=2, tracing_resets=1)
    )
    assert (second.count, second.notified, second.tracing_resets) == (2, False, 1)
    assert await respawn.get_respawn_record(conn, "be-pm", TASK) == second


async def test_strikes_increment_in_the_database(db_url: str) -> None:
    async def strike() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            await respawn.record_respawn_strike(c, "be-pm", TASK, last_status="blocked")

    await asyncio.gather(*(strike() for _ in range(6)))
    async with await psycopg.AsyncConnection.connect(db_url) as c:
        rec = await respawn.get_respawn_record(c, "be-pm", TASK)
    assert rec is not None and rec.count == 6 and rec.last_status == "blocked"


async def test_resets_progress_budgets_cooldown_and_notify(conn: Conn) -> None:
    for _ in range(3):
        await respawn.record_respawn_strike(conn, "be-pm", TASK, last_status="in_progress")
    spent = await respawn.spend_respawn_reset(conn, "be-pm", TASK, kind="tracing", max_resets=1)
    assert spent is not None and spent.count == 1 and spent.tracing_resets == 1
    assert (
        await respawn.spend_respawn_reset(conn, "be-pm", TASK, kind="tracing", max_resets=1) is None
    )
    rev = await respawn.spend_respawn_reset(
        conn, "be-pm", TASK, kind="revisit", max_resets=2, last_status="blocked"
    )
    assert rev is not None and rev.revisit_resets == 1 and rev.last_status == "blocked"

    first = await respawn.mark_respawn_notified(conn, "be-pm", TASK)
    assert first is not None and first.notified
    assert await respawn.mark_respawn_notified(conn, "be-pm", TASK) is None  # one-shot
    assert (
        await respawn.reset_respawn_after_cooldown(
            conn, "be-pm", TASK, cooldown=dt.timedelta(hours=1)
        )
        is None
    )  # tripped too recently
    await conn.execute("UPDATE respawn_tracker SET last_check = now() - interval '2 hours'")
    healed = await respawn.reset_respawn_after_cooldown(
        conn, "be-pm", TASK, cooldown=dt.timedelta(hours=1)
    )
    assert healed is not None and healed.count == 1 and not healed.notified

    fresh = await respawn.reset_respawn_on_progress(conn, "be-pm", TASK, last_status="review")
    assert (fresh.count, fresh.tracing_resets, fresh.revisit_resets) == (1, 0, 0)
    assert fresh.last_status == "review"


async def test_list_highest_first_and_delete(conn: Conn) -> None:
    other = uuid.uuid4()
    await respawn.record_respawn_strike(conn, "fe-pm", other, last_status=None)
    for _ in range(3):
        await respawn.record_respawn_strike(conn, "be-pm", TASK, last_status=None)
    assert [r.agent_slug for r in await respawn.list_respawn_records(conn)] == ["be-pm", "fe-pm"]
    assert await respawn.delete_respawn_record(conn, "be-pm", TASK) is True
    assert await respawn.delete_respawn_record(conn, "be-pm", TASK) is False
    assert [r.task_id for r in await respawn.list_respawn_records(conn)] == [other]


async def test_bad_input_is_refused(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="agent_slug"):
        await respawn.record_respawn_strike(conn, "", TASK, last_status=None)
    with pytest.raises(ValidationError, match="kind"):
        await respawn.spend_respawn_reset(conn, "a", TASK, kind="other", max_resets=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="limit"):
        await respawn.list_respawn_records(conn, limit=5000)


async def test_a_cooldown_beyond_the_calendar_is_refused_by_name(conn: Conn) -> None:
    """The server's now() - timedelta.max overflows (a raw DatetimeFieldOverflow before the
    fix): refused naming cooldown, and the tripped counter is left as it was."""
    await respawn.record_respawn_strike(conn, "be-pm", TASK, last_status=None)
    tripped = await respawn.mark_respawn_notified(conn, "be-pm", TASK)
    for cooldown, says in [
        (dt.timedelta.max, "is longer than 365000 days"),
        (dt.timedelta(days=365_001), "is longer than 365000 days"),
        (-dt.timedelta(seconds=1), "must not be negative"),
    ]:
        with pytest.raises(ValidationError, match=rf"^cooldown {says}$"):
            await respawn.reset_respawn_after_cooldown(conn, "be-pm", TASK, cooldown=cooldown)
    assert await respawn.get_respawn_record(conn, "be-pm", TASK) == tripped
