"""Model routing as RoboCo's mode switches and settings UI use it: rules by exact key, the
upsert by key, the wipe before a mode switch, the complexity rung, deleting providers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound
from roboco_sql.models.enums import AgentRole, AssignmentScope, Complexity
from roboco_sql.models.provider import ModelAssignmentCreate, ProviderConfigCreate
from roboco_sql.repos import providers

Conn = AsyncConnection[Any]


async def anthropic_id(conn: Conn) -> uuid.UUID:
    found = await providers.get_provider_config_by_name(conn, "Anthropic (default)")
    assert found is not None
    return found.id


def rule(
    provider: uuid.UUID, scope: AssignmentScope, value: str | None, model: str
) -> ModelAssignmentCreate:
    return ModelAssignmentCreate(
        scope=scope, scope_value=value, provider_config_id=provider, model_name=model
    )


async def test_rule_by_exact_key_and_upsert_by_key(conn: Conn) -> None:
    p = await anthropic_id(conn)
    G, R = AssignmentScope.GLOBAL, AssignmentScope.ROLE
    assert await providers.get_model_assignment_by_key(conn, G, None) is None
    first = await providers.upsert_model_assignment(conn, rule(p, G, None, "m1"))
    again = await providers.upsert_model_assignment(conn, rule(p, G, None, "m2"))
    assert again.id == first.id and again.model_name == "m2" and again.updated_at is not None
    found = await providers.get_model_assignment_by_key(conn, G, None)
    assert found == again
    await providers.upsert_model_assignment(conn, rule(p, R, "developer", "m-dev"))
    dev = await providers.get_model_assignment_by_key(conn, R, "developer")
    assert dev is not None and dev.model_name == "m-dev"
    assert await providers.get_model_assignment_by_key(conn, R, "qa") is None
    assert len(await providers.list_model_assignments(conn)) == 2
    with pytest.raises(NotFound, match="provider_config"):
        await providers.upsert_model_assignment(conn, rule(uuid.uuid4(), R, "qa", "m"))


async def test_racing_upserts_of_one_key_leave_one_rule(db_url: str) -> None:
    async with (
        await psycopg.AsyncConnection.connect(db_url, autocommit=True) as a,
        await psycopg.AsyncConnection.connect(db_url, autocommit=True) as b,
    ):
        p = await anthropic_id(a)
        await asyncio.gather(
            *(
                providers.upsert_model_assignment(c, rule(p, AssignmentScope.GLOBAL, None, m))
                for c, m in ((a, "from-a"), (b, "from-b"))
                for _ in range(5)
            )
        )
        rules = await providers.list_model_assignments(a)
    assert len(rules) == 1 and rules[0].model_name in ("from-a", "from-b")


async def test_a_mode_switch_wipes_coarse_rules_and_keeps_pins_and_tiers(conn: Conn) -> None:
    p = await anthropic_id(conn)
    await providers.upsert_model_assignment(conn, rule(p, AssignmentScope.GLOBAL, None, "g"))
    await providers.upsert_model_assignment(conn, rule(p, AssignmentScope.ROLE, "qa", "r"))
    await providers.upsert_model_assignment(
        conn, rule(p, AssignmentScope.ROLE, "developer:low", "cheap")
    )
    await providers.upsert_model_assignment(conn, rule(p, AssignmentScope.AGENT_SLUG, "be-1", "a"))
    assert await providers.clear_mode_assignments(conn) == 2
    left = {(r.scope, r.scope_value) for r in await providers.list_model_assignments(conn)}
    assert left == {(AssignmentScope.ROLE, "developer:low"), (AssignmentScope.AGENT_SLUG, "be-1")}
    # the switch then writes its own global rule (the same transaction, in RoboCo)
    await providers.upsert_model_assignment(conn, rule(p, AssignmentScope.GLOBAL, None, "grok"))
    assert await providers.clear_mode_assignments(conn) == 1


async def test_the_complexity_rung_sits_between_agent_and_role(conn: Conn) -> None:
    p = await anthropic_id(conn)
    for scope, value, name in (
        (AssignmentScope.GLOBAL, None, "g"),
        (AssignmentScope.ROLE, "developer", "dev"),
        (AssignmentScope.ROLE, "developer:low", "dev-low"),
    ):
        await providers.upsert_model_assignment(conn, rule(p, scope, value, name))

    async def model(complexity: Complexity | None, slug: str = "be-1") -> str | None:
        found = await providers.resolve_model_assignment(
            conn, agent_slug=slug, role=AgentRole.DEVELOPER, complexity=complexity
        )
        return None if found is None else found.model_name

    assert await model(Complexity.LOW) == "dev-low"
    assert await model(Complexity.HIGH) == "dev"
    assert await model(None) == "dev"
    await providers.upsert_model_assignment(
        conn, rule(p, AssignmentScope.AGENT_SLUG, "be-1", "pin")
    )
    assert await model(Complexity.LOW) == "pin"
    assert await model(Complexity.LOW, slug="be-2") == "dev-low"
    with pytest.raises(pydantic.ValidationError):
        rule(p, AssignmentScope.ROLE, "developer:huge", "x")


async def test_delete_provider_unless_a_rule_points_at_it(conn: Conn) -> None:
    made = await providers.create_provider_config(
        conn, ProviderConfigCreate.model_validate({"name": "Spare", "type": "ollama_cloud"})
    )
    await providers.upsert_model_assignment(conn, rule(made.id, AssignmentScope.GLOBAL, None, "m"))
    with pytest.raises(Conflict, match="model_assignments"):
        await providers.delete_provider_config(conn, made.id)
    assert await providers.get_provider_config(conn, made.id) is not None  # usable after
    await providers.clear_mode_assignments(conn)
    await providers.delete_provider_config(conn, made.id)
    assert await providers.get_provider_config(conn, made.id) is None
    with pytest.raises(NotFound, match="provider config"):
        await providers.delete_provider_config(conn, made.id)
