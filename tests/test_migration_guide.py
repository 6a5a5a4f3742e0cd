"""The migration guide's three examples (docs/roboco-parity.md), run as written: an
orchestrator on SQLAlchemy's psycopg driver lends its connection to roboco_sql functions, so ORM
code and repository calls share one transaction while call sites move over one at a time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import JSON, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from roboco_sql.models import TaskStatus
from roboco_sql.repos import agents, claims, task_notes, task_stats
from tests.fix_inputs import new_agent
from tests.fix_rows import make_task


class Base(DeclarativeBase):
    pass


class TaskRow(Base):
    """The few columns of RoboCo's ORM task the examples look at."""

    __tablename__ = "tasks"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String)
    claimed_by: Mapped[uuid.UUID | None]
    progress_updates: Mapped[list[Any]] = mapped_column(JSON)


async def lend(session: AsyncSession) -> AsyncConnection[Any]:
    """The session's own psycopg connection, inside the session's transaction."""
    sa_conn = await session.connection()
    raw = await sa_conn.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, AsyncConnection)
    return driver


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    p = conninfo_to_dict(db_url)
    engine = create_async_engine(
        f"postgresql+psycopg://{p.get('user', 'postgres')}@/{p['dbname']}"
        f"?host={p['host']}&port={p.get('port', 5432)}"
    )
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def world(sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, uuid.UUID]:
    async with sessions() as s, s.begin():
        conn = await lend(s)
        dev = await agents.create_agent(conn, new_agent("be-dev-1"))
        task_id = await make_task(conn, dev.id)
    return dev, task_id


async def test_a_claim_in_the_orms_transaction_then_refresh(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dev, task_id = await world(sessions)
    async with sessions() as s, s.begin():
        row = await s.get(TaskRow, task_id)
        assert row is not None and row.status == "pending"
        claimed = await claims.claim_next(await lend(s), dev)
        assert claimed is not None and claimed.id == task_id
        assert row.status == "pending"  # the ORM's copy is stale until refreshed
        await s.refresh(row)
        assert (row.status, row.claimed_by) == ("claimed", dev.id)


async def test_a_gateway_verb_appends_progress_and_rolls_back_as_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dev, task_id = await world(sessions)
    with pytest.raises(RuntimeError, match="verb failed"):
        async with sessions() as s, s.begin():
            await task_notes.add_progress(await lend(s), task_id, dev.id, "tests written", 40)
            row = await s.get(TaskRow, task_id)
            assert row is not None and len(row.progress_updates) == 1
            raise RuntimeError("verb failed")  # the whole verb rolls back
    async with sessions() as s:
        row = await s.get(TaskRow, task_id)
        assert row is not None and row.progress_updates == []
    async with sessions() as s, s.begin():
        await task_notes.add_progress(await lend(s), task_id, dev.id, "tests written", 40)
    async with sessions() as s:
        row = await s.get(TaskRow, task_id)
        assert row is not None and [e["percentage"] for e in row.progress_updates] == [40]


async def test_a_dashboard_aggregate_beside_an_orm_query(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await world(sessions)
    async with sessions() as s:
        by_status = await task_stats.count_by_status(await lend(s))
        orm_count = len((await s.scalars(select(TaskRow.id))).all())
    assert by_status == {TaskStatus.PENDING: 1} and orm_count == 1
