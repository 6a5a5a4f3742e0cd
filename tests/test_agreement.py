"""Tables, models and queries agree, and the check notices when any of them drifts.

At head for everything RoboCo has at head; the messaging models and queries, whose tables
RoboCo's 060_drop_messaging dropped, against a database pinned at 059_x_credentials.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import psycopg
from pydantic import BaseModel

from roboco_sql import keys, models, queries
from roboco_sql.repos import credentials
from tests.fix_agreement import (
    DROPPED_BY_060,
    MESSAGING_QUERY_FILES,
    check_queries,
    check_tables,
    split_messaging,
)


def test_every_query_prepares_and_returns_a_models_fields(db_url: str) -> None:
    at_head, _ = split_messaging(queries.load())
    with psycopg.connect(db_url) as conn:
        problems = check_queries(conn, at_head)
    assert problems == []


def test_every_rendered_template_query_prepares_and_returns_a_models_fields(
    db_url: str,
) -> None:
    """keys.py renders one template per encrypted column, repos/credentials.py one per
    credential table: each rendering must prepare and return its model's fields."""
    rendered = [q for c in keys.COLUMNS for q in (c.page, c.page_locked, c.swap)]
    assert len(rendered) == 3 * 13  # projects, providers, 11 credential values
    rendered += [q for service in credentials.SERVICES for q in service.queries.values()]
    assert len(rendered) == 3 * 13 + 4 * 4
    with psycopg.connect(db_url) as conn:
        problems = check_queries(conn, queries.Queries(rendered))
    assert problems == []


def test_every_messaging_query_prepares_and_returns_a_models_fields_below_060(
    db059_url: str,
) -> None:
    _, messaging = split_messaging(queries.load())
    assert {q.file for q in messaging.values()} == MESSAGING_QUERY_FILES
    with psycopg.connect(db059_url) as conn:
        problems = check_queries(conn, messaging)
    assert problems == []


def test_past_060_every_messaging_query_fails_only_for_a_dropped_table(db_url: str) -> None:
    """The split leaves nothing out that should run at head: each messaging query fails there,
    and only because it names a table 060 dropped."""
    _, messaging = split_messaging(queries.load())
    with psycopg.connect(db_url) as conn:
        problems = check_queries(conn, messaging)
    assert len(problems) == len(messaging)
    dropped = "|".join(sorted(DROPPED_BY_060))
    for problem in problems:
        assert re.fullmatch(
            rf'\S+: does not prepare: ERROR:  relation "({dropped})" does not exist', problem
        ), problem


def test_every_table_column_is_a_model_field_and_back(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        problems = check_tables(conn)
    assert problems == []


def test_messaging_tables_agree_with_their_models_below_060(db059_url: str) -> None:
    assert {m.__table__ for m in models.MESSAGING_MODELS} == DROPPED_BY_060
    with psycopg.connect(db059_url) as conn:
        problems = check_tables(conn, models.MESSAGING_MODELS)
        tables = {
            t
            for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' AND tablename NOT LIKE 'chunks\\_%'"
            )
        }
    assert problems == []
    registered = {m.__table__ for m in (*models.ENTITY_MODELS, *models.MESSAGING_MODELS)}
    assert tables - registered == set()  # every table at 059 has its model too


def test_past_060_the_messaging_tables_are_gone(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        problems = check_tables(conn, models.MESSAGING_MODELS)
    assert problems == [
        f"{m.__name__}: table {m.__table__} does not exist" for m in models.MESSAGING_MODELS
    ]


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


def test_every_entity_model_is_registered_once() -> None:
    at_head = [m.__table__ for m in models.ENTITY_MODELS]
    assert len(set(at_head)) == len(at_head)
    assert len(models.MESSAGING_MODELS) == 5
    assert not set(at_head) & {m.__table__ for m in models.MESSAGING_MODELS}


async def test_trusted_rows_equal_validated_rows(conn: Any, monkeypatch: Any) -> None:
    """The fast row path (no validation) builds the very models validation would."""
    from roboco_sql import bootstrap
    from roboco_sql.models.enums import AgentRole, Team
    from roboco_sql.repos import _rows, agents

    await bootstrap.seed(conn)
    results = {}
    for validate in (True, False):
        monkeypatch.setattr(_rows, "VALIDATE", validate)
        results[validate] = await agents.list_agents(conn)
    assert results[True] == results[False] and len(results[False]) == len(bootstrap.ROSTER)
    ceo = next(a for a in results[False] if a.slug == "ceo")
    assert ceo.role is AgentRole.CEO and ceo.team is Team.BOARD
    assert [a.model_dump() for a in results[False]] == [a.model_dump() for a in results[True]]


async def test_trusted_rows_equal_validated_rows_below_060(conn059: Any, monkeypatch: Any) -> None:
    """The same with a messaging model (uuid[] and enum columns), at 059."""
    from roboco_sql.models import ChannelCreate
    from roboco_sql.models.enums import AgentRole, ChannelType, Team
    from roboco_sql.repos import _rows, agents, channels
    from tests.fix_inputs import new_agent

    conn = conn059

    await agents.create_agent(conn, new_agent("be-dev-1"))
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
