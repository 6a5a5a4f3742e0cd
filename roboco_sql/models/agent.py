"""Agents: the roster of AI (and one human) workers every other table points at."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from roboco_sql.models.base import JsonObject, Name, Patch, Row, Slug, StampedCreate
from roboco_sql.models.enums import AgentRole, AgentStatus, ModelProvider, Team

__all__ = ["Agent", "AgentCreate", "AgentUpdate", "LLMSettings"]


class Agent(Row):
    """Row of ``agents``.

    The ``model_config`` column cannot be a Pydantic field name, so it is ``llm_config`` here,
    aliased to the column; rows load by column name and dump by column name with
    ``by_alias=True``.
    """

    __table__ = "agents"
    model_config = ConfigDict(populate_by_name=True)

    id: uuid.UUID
    name: str
    slug: str
    role: AgentRole
    team: Team | None
    status: AgentStatus
    current_task_id: uuid.UUID | None
    llm_config: JsonObject = Field(alias="model_config")
    system_prompt: str
    capabilities: list[str]
    permissions: JsonObject
    metrics: JsonObject
    journal_id: uuid.UUID | None
    description: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class LLMSettings(BaseModel):
    """The ``agents.model_config`` document; every key optional since the seeder writes ``{}``.

    Unset keys are left out of the dump so RoboCo's own defaults keep applying.
    """

    model_config = ConfigDict(extra="forbid")

    provider: ModelProvider | None = None
    name: str | None = None
    fallback: str | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1)

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        return {key: value for key, value in dumped.items() if value is not None}


class AgentCreate(StampedCreate):
    """A new agent; slugs are permanent identifiers, so the charset is enforced here."""

    __table__ = "agents"
    model_config = ConfigDict(populate_by_name=True)

    name: Name
    slug: Slug
    role: AgentRole
    team: Team | None = None
    status: AgentStatus = AgentStatus.OFFLINE
    llm_config: LLMSettings = Field(default_factory=LLMSettings, alias="model_config")
    system_prompt: str
    capabilities: list[str] = Field(default_factory=list)
    permissions: JsonObject = Field(default_factory=dict)
    metrics: JsonObject = Field(default_factory=dict)
    journal_id: uuid.UUID | None = None
    description: str | None = None


class AgentUpdate(Patch):
    """Editable agent attributes; role, slug and team are identity and do not change."""

    __table__ = "agents"
    __nullable__ = frozenset({"description", "current_task_id"})
    model_config = ConfigDict(populate_by_name=True)

    name: Name | None = None
    status: AgentStatus | None = None
    current_task_id: uuid.UUID | None = None
    llm_config: LLMSettings | None = Field(default=None, alias="model_config")
    system_prompt: str | None = None
    capabilities: list[str] | None = None
    permissions: JsonObject | None = None
    description: str | None = None
