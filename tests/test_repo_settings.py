"""roboco_sql.repos.settings against a real database: settings upserts and company goals."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.models.settings import COMPANY_GOALS_ID, CompanyGoalsUpdate, SystemSettingWrite
from roboco_sql.repos import settings

Conn = AsyncConnection[Any]
CEO = uuid.UUID("00000000-0000-0000-0000-000000000001")


async def stored(conn: Conn) -> dict[str, str]:
    return {s.key: s.value for s in await settings.list_settings(conn)}


async def test_seeded_setting(conn: Conn) -> None:
    row = await settings.get_setting(conn, "transcript_retention_days")
    assert row is not None
    assert row.value == "14"
    assert await settings.get_setting(conn, "research_enabled") is None
    assert await stored(conn) == {"transcript_retention_days": "14"}


async def test_set_inserts_then_overwrites(conn: Conn) -> None:
    first = await settings.set_setting(
        conn, SystemSettingWrite(key="research_enabled", value="true")
    )
    assert (first.key, first.value) == ("research_enabled", "true")
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    second = await settings.set_setting(
        conn, SystemSettingWrite(key="research_enabled", value="false", updated_at=later)
    )
    assert second.value == "false"
    assert second.updated_at == later
    assert await settings.get_setting(conn, "research_enabled") == second
    days = await settings.set_setting(
        conn, SystemSettingWrite(key="transcript_retention_days", value="30")
    )
    assert days.value == "30"
    assert await stored(conn) == {"research_enabled": "false", "transcript_retention_days": "30"}


async def test_invalid_writes_are_refused_before_sql(conn: Conn) -> None:
    for key, value in (
        ("transcript_retention_days", "0"),
        ("transcript_retention_days", "two"),
        ("research_enabled", "yes"),
        ("no_such_setting", "1"),
    ):
        with pytest.raises(pydantic.ValidationError):
            await settings.set_setting(conn, SystemSettingWrite(key=key, value=value))
    assert await stored(conn) == {"transcript_retention_days": "14"}


async def test_set_many_in_one_statement(conn: Conn) -> None:
    rows = await settings.set_settings(
        conn,
        [
            SystemSettingWrite(key="self_heal_enabled", value="true"),
            SystemSettingWrite(key="transcript_retention_days", value="7"),
            SystemSettingWrite(key="conventions_enabled", value="false"),
        ],
    )
    assert [(r.key, r.value) for r in rows] == [
        ("conventions_enabled", "false"),
        ("self_heal_enabled", "true"),
        ("transcript_retention_days", "7"),
    ]
    assert await stored(conn) == {r.key: r.value for r in rows}
    assert await settings.set_settings(conn, []) == []


async def test_set_many_refuses_a_repeated_key(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="key given more than once: research_enabled"):
        await settings.set_settings(
            conn,
            [
                SystemSettingWrite(key="research_enabled", value="true"),
                SystemSettingWrite(key="self_heal_enabled", value="true"),
                SystemSettingWrite(key="research_enabled", value="false"),
            ],
        )
    assert await stored(conn) == {"transcript_retention_days": "14"}


async def test_company_goals_seeded_singleton(conn: Conn) -> None:
    goals = await settings.get_company_goals(conn)
    assert goals is not None
    assert goals.id == COMPANY_GOALS_ID
    assert goals.north_star == ""
    assert goals.objectives == []
    assert goals.constraints == []
    assert goals.operating_policy == {}
    assert goals.updated_by is None


async def test_update_company_goals(conn: Conn) -> None:
    seeded = await settings.get_company_goals(conn)
    assert seeded is not None
    goals = await settings.update_company_goals(
        conn,
        CompanyGoalsUpdate(
            north_star="Ship useful software",
            objectives=["launch checkout", {"metric": "revenue", "target": 1000}],
            updated_by=CEO,
        ),
    )
    assert goals.north_star == "Ship useful software"
    assert goals.objectives == ["launch checkout", {"metric": "revenue", "target": 1000}]
    assert goals.constraints == []  # untouched
    assert goals.updated_by == CEO
    assert goals.updated_at > seeded.updated_at

    other = uuid.uuid4()
    again = await settings.update_company_goals(
        conn,
        CompanyGoalsUpdate(
            constraints=["no weekend deploys"], operating_policy={"wip": 3}, updated_by=other
        ),
    )
    assert again.north_star == "Ship useful software"
    assert again.objectives == goals.objectives
    assert again.constraints == ["no weekend deploys"]
    assert again.operating_policy == {"wip": 3}
    assert again.updated_by == other
    assert await settings.get_company_goals(conn) == again


async def test_company_goals_errors(conn: Conn) -> None:
    with pytest.raises(pydantic.ValidationError):
        CompanyGoalsUpdate(north_star="x")  # type: ignore[call-arg]  # who is required
    with pytest.raises(pydantic.ValidationError, match="NOT NULL"):
        CompanyGoalsUpdate(north_star=None, updated_by=CEO)
    with pytest.raises(pydantic.ValidationError):
        CompanyGoalsUpdate.model_validate({"updated_by": CEO, "mission": "x"})
    await conn.execute("DELETE FROM company_goals")
    assert await settings.get_company_goals(conn) is None
    # RoboCo's upsert makes the singleton again, the fields not given at their defaults
    made = await settings.update_company_goals(
        conn, CompanyGoalsUpdate(north_star="x", updated_by=CEO)
    )
    assert (made.id, made.north_star, made.objectives, made.brand_voice) == (
        COMPANY_GOALS_ID,
        "x",
        [],
        "",
    )
    assert await settings.get_company_goals(conn) == made


def test_goals_statement_covers_every_patch_field() -> None:
    fields = set(CompanyGoalsUpdate.model_fields) - {"updated_by", "updated_at"}
    assert fields == set(settings._GOALS_FIELDS)


async def test_company_goals_brand_voice_and_name(conn: Conn) -> None:
    seeded = await settings.get_company_goals(conn)
    assert seeded is not None and seeded.brand_voice == "" and seeded.company_name == ""
    ceo = uuid.uuid4()
    named = await settings.update_company_goals(
        conn, CompanyGoalsUpdate(company_name="Acme", brand_voice="dry, precise", updated_by=ceo)
    )
    assert named.company_name == "Acme" and named.brand_voice == "dry, precise"
    kept = await settings.update_company_goals(
        conn, CompanyGoalsUpdate(north_star="ship", updated_by=ceo)
    )
    assert kept.company_name == "Acme" and kept.brand_voice == "dry, precise"
