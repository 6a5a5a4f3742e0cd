"""roboco_sql.repos.pitches against a real database: propose, decide once, record provisioning."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound
from roboco_sql.models.enums import Team
from roboco_sql.models.pitch import PitchCreate, PitchDecision, PitchStatus
from roboco_sql.repos import pitches

Conn = AsyncConnection[Any]
BOARD = uuid.UUID("00000000-0000-0000-0004-000000000002")  # product-owner (no FK on pitches)
CEO = uuid.UUID("00000000-0000-0000-0000-000000000001")


def new_pitch(slug: str, **kw: Any) -> PitchCreate:
    fields: dict[str, Any] = {
        "title": f"Pitch {slug}",
        "slug": slug,
        "problem": "customers cannot pay online",
        "proposed_solution": "build a checkout",
        "target_cells": [Team.BACKEND, Team.FRONTEND],
        "created_by": BOARD,
        **kw,
    }
    return PitchCreate.model_validate(fields)


async def count_pitches(conn: Conn) -> int:
    cur = await conn.execute("SELECT count(*) FROM pitches")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_propose_and_get(conn: Conn) -> None:
    data = new_pitch("checkout")
    pitch = await pitches.propose_pitch(conn, data)
    assert pitch.id == data.id
    assert pitch.status == "proposed"
    assert pitch.target_cells == ["backend", "frontend"]
    assert pitch.created_by == BOARD
    assert pitch.decided_by is None
    assert pitch.provisioned_project_ids is None
    assert pitch.updated_at is None
    assert await pitches.get_pitch(conn, data.id) == pitch
    assert await pitches.get_pitch_by_slug(conn, "checkout") == pitch
    assert await pitches.get_pitch(conn, uuid.uuid4()) is None
    assert await pitches.get_pitch_by_slug(conn, "nope") is None


async def test_duplicate_slug_is_a_conflict(conn: Conn) -> None:
    await pitches.propose_pitch(conn, new_pitch("checkout"))
    with pytest.raises(Conflict, match="pitch with slug=checkout already exists"):
        await pitches.propose_pitch(conn, new_pitch("checkout"))


async def test_invalid_proposal_is_refused_before_sql(conn: Conn) -> None:
    cases: list[dict[str, Any]] = [
        {"target_cells": []},
        {"target_cells": ["board"]},
        {"problem": ""},
        {"title": "x" * 201},
        {"title": ""},
        {"status": "approved"},
    ]
    for bad in cases:
        with pytest.raises(pydantic.ValidationError):
            await pitches.propose_pitch(conn, new_pitch("p", **bad))
    with pytest.raises(pydantic.ValidationError):
        new_pitch("Check Out")
    assert await count_pitches(conn) == 0


async def test_approve_records_what_was_provisioned(conn: Conn) -> None:
    pitch = await pitches.propose_pitch(conn, new_pitch("checkout"))
    product_id, seed_task = uuid.uuid4(), uuid.uuid4()
    project_ids = [uuid.uuid4(), uuid.uuid4()]
    approved = await pitches.approve_pitch(
        conn,
        pitch.id,
        decided_by=CEO,
        provisioned_product_id=product_id,
        provisioned_project_ids=project_ids,
        seed_task_id=seed_task,
        notes="go",
    )
    assert approved.status == PitchStatus.PROVISIONED
    assert approved.decided_by == CEO
    assert approved.decision_notes == "go"
    assert approved.provisioned_product_id == product_id
    assert approved.provisioned_project_ids == [str(p) for p in project_ids]
    assert approved.seed_task_id == seed_task
    assert approved.updated_at is not None
    assert approved.title == pitch.title  # proposal untouched
    assert await pitches.get_pitch(conn, pitch.id) == approved


async def test_reject(conn: Conn) -> None:
    pitch = await pitches.propose_pitch(conn, new_pitch("checkout"))
    rejected = await pitches.reject_pitch(conn, pitch.id, decided_by=CEO, notes="not now")
    assert rejected.status == PitchStatus.REJECTED
    assert rejected.decision_notes == "not now"
    assert rejected.provisioned_product_id is None
    assert rejected.provisioned_project_ids is None


async def test_failed_provisioning_is_a_decision_too(conn: Conn) -> None:
    pitch = await pitches.propose_pitch(conn, new_pitch("checkout"))
    failed = await pitches.decide_pitch(
        conn,
        pitch.id,
        PitchDecision(status=PitchStatus.FAILED, decided_by=CEO, decision_notes="no token"),
    )
    assert failed.status == PitchStatus.FAILED
    with pytest.raises(Conflict, match="pitch 'checkout' is failed, not proposed"):
        await pitches.approve_pitch(conn, pitch.id, decided_by=CEO)


async def test_decisions_only_from_proposed(conn: Conn) -> None:
    pitch = await pitches.propose_pitch(conn, new_pitch("checkout"))
    approved = await pitches.approve_pitch(
        conn, pitch.id, decided_by=CEO, provisioned_project_ids=[uuid.uuid4()]
    )
    with pytest.raises(Conflict, match="pitch 'checkout' is provisioned, not proposed"):
        await pitches.reject_pitch(conn, pitch.id, decided_by=CEO, notes="changed my mind")
    with pytest.raises(Conflict, match="is provisioned, not proposed"):
        await pitches.approve_pitch(conn, pitch.id, decided_by=CEO)
    assert await pitches.get_pitch(conn, pitch.id) == approved  # nothing overwritten

    other = await pitches.propose_pitch(conn, new_pitch("other"))
    await pitches.reject_pitch(conn, other.id, decided_by=CEO)
    with pytest.raises(Conflict, match="pitch 'other' is rejected, not proposed"):
        await pitches.approve_pitch(conn, other.id, decided_by=CEO)


async def test_decide_missing_pitch(conn: Conn) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"pitch {missing} not found"):
        await pitches.approve_pitch(conn, missing, decided_by=CEO)
    with pytest.raises(NotFound, match=f"pitch {missing} not found"):
        await pitches.reject_pitch(conn, missing, decided_by=CEO)


def test_a_decision_cannot_be_proposed() -> None:
    with pytest.raises(pydantic.ValidationError, match="out of 'proposed'"):
        PitchDecision(status=PitchStatus.PROPOSED, decided_by=CEO)


async def test_racing_decisions_one_wins(conn: Conn, db_url: str) -> None:
    pitch = await pitches.propose_pitch(conn, new_pitch("checkout"))
    await conn.commit()

    async def decide(approve: bool) -> str:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            try:
                if approve:
                    await pitches.approve_pitch(c, pitch.id, decided_by=CEO)
                else:
                    await pitches.reject_pitch(c, pitch.id, decided_by=CEO)
            except Conflict:
                return "conflict"
            return "won"

    results = await asyncio.gather(*(decide(i % 2 == 0) for i in range(6)))
    assert sorted(results) == ["conflict"] * 5 + ["won"]
    final = await pitches.get_pitch(conn, pitch.id)
    assert final is not None
    assert final.status in (PitchStatus.PROVISIONED, PitchStatus.REJECTED)


async def test_list_by_status_newest_first_with_keyset(conn: Conn) -> None:
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    made = []
    for i in range(5):
        made.append(
            await pitches.propose_pitch(
                conn, new_pitch(f"p-{i}", created_at=base + dt.timedelta(hours=i))
            )
        )
    await pitches.reject_pitch(conn, made[1].id, decided_by=CEO)
    await pitches.approve_pitch(conn, made[3].id, decided_by=CEO)

    def slugs(rows: list[Any]) -> list[str]:
        return [r.slug for r in rows]

    assert slugs(await pitches.list_pitches(conn)) == ["p-4", "p-3", "p-2", "p-1", "p-0"]
    assert slugs(await pitches.list_pitches(conn, status=PitchStatus.PROPOSED)) == [
        "p-4",
        "p-2",
        "p-0",
    ]
    assert slugs(await pitches.list_pitches(conn, status=PitchStatus.REJECTED)) == ["p-1"]
    assert await pitches.list_pitches(conn, status=PitchStatus.FAILED) == []

    page = await pitches.list_pitches(conn, limit=2)
    assert slugs(page) == ["p-4", "p-3"]
    page = await pitches.list_pitches(conn, before=page[-1], limit=2)
    assert slugs(page) == ["p-2", "p-1"]
    page = await pitches.list_pitches(conn, before=page[-1], limit=2)
    assert slugs(page) == ["p-0"]


async def test_keyset_breaks_created_at_ties_by_id(conn: Conn) -> None:
    same = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i in range(4):
        await pitches.propose_pitch(conn, new_pitch(f"t-{i}", created_at=same))
    everything = await pitches.list_pitches(conn)
    assert [p.id for p in everything] == sorted((p.id for p in everything), reverse=True)
    seen = []
    before = None
    while True:
        page = await pitches.list_pitches(conn, before=before, limit=1)
        if not page:
            break
        seen.extend(page)
        before = page[-1]
    assert seen == everything
