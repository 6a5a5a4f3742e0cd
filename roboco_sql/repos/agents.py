"""Agents: the roster every other table points at, the human CEO included (role ``ceo``)."""

from __future__ import annotations

import uuid
from types import EllipsisType
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.agent import Agent, AgentCreate, AgentUpdate
from roboco_sql.models.enums import AgentRole, AgentStatus, Team
from roboco_sql.repos._checks import enum_arg, optional_enum_arg
from roboco_sql.repos._inputs import existing, insert
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "create_agent",
    "first_agent_with_role",
    "get_agent",
    "get_agent_by_slug",
    "get_ceo",
    "list_agents",
    "list_agents_by_ids",
    "update_agent",
    "update_status",
]

_Q = queries.load()
_CREATE = _Q["agents.create_agent"]
_GET = _Q["agents.get_agent"]
_GET_BY_SLUG = _Q["agents.get_agent_by_slug"]
_GET_CEO = _Q["agents.get_ceo"]
_FIRST_WITH_ROLE = _Q["agents.first_agent_with_role"]
_LIST = _Q["agents.list_agents"]
_LIST_BY_IDS = _Q["agents.list_agents_by_ids"]
_UPDATE_STATUS = _Q["agents.update_agent_status"]
_UPDATE = _Q["agents.update_agent"]

_ROW = model_row(Agent)

_UPDATABLE = AgentUpdate.columns()
_JSON = frozenset({"model_config", "permissions"})


async def create_agent(conn: AsyncConnection[Any], data: AgentCreate) -> Agent:
    """Insert a new agent; a taken slug is a Conflict naming it."""
    return await insert(
        conn,
        _CREATE,
        _ROW,
        data,
        entity="agent",
        json=("permissions", "metrics"),
        model_config=Json(data.llm_config.model_dump(mode="json")),
    )


async def get_agent(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> Agent | None:
    """One agent by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=agent_id)


async def get_agent_by_slug(conn: AsyncConnection[Any], slug: str) -> Agent | None:
    """One agent by slug (the stable name prompts and configs use), or None."""
    return await queries.fetch_one(conn, _GET_BY_SLUG, _ROW, slug=slug)


async def get_ceo(conn: AsyncConnection[Any]) -> Agent | None:
    """The human CEO's row, which approvals and escalations point at; None before bootstrap."""
    return await queries.fetch_one(conn, _GET_CEO, _ROW)


async def list_agents(
    conn: AsyncConnection[Any],
    *,
    role: AgentRole | None = None,
    team: Team | None = None,
    status: AgentStatus | None = None,
    after_slug: str | None = None,
    limit: int = 100,
) -> list[Agent]:
    """Agents matching every filter given, by slug; pass the last slug as after_slug for more."""
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        role=optional_enum_arg("role", AgentRole, role),
        team=optional_enum_arg("team", Team, team),
        status=optional_enum_arg("status", AgentStatus, status),
        after_slug=after_slug,
        limit=checked_limit(limit),
    )


async def list_agents_by_ids(conn: AsyncConnection[Any], ids: list[uuid.UUID]) -> list[Agent]:
    """The agents among ids, by slug; ids with no row are left out."""
    return await queries.fetch_all(conn, _LIST_BY_IDS, _ROW, ids=ids)


async def update_status(
    conn: AsyncConnection[Any],
    agent_id: uuid.UUID,
    status: AgentStatus,
    *,
    current_task_id: uuid.UUID | EllipsisType | None = ...,
) -> Agent:
    """Set an agent's status; also its current task when current_task_id is given (None clears).

    Raises NotFound for an unknown agent, NotFound naming the task for an unknown task id.
    """
    status = enum_arg("status", AgentStatus, status)
    set_task = not isinstance(current_task_id, EllipsisType)
    return await existing(
        conn,
        _UPDATE_STATUS,
        _ROW,
        "agent",
        agent_id,
        id=agent_id,
        status=status,
        set_current_task_id=set_task,
        current_task_id=current_task_id if set_task else None,
    )


async def update_agent(
    conn: AsyncConnection[Any], agent_id: uuid.UUID, patch: AgentUpdate
) -> Agent:
    """Write the fields the patch set; the others keep their values. NotFound if no such agent."""
    changes = patch.changes()
    params = {"id": agent_id, **patch_params(changes, _UPDATABLE, json=_JSON)}
    return await existing(conn, _UPDATE, _ROW, "agent", agent_id, **params)


async def first_agent_with_role(
    conn: AsyncConnection[Any], role: AgentRole, *, team: Team | None = None
) -> Agent | None:
    """The earliest-created agent of a role (in one team, if given), or None: how RoboCo finds
    its Main PM, and a team's QA, documenter or cell PM, when the roster has several."""
    try:
        wanted, cell = AgentRole(role), None if team is None else Team(team)
    except ValueError as exc:
        raise ValidationError(f"first agent with role: {exc}") from None
    return await queries.fetch_one(conn, _FIRST_WITH_ROLE, _ROW, role=wanted, team=cell)
