"""Token usage: per-spawn sessions, periodic snapshots and the daily roll-up."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import Create, Input, Row, utcnow

__all__ = [
    "AgentSpawnSession",
    "AgentSpawnSessionCreate",
    "AgentSpawnSessionEnd",
    "DailyUsageRollup",
    "DailyUsageRollupCreate",
    "TokenUsageSnapshot",
    "TokenUsageSnapshotCreate",
]


class AgentSpawnSession(Row):
    """Row of ``agent_spawn_sessions``; ``team``/``role`` are plain strings, ``task_id`` text."""

    __table__ = "agent_spawn_sessions"

    id: uuid.UUID
    agent_slug: str
    team: str
    role: str
    model: str
    task_id: str | None
    started_at: AwareDatetime
    ended_at: AwareDatetime | None
    tokens_input: int
    tokens_output: int
    tokens_cache_read: int
    tokens_cache_write: int
    exit_reason: str | None
    estimated_cost_usd: float | None
    turns: int
    tool_calls: int
    doctrine_version: str | None


class TokenUsageSnapshot(Row):
    """Row of ``token_usage_snapshots``: cumulative counters of a spawn at one instant."""

    __table__ = "token_usage_snapshots"

    id: uuid.UUID
    agent_spawn_session_id: uuid.UUID
    snapshotted_at: AwareDatetime
    tokens_input: int
    tokens_output: int
    tokens_cache_read: int
    tokens_cache_write: int


class DailyUsageRollup(Row):
    """Row of ``daily_usage_rollups``; one per (date, agent_slug, team, model)."""

    __table__ = "daily_usage_rollups"

    id: uuid.UUID
    date: dt.date
    agent_slug: str
    team: str
    model: str
    tokens_input: int
    tokens_output: int
    tokens_cache_read: int
    tokens_cache_write: int
    total_cost_usd: float
    session_count: int


class AgentSpawnSessionCreate(Create):
    """A spawn starting; counters begin at zero and grow through snapshots."""

    __table__ = "agent_spawn_sessions"

    agent_slug: str = Field(min_length=1, max_length=100)
    team: str = Field(max_length=50)
    role: str = Field(max_length=50)
    model: str = Field(max_length=100)
    task_id: str | None = Field(default=None, max_length=36)
    started_at: AwareDatetime = Field(default_factory=utcnow)


class TokenUsageSnapshotCreate(Create):
    """A usage reading for a running spawn; token counts cannot be negative."""

    __table__ = "token_usage_snapshots"

    agent_spawn_session_id: uuid.UUID
    snapshotted_at: AwareDatetime = Field(default_factory=utcnow)
    tokens_input: int = Field(default=0, ge=0)
    tokens_output: int = Field(default=0, ge=0)
    tokens_cache_read: int = Field(default=0, ge=0)
    tokens_cache_write: int = Field(default=0, ge=0)


class DailyUsageRollupCreate(Create):
    """One day's totals for an (agent, team, model); upserted on that key."""

    __table__ = "daily_usage_rollups"

    date: dt.date
    agent_slug: str = Field(min_length=1, max_length=100)
    team: str = Field(max_length=50)
    model: str = Field(max_length=100)
    tokens_input: int = Field(default=0, ge=0)
    tokens_output: int = Field(default=0, ge=0)
    tokens_cache_read: int = Field(default=0, ge=0)
    tokens_cache_write: int = Field(default=0, ge=0)
    total_cost_usd: float = Field(default=0.0, ge=0.0)
    session_count: int = Field(default=0, ge=0)


class AgentSpawnSessionEnd(Input):
    """A spawn ending: when, why, and what it cost; final counters arrive as a last snapshot."""

    __table__ = "agent_spawn_sessions"

    ended_at: AwareDatetime = Field(default_factory=utcnow)
    exit_reason: str | None = Field(default=None, max_length=100)
    estimated_cost_usd: float | None = Field(default=None, ge=0.0)
    turns: int | None = Field(default=None, ge=0)
    tool_calls: int | None = Field(default=None, ge=0)
    doctrine_version: str | None = Field(default=None, min_length=1, max_length=32)
