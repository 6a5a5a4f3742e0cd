"""Member performance days: recomputed daily rollups per member, and the sums scorecards read."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import class_row

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.member_perf import (
    MemberKind,
    MemberPerfFields,
    MemberPerformanceDay,
    MemberPerfTotals,
)
from roboco_sql.repos._checks import enum_arg, optional_enum_arg
from roboco_sql.repos._inputs import returned
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "get_member_perf_day",
    "list_member_perf_days",
    "member_perf_totals",
    "upsert_member_perf_day",
]

_Q = queries.load()
_UPSERT = _Q["member_perf.upsert_member_perf_day"]
_GET = _Q["member_perf.get_member_perf_day"]
_LIST = _Q["member_perf.list_member_perf_days"]
_TOTALS = _Q["member_perf.member_perf_totals"]

_ROW = model_row(MemberPerformanceDay)
_FIELDS = tuple(MemberPerfFields.model_fields)


def _member(member_kind: MemberKind, agent_slug: str) -> tuple[MemberKind, str]:
    kind = enum_arg("member_kind", MemberKind, member_kind)
    if len(agent_slug) > 100:
        raise ValidationError("agent_slug must be at most 100 characters")
    if kind is MemberKind.AGENT and not agent_slug:
        raise ValidationError("an agent's row needs its agent_slug")
    if kind is MemberKind.CEO and agent_slug:
        raise ValidationError("the CEO's row has agent_slug ''")
    return kind, agent_slug


async def upsert_member_perf_day(
    conn: AsyncConnection[Any],
    day: dt.date,
    member_kind: MemberKind,
    agent_slug: str,
    fields: MemberPerfFields,
) -> MemberPerformanceDay:
    """Write the figures given for (day, kind, agent) in one statement: they replace what the
    row held (a recomputation, never an increment); figures not given are left as they were."""
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise ValidationError("day must be a date")
    kind, slug = _member(member_kind, agent_slug)
    return await returned(
        conn,
        _UPSERT,
        _ROW,
        "member performance day",
        id=uuid.uuid4(),
        date=day,
        member_kind=kind,
        agent_slug=slug,
        **patch_params(fields.changes(), _FIELDS),
    )


async def get_member_perf_day(
    conn: AsyncConnection[Any], day: dt.date, member_kind: MemberKind, agent_slug: str
) -> MemberPerformanceDay | None:
    """One member's row for one day, or None."""
    return await queries.fetch_one(
        conn,
        _GET,
        _ROW,
        date=day,
        member_kind=enum_arg("member_kind", MemberKind, member_kind),
        agent_slug=agent_slug,
    )


async def list_member_perf_days(
    conn: AsyncConnection[Any],
    *,
    since: dt.date,
    until: dt.date,
    member_kind: MemberKind | None = None,
    agent_slug: str | None = None,
    team: str | None = None,
    limit: int = 1000,
) -> list[MemberPerformanceDay]:
    """Rows of the days since..until (both included), by date then member."""
    if until < since:
        raise ValidationError(f"until ({until}) is before since ({since})")
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        since=since,
        until=until,
        member_kind=optional_enum_arg("member_kind", MemberKind, member_kind),
        agent_slug=agent_slug,
        team=team,
        limit=checked_limit(limit),
    )


async def member_perf_totals(
    conn: AsyncConnection[Any],
    *,
    since: dt.date,
    agent_slug: str | None = None,
    team: str | None = None,
    limit: int = 1000,
) -> list[MemberPerfTotals]:
    """Each agent's sums over its days since ``since`` (of one team or one agent if given)."""
    return await queries.fetch_all(
        conn,
        _TOTALS,
        class_row(MemberPerfTotals),
        since=since,
        agent_slug=agent_slug,
        team=team,
        limit=checked_limit(limit),
    )
