"""roboco_sql.repos.agents against a real database."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.models.agent import AgentCreate, AgentUpdate, LLMSettings
from roboco_sql.models.enums import AgentRole, AgentStatus, ModelProvider, Team
from roboco_sql.repos import agents
from tests.fix_conn import count
from tests.fix_inputs import new_agent

Conn = AsyncConnection[Any]


async def insert_task(conn: Conn, created_by: uuid.UUID) -> uuid.UUID:
    """A minimal task row, written raw so this file does not depend on the tasks repo."""
    task_id, project_id = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        """
        INSERT INTO projects (id, name, slug, git_url, protected_branches, assigned_cell,
            created_by, is_active, created_at)
        VALUES (%s, 'p', %s, 'https://example.com/p.git', '{}', 'backend', %s, true, now())
        """,
        (project_id, f"p-{project_id.hex[:8]}", created_by),
    )
    await conn.execute(
        """
        INSERT INTO tasks (id, title, description, acceptance_criteria, acceptance_criteria_status,
            blocker_ids, checkpoints, commits, created_at, created_by, dependency_ids,
            docs_complete, documents, estimated_complexity, nature, pr_created, priority,
            progress_updates, qa_evidence_inspected, self_verified, sequence, status, task_type,
            team, project_id)
        VALUES (%s, 't', 'a task long enough to count', '{ac}', '{}', '{}', '[]', '[]', now(),
            %s, '{}', false, '[]', 'low', 'technical', false, 2, '[]', false, false, 0,
            'pending', 'code', 'backend', %s)
        """,
        (task_id, created_by, project_id),
    )
    return task_id


async def test_create_and_get_round_trip(conn: Conn) -> None:
    data = new_agent(
        "be-dev-1",
        llm_config=LLMSettings(provider=ModelProvider.ANTHROPIC, temperature=0.5),
        capabilities=["python", "sql"],
        permissions={"can_merge": False},
        description="backend developer",
    )
    created = await agents.create_agent(conn, data)
    assert created.id == data.id
    assert created.slug == "be-dev-1"
    assert created.role is AgentRole.DEVELOPER
    assert created.team is Team.BACKEND
    assert created.status is AgentStatus.OFFLINE
    assert created.llm_config == {"provider": "anthropic", "temperature": 0.5}
    assert created.capabilities == ["python", "sql"]
    assert created.permissions == {"can_merge": False}
    assert created.metrics == {}
    assert created.current_task_id is None
    assert created.updated_at is None
    assert await agents.get_agent(conn, data.id) == created
    assert await agents.get_agent_by_slug(conn, "be-dev-1") == created


async def test_the_human_ceo_is_an_agent_row(conn: Conn) -> None:
    assert await agents.get_ceo(conn) is None
    await agents.create_agent(conn, new_agent("be-dev-1"))
    ceo = await agents.create_agent(
        conn, new_agent("ceo", AgentRole.CEO, team=Team.BOARD, name="Renzo")
    )
    found = await agents.get_ceo(conn)
    assert found == ceo
    assert found.name == "Renzo"
    assert [a.slug for a in await agents.list_agents(conn, role=AgentRole.CEO)] == ["ceo"]


async def test_duplicate_slug_is_a_conflict_naming_it(conn: Conn) -> None:
    await agents.create_agent(conn, new_agent("be-qa", AgentRole.QA))
    with pytest.raises(Conflict, match=r"agent with slug=be-qa already exists"):
        await agents.create_agent(conn, new_agent("be-qa", AgentRole.QA))


async def test_invalid_input_is_refused_before_sql(conn: Conn) -> None:
    before = await count(conn, "agents")
    for bad in (
        {"slug": "Not A Slug"},
        {"slug": "x" * 51},
        {"name": ""},
        {"llm_config": {"temperature": 3.0}},
        {"colour": "blue"},
    ):
        fields: dict[str, Any] = {
            "name": "Dev",
            "slug": "dev",
            "role": "developer",
            "system_prompt": "p",
            **bad,
        }
        with pytest.raises(pydantic.ValidationError):
            await agents.create_agent(conn, AgentCreate.model_validate(fields))
    assert await count(conn, "agents") == before


async def test_list_filters_by_role_team_and_status(conn: Conn) -> None:
    await agents.create_agent(conn, new_agent("be-dev-1"))
    await agents.create_agent(conn, new_agent("be-dev-2", status=AgentStatus.ACTIVE))
    await agents.create_agent(conn, new_agent("be-qa", AgentRole.QA))
    await agents.create_agent(conn, new_agent("fe-dev-1", team=Team.FRONTEND))
    await agents.create_agent(conn, new_agent("system", AgentRole.SYSTEM, team=None))

    def slugs(rows: list[Any]) -> list[str]:
        return [r.slug for r in rows]

    assert slugs(await agents.list_agents(conn)) == [
        "be-dev-1",
        "be-dev-2",
        "be-qa",
        "fe-dev-1",
        "system",
    ]
    assert slugs(await agents.list_agents(conn, role=AgentRole.DEVELOPER)) == [
        "be-dev-1",
        "be-dev-2",
        "fe-dev-1",
    ]
    assert slugs(await agents.list_agents(conn, team=Team.BACKEND)) == [
        "be-dev-1",
        "be-dev-2",
        "be-qa",
    ]
    assert slugs(await agents.list_agents(conn, role=AgentRole.DEVELOPER, team=Team.BACKEND)) == [
        "be-dev-1",
        "be-dev-2",
    ]
    assert slugs(await agents.list_agents(conn, status=AgentStatus.ACTIVE)) == ["be-dev-2"]
    assert await agents.list_agents(conn, role=AgentRole.AUDITOR) == []


async def test_list_pages_by_slug(conn: Conn) -> None:
    for slug in ("a-1", "a-2", "a-3", "a-4", "a-5"):
        await agents.create_agent(conn, new_agent(slug))
    first = await agents.list_agents(conn, limit=2)
    assert [a.slug for a in first] == ["a-1", "a-2"]
    second = await agents.list_agents(conn, after_slug=first[-1].slug, limit=2)
    assert [a.slug for a in second] == ["a-3", "a-4"]
    last = await agents.list_agents(conn, after_slug=second[-1].slug, limit=2)
    assert [a.slug for a in last] == ["a-5"]


async def test_list_by_ids_skips_unknown(conn: Conn) -> None:
    a = await agents.create_agent(conn, new_agent("b-agent"))
    b = await agents.create_agent(conn, new_agent("a-agent"))
    await agents.create_agent(conn, new_agent("c-agent"))
    rows = await agents.list_agents_by_ids(conn, [a.id, uuid.uuid4(), b.id])
    assert [r.slug for r in rows] == ["a-agent", "b-agent"]
    assert await agents.list_agents_by_ids(conn, []) == []


async def test_update_status_and_current_task(conn: Conn) -> None:
    agent = await agents.create_agent(conn, new_agent("be-dev-1"))
    task_id = await insert_task(conn, agent.id)

    busy = await agents.update_status(conn, agent.id, AgentStatus.ACTIVE, current_task_id=task_id)
    assert busy.status is AgentStatus.ACTIVE
    assert busy.current_task_id == task_id
    assert busy.updated_at is not None

    idle = await agents.update_status(conn, agent.id, AgentStatus.IDLE)
    assert idle.status is AgentStatus.IDLE
    assert idle.current_task_id == task_id  # not given: kept

    off = await agents.update_status(conn, agent.id, AgentStatus.OFFLINE, current_task_id=None)
    assert off.current_task_id is None
    assert await agents.get_agent(conn, agent.id) == off


async def test_update_status_errors(conn: Conn) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"agent {missing} not found"):
        await agents.update_status(conn, missing, AgentStatus.ACTIVE)
    agent = await agents.create_agent(conn, new_agent("be-dev-1"))
    ghost_task = uuid.uuid4()
    with pytest.raises(NotFound, match=rf"agent: no tasks row with current_task_id={ghost_task}"):
        await agents.update_status(conn, agent.id, AgentStatus.ACTIVE, current_task_id=ghost_task)


async def test_update_writes_only_what_was_set(conn: Conn) -> None:
    agent = await agents.create_agent(
        conn, new_agent("be-dev-1", description="old", capabilities=["python"])
    )
    updated = await agents.update_agent(
        conn,
        agent.id,
        AgentUpdate.model_validate(
            {
                "name": "Backend Dev",
                "model_config": LLMSettings(name="claude-opus", max_tokens=1000),
                "permissions": {"can_merge": True},
                "capabilities": ["python", "go"],
            }
        ),
    )
    assert updated.name == "Backend Dev"
    assert updated.llm_config == {"name": "claude-opus", "max_tokens": 1000}
    assert updated.permissions == {"can_merge": True}
    assert updated.capabilities == ["python", "go"]
    # untouched
    assert updated.description == "old"
    assert updated.system_prompt == agent.system_prompt
    assert updated.status is agent.status
    assert updated.slug == agent.slug
    assert updated.updated_at is not None

    cleared = await agents.update_agent(
        conn, agent.id, AgentUpdate(description=None, status=AgentStatus.IDLE)
    )
    assert cleared.description is None
    assert cleared.status is AgentStatus.IDLE
    assert cleared.name == "Backend Dev"
    assert await agents.get_agent(conn, agent.id) == cleared


async def test_update_errors(conn: Conn) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"agent {missing} not found"):
        await agents.update_agent(conn, missing, AgentUpdate(name="x"))
    agent = await agents.create_agent(conn, new_agent("be-dev-1"))
    with pytest.raises(pydantic.ValidationError, match="NOT NULL"):
        AgentUpdate(name=None)
    with pytest.raises(pydantic.ValidationError):
        AgentUpdate.model_validate({"slug": "renamed"})  # identity does not change
    assert await agents.get_agent(conn, agent.id) == agent


def test_update_statement_covers_every_patch_field() -> None:
    fields = {f.alias or name for name, f in AgentUpdate.model_fields.items()}
    assert fields == set(agents._UPDATABLE)


async def test_first_agent_with_role_is_the_earliest_created(conn: Conn) -> None:
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    # slug order would pick "a-pm"; RoboCo's Main PM lookup takes the earliest-created
    await agents.create_agent(
        conn, new_agent("z-pm", AgentRole.MAIN_PM, team=Team.MAIN_PM, created_at=t0)
    )
    await agents.create_agent(
        conn,
        new_agent("a-pm", AgentRole.MAIN_PM, team=Team.MAIN_PM, created_at=t0 + dt.timedelta(1)),
    )
    await agents.create_agent(conn, new_agent("be-qa", AgentRole.QA))
    await agents.create_agent(conn, new_agent("fe-qa", AgentRole.QA, team=Team.FRONTEND))
    main_pm = await agents.first_agent_with_role(conn, AgentRole.MAIN_PM)
    assert main_pm is not None and main_pm.slug == "z-pm"
    qa = await agents.first_agent_with_role(conn, AgentRole.QA, team=Team.FRONTEND)
    assert qa is not None and qa.slug == "fe-qa"
    assert await agents.first_agent_with_role(conn, AgentRole.QA, team=Team.UX_UI) is None
    with pytest.raises(ValidationError, match="intern"):
        await agents.first_agent_with_role(conn, "intern")  # type: ignore[arg-type]
