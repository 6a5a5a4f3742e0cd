"""Repository calls compose with the caller's transaction as RoboCo's call sites do: a call
refused by a constraint raises the project error and leaves the caller able to go on, with the
work it did before the call intact."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from roboco_sql import queries
from roboco_sql.errors import Conflict, NotFound
from roboco_sql.models import AgentCreate, AgentRole, ProjectCreate, Team
from roboco_sql.repos import agents, projects

Conn = psycopg.AsyncConnection[Any]


def _agent(slug: str) -> AgentCreate:
    return AgentCreate(
        name=slug.title(), slug=slug, role=AgentRole.DEVELOPER, system_prompt="builds"
    )


async def _slugs(db_url: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(db_url) as other:
        rows = await (await other.execute("SELECT slug FROM agents ORDER BY slug")).fetchall()
    return [r[0] for r in rows]


async def test_a_duplicate_inside_the_callers_transaction_keeps_its_earlier_work(
    db_url: str,
) -> None:
    before = await _slugs(db_url)
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await agents.create_agent(conn, _agent("dev-compose"))
        assert conn.info.transaction_status is TransactionStatus.INTRANS
        with pytest.raises(Conflict, match="slug"):
            await agents.create_agent(conn, _agent("dev-compose"))
        # the caller goes on in the same transaction: its first insert is still there
        assert conn.info.transaction_status is TransactionStatus.INTRANS
        again = await agents.get_agent_by_slug(conn, "dev-compose")
        assert again is not None
        await agents.create_agent(conn, _agent("dev-compose-2"))
        await conn.commit()
    assert sorted(set(await _slugs(db_url)) - set(before)) == ["dev-compose", "dev-compose-2"]


async def test_a_refused_first_statement_leaves_the_connection_idle_and_usable(
    db_url: str,
) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await agents.create_agent(conn, _agent("dev-first"))
        await conn.commit()
        with pytest.raises(Conflict):
            await agents.create_agent(conn, _agent("dev-first"))
        assert conn.info.transaction_status is TransactionStatus.IDLE
        await agents.create_agent(conn, _agent("dev-second"))
        await conn.commit()
    assert {"dev-first", "dev-second"} <= set(await _slugs(db_url))


async def test_a_foreign_key_refusal_composes_too(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await agents.create_agent(conn, _agent("dev-fk"))
        with pytest.raises(NotFound, match="agent"):
            await projects.create_project(
                conn,
                ProjectCreate(
                    name="Api",
                    slug="api-fk",
                    git_url="https://git.example/api.git",
                    assigned_cell=Team.BACKEND,
                    created_by=uuid.uuid4(),  # no such agent
                ),
            )
        await conn.commit()
    assert "dev-fk" in await _slugs(db_url)


async def test_get_or_create_race_the_loser_reads_the_winners_row(db_url: str) -> None:
    async with (
        await psycopg.AsyncConnection.connect(db_url) as winner,
        await psycopg.AsyncConnection.connect(db_url) as loser,
    ):
        await agents.create_agent(loser, _agent("dev-loser-earlier"))  # the loser's own work
        await agents.create_agent(winner, _agent("dev-race"))
        attempt = asyncio.create_task(agents.create_agent(loser, _agent("dev-race")))
        await asyncio.sleep(0.2)  # the loser now waits on the winner's uncommitted row
        assert not attempt.done()
        await winner.commit()
        with pytest.raises(Conflict):
            await attempt
        found = await agents.get_agent_by_slug(loser, "dev-race")  # ... then gets it
        assert found is not None
        await loser.commit()
    assert {"dev-race", "dev-loser-earlier"} <= set(await _slugs(db_url))


async def test_a_refusal_inside_a_functions_own_block_undoes_the_block_only(db_url: str) -> None:
    """In `atomic` (a repository function's own block) statements take no savepoint of their
    own: the block's savepoint undoes all of it, and the caller's earlier work stays."""
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await agents.create_agent(conn, _agent("dev-outer"))
        with pytest.raises(Conflict):
            async with queries.atomic(conn):
                await agents.create_agent(conn, _agent("dev-inner"))
                await agents.create_agent(conn, _agent("dev-outer"))
        assert await agents.get_agent_by_slug(conn, "dev-inner") is None
        await conn.commit()
    slugs = await _slugs(db_url)
    assert "dev-outer" in slugs and "dev-inner" not in slugs
