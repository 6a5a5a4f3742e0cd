"""Member performance: one row per (day, member kind, agent) of rolled-up effort and outcomes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from pydantic import Field

from roboco_sql.models.base import Patch, Row, View

__all__ = [
    "MEMBER_PERF_COUNTERS",
    "MemberKind",
    "MemberPerfFields",
    "MemberPerfTotals",
    "MemberPerformanceDay",
]

MEMBER_PERF_COUNTERS: tuple[str, ...] = (
    "tasks_completed",
    "tasks_first_pass",
    "revisions_caused",
    "revisions_received",
    "active_runtime_seconds",
    "turns",
    "tool_calls",
    "tokens",
    "cost_usd",
    "ceo_approval_dwell_seconds",
    "ceo_unblock_dwell_seconds",
    "godmode_actions",
    "qa_reviews_total",
    "qa_reviews_passed",
    "escalations",
    "blocked_others",
    "idle_seconds",
    "blocked_seconds",
)
"""The numeric columns, in table order; each is NOT NULL with a zero default."""


class MemberKind(StrEnum):
    """Values of ``member_kind`` (varchar(16)); the CEO's row has agent_slug ''."""

    AGENT = "agent"
    CEO = "ceo"


class MemberPerformanceDay(Row):
    """Row of ``member_performance_daily``, unique on (date, member_kind, agent_slug)."""

    __table__ = "member_performance_daily"

    id: uuid.UUID
    date: dt.date
    member_kind: str
    agent_slug: str
    team: str | None
    role: str | None
    tasks_completed: int
    tasks_first_pass: int
    revisions_caused: int
    revisions_received: int
    active_runtime_seconds: int
    turns: int
    tool_calls: int
    tokens: int
    cost_usd: float
    ceo_approval_dwell_seconds: int
    ceo_unblock_dwell_seconds: int
    godmode_actions: int
    qa_reviews_total: int
    qa_reviews_passed: int
    escalations: int
    blocked_others: int
    idle_seconds: int
    blocked_seconds: int


class MemberPerfFields(Patch):
    """The figures one sweep recomputed for a day: those given replace the stored ones (never
    added to them); those left out keep their value, or start at zero on a new row."""

    __table__ = "member_performance_daily"
    __nullable__ = frozenset({"team", "role"})

    team: str | None = Field(default=None, max_length=50)
    role: str | None = Field(default=None, max_length=50)
    tasks_completed: int | None = Field(default=None, ge=0)
    tasks_first_pass: int | None = Field(default=None, ge=0)
    revisions_caused: int | None = Field(default=None, ge=0)
    revisions_received: int | None = Field(default=None, ge=0)
    active_runtime_seconds: int | None = Field(default=None, ge=0)
    turns: int | None = Field(default=None, ge=0)
    tool_calls: int | None = Field(default=None, ge=0)
    tokens: int | None = Field(default=None, ge=0)
    cost_usd: float | None = Field(default=None, ge=0)
    ceo_approval_dwell_seconds: int | None = Field(default=None, ge=0)
    ceo_unblock_dwell_seconds: int | None = Field(default=None, ge=0)
    godmode_actions: int | None = Field(default=None, ge=0)
    qa_reviews_total: int | None = Field(default=None, ge=0)
    qa_reviews_passed: int | None = Field(default=None, ge=0)
    escalations: int | None = Field(default=None, ge=0)
    blocked_others: int | None = Field(default=None, ge=0)
    idle_seconds: int | None = Field(default=None, ge=0)
    blocked_seconds: int | None = Field(default=None, ge=0)


class MemberPerfTotals(View):
    """The sums RoboCo's scorecards read over a window of agent days, per agent slug."""

    agent_slug: str
    days: int
    tasks_completed: int
    tasks_first_pass: int
    revisions_caused: int
    revisions_received: int
    active_runtime_seconds: int
    turns: int
    tool_calls: int
    tokens: int
    cost_usd: float
    qa_reviews_total: int
    qa_reviews_passed: int
    escalations: int
    blocked_others: int
    idle_seconds: int
