"""Tables, models and queries agree, and the check notices when any of them drifts."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import psycopg
from pydantic import BaseModel

from roboco_sql import models, queries
from tests.fix_agreement import check_queries, check_tables


def test_every_query_prepares_and_returns_a_models_fields(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        problems = check_queries(conn, queries.load())
    assert problems == []


def test_every_table_column_is_a_model_field_and_back(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        problems = check_tables(conn)
    assert problems == []


def test_a_column_added_without_its_field_is_caught(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute("ALTER TABLE agents ADD COLUMN mood text")
        problems = check_tables(conn)
    assert problems == ["column agents.mood has no field in Agent"]


def test_a_field_without_its_column_and_a_type_drift_are_caught(db_url: str) -> None:
    class DriftedAgent(models.Agent):
        mood: str

    with psycopg.connect(db_url) as conn:
        conn.execute("ALTER TABLE agents ALTER COLUMN status TYPE text")  # an enum no more? ok
        conn.execute("ALTER TABLE agents ALTER COLUMN created_at TYPE text")
        problems = check_tables(conn, (DriftedAgent,))
    assert "DriftedAgent.mood has no column in agents" in problems
    assert any(
        p.startswith("column agents.created_at is text but DriftedAgent.created_at")
        for p in problems
    )


def test_a_query_drifting_from_its_model_is_caught(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "drift.sql").write_text(
        "-- name: wrong_columns :one\n-- Returns a column no model has.\n"
        "SELECT id, slug AS nickname FROM agents WHERE id = :id;\n"
        "-- name: wrong_params :one\n-- Declares a parameter it never uses.\n"
        "SELECT id, slug FROM agents WHERE id = :id AND :unused::int IS NULL;\n"
        "-- name: broken :many\n-- Names a table that does not exist.\n"
        "SELECT id FROM no_such_table;\n",
        encoding="utf-8",
    )

    class Pair(BaseModel):
        id: uuid.UUID
        slug: int  # wrong type for agents.slug

    with psycopg.connect(db_url) as conn:
        problems = check_queries(conn, queries.load(tmp_path), candidates=[Pair])
    assert (
        problems[0] == "drift.sql:wrong_columns: no model has exactly the fields ['id', 'nickname']"
    )
    assert problems[1].startswith("drift.sql:wrong_params: column slug is varchar but Pair.slug")
    assert problems[2].startswith("drift.sql:broken: does not prepare: ERROR:  relation")
    assert len(problems) == 3


def test_every_entity_model_is_registered() -> None:
    assert len(models.ENTITY_MODELS) == 35
    assert len({m.__table__ for m in models.ENTITY_MODELS}) == 35


async def test_trusted_rows_equal_validated_rows(conn: Any, monkeypatch: Any) -> None:
    """The fast row path (no validation) builds the very models validation would."""
    from roboco_sql.models import AgentCreate, ChannelCreate
    from roboco_sql.models.enums import AgentRole, ChannelType, Team
    from roboco_sql.repos import _rows, agents, channels

    await agents.create_agent(
        conn,
        AgentCreate(
            slug="be-dev-1",
            name="Backend Dev",
            role=AgentRole.DEVELOPER,
            team=Team.BACKEND,
            system_prompt="You build the backend.",
        ),
    )
    await channels.create_channel(
        conn, ChannelCreate(slug="backend-cell", name="#backend-cell", type=ChannelType.CELL)
    )
    results = {}
    for validate in (True, False):
        monkeypatch.setattr(_rows, "VALIDATE", validate)
        results[validate] = (await agents.list_agents(conn), await channels.list_channels(conn))
    assert results[True] == results[False]
    agent = results[False][0][0]
    assert agent.role is AgentRole.DEVELOPER and agent.team is Team.BACKEND
    assert agent.model_dump() == results[True][0][0].model_dump()
