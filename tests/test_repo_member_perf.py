"""roboco_sql.repos.member_perf against a real database: recomputed daily rollups and sums."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.models.member_perf import MemberKind, MemberPerfFields
from roboco_sql.repos import member_perf as mp

Conn = AsyncConnection[Any]
D1, D2, D3 = dt.date(2026, 6, 1), dt.date(2026, 6, 2), dt.date(2026, 6, 3)
AGENT = MemberKind.AGENT


async def test_upsert_overwrites_given_figures_and_keeps_the_rest(conn: Conn) -> None:
    first = await mp.upsert_member_perf_day(
        conn, D1, AGENT, "be-dev-1", MemberPerfFields(team="backend", tasks_completed=3, tokens=10)
    )
    assert (first.tasks_completed, first.tokens, first.turns, first.cost_usd) == (3, 10, 0, 0.0)
    again = await mp.upsert_member_perf_day(
        conn, D1, AGENT, "be-dev-1", MemberPerfFields(tasks_completed=2, idle_seconds=60)
    )
    assert again.id == first.id
    assert again.tasks_completed == 2  # recomputed, not 3 + 2
    assert again.tokens == 10 and again.team == "backend" and again.idle_seconds == 60
    ceo = await mp.upsert_member_perf_day(
        conn, D1, MemberKind.CEO, "", MemberPerfFields(godmode_actions=1)
    )
    assert ceo.agent_slug == "" and ceo.godmode_actions == 1
    assert await mp.get_member_perf_day(conn, D1, AGENT, "be-dev-1") == again
    assert await mp.get_member_perf_day(conn, D2, AGENT, "be-dev-1") is None


async def test_list_range_and_filters(conn: Conn) -> None:
    for day in (D1, D2, D3):
        await mp.upsert_member_perf_day(
            conn, day, AGENT, "be-dev-1", MemberPerfFields(team="backend", turns=1)
        )
    await mp.upsert_member_perf_day(
        conn, D2, AGENT, "fe-dev-1", MemberPerfFields(team="frontend", turns=5)
    )
    rows = await mp.list_member_perf_days(conn, since=D2, until=D3)
    assert [(r.date, r.agent_slug) for r in rows] == [
        (D2, "be-dev-1"),
        (D2, "fe-dev-1"),
        (D3, "be-dev-1"),
    ]
    team = await mp.list_member_perf_days(conn, since=D1, until=D3, team="frontend")
    assert [r.agent_slug for r in team] == ["fe-dev-1"]
    one = await mp.list_member_perf_days(conn, since=D1, until=D3, agent_slug="be-dev-1")
    assert len(one) == 3
    with pytest.raises(ValidationError, match="before"):
        await mp.list_member_perf_days(conn, since=D3, until=D1)


async def test_totals_sum_agent_days_since(conn: Conn) -> None:
    for day, done, cost in ((D1, 1, 0.5), (D2, 2, 1.0)):
        fields = MemberPerfFields(team="backend", tasks_completed=done, cost_usd=cost)
        await mp.upsert_member_perf_day(conn, day, AGENT, "be-dev-1", fields)
    await mp.upsert_member_perf_day(
        conn, D2, AGENT, "fe-dev-1", MemberPerfFields(team="frontend", tasks_completed=7)
    )
    await mp.upsert_member_perf_day(
        conn, D2, MemberKind.CEO, "", MemberPerfFields(tasks_completed=9)
    )
    totals = await mp.member_perf_totals(conn, since=D1)
    assert [(t.agent_slug, t.days, t.tasks_completed) for t in totals] == [
        ("be-dev-1", 2, 3),
        ("fe-dev-1", 1, 7),
    ]
    assert totals[0].cost_usd == pytest.approx(1.5)
    assert [t.agent_slug for t in await mp.member_perf_totals(conn, since=D2, team="backend")] == [
        "be-dev-1"
    ]


async def test_bad_input_is_refused(conn: Conn) -> None:
    with pytest.raises(pydantic.ValidationError):
        MemberPerfFields(tokens=-1)
    with pytest.raises(pydantic.ValidationError):
        MemberPerfFields(tokens=None)  # NOT NULL column
    with pytest.raises(ValidationError, match="agent_slug"):
        await mp.upsert_member_perf_day(conn, D1, AGENT, "", MemberPerfFields())
    with pytest.raises(ValidationError, match="CEO"):
        await mp.upsert_member_perf_day(conn, D1, MemberKind.CEO, "x", MemberPerfFields())
    with pytest.raises(ValidationError, match="date"):
        await mp.upsert_member_perf_day(
            conn, dt.datetime(2026, 6, 1, tzinfo=dt.UTC), AGENT, "a", MemberPerfFields()
        )
