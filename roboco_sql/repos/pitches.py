"""Pitches: board proposals that the CEO approves (provisioning repos) or rejects, once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.models.pitch import Pitch, PitchCreate, PitchDecision, PitchStatus
from roboco_sql.repos._built import built
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert, missed
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "approve_pitch",
    "decide_pitch",
    "get_pitch",
    "get_pitch_by_slug",
    "list_pitches",
    "propose_pitch",
    "reject_pitch",
]

_Q = queries.load()
_PROPOSE = _Q["pitches.propose_pitch"]
_GET = _Q["pitches.get_pitch"]
_GET_BY_SLUG = _Q["pitches.get_pitch_by_slug"]
_LIST = _Q["pitches.list_pitches"]
_DECIDE = _Q["pitches.decide_pitch"]

_ROW = model_row(Pitch)


async def propose_pitch(conn: AsyncConnection[Any], data: PitchCreate) -> Pitch:
    """Insert a proposal; a taken slug is a Conflict naming it."""
    return await insert(
        conn,
        _PROPOSE,
        _ROW,
        data,
        entity="pitch",
        target_cells=Json([cell.value for cell in data.target_cells]),
    )


async def get_pitch(conn: AsyncConnection[Any], pitch_id: uuid.UUID) -> Pitch | None:
    """One pitch by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=pitch_id)


async def get_pitch_by_slug(conn: AsyncConnection[Any], slug: str) -> Pitch | None:
    """One pitch by slug, or None."""
    return await queries.fetch_one(conn, _GET_BY_SLUG, _ROW, slug=slug)


async def list_pitches(
    conn: AsyncConnection[Any],
    *,
    status: PitchStatus | None = None,
    before: Pitch | None = None,
    limit: int = 50,
) -> list[Pitch]:
    """Pitches (of one status, or all), newest first; pass the last one as before for more."""
    status = optional_enum_arg("status", PitchStatus, status)
    before_at: dt.datetime | None = before.created_at if before is not None else None
    before_id: uuid.UUID | None = before.id if before is not None else None
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        status=status,
        before_at=before_at,
        before_id=before_id,
        limit=checked_limit(limit),
    )


async def decide_pitch(
    conn: AsyncConnection[Any], pitch_id: uuid.UUID, decision: PitchDecision
) -> Pitch:
    """Record the verdict (and what approval provisioned) on a pitch that is still proposed.

    One conditional UPDATE, so of two racing decisions exactly one wins. A pitch that has
    already left ``proposed`` is a Conflict naming its current status; no pitch is NotFound.
    """
    project_ids = decision.provisioned_project_ids
    with translated("pitch"):
        pitch = await queries.fetch_one(
            conn,
            _DECIDE,
            _ROW,
            id=pitch_id,
            status=decision.status,
            decided_by=decision.decided_by,
            decision_notes=decision.decision_notes,
            provisioned_product_id=decision.provisioned_product_id,
            provisioned_project_ids=(
                Json([str(pid) for pid in project_ids]) if project_ids is not None else None
            ),
            seed_task_id=decision.seed_task_id,
        )
    if pitch is not None:
        return pitch
    raise missed(
        await get_pitch(conn, pitch_id),
        "pitch",
        pitch_id,
        lambda now: f"pitch '{now.slug}' is {now.status}, not proposed; it was already decided",
    )


async def approve_pitch(
    conn: AsyncConnection[Any],
    pitch_id: uuid.UUID,
    *,
    decided_by: uuid.UUID,
    provisioned_product_id: uuid.UUID | None = None,
    provisioned_project_ids: Sequence[uuid.UUID] = (),
    seed_task_id: uuid.UUID | None = None,
    notes: str | None = None,
) -> Pitch:
    """Approve a proposed pitch as provisioned, recording the product, projects and seed task."""
    decision = built(
        "pitch decision",
        PitchDecision,
        status=PitchStatus.PROVISIONED,
        decided_by=decided_by,
        decision_notes=notes,
        provisioned_product_id=provisioned_product_id,
        provisioned_project_ids=provisioned_project_ids,
        seed_task_id=seed_task_id,
    )
    return await decide_pitch(conn, pitch_id, decision)


async def reject_pitch(
    conn: AsyncConnection[Any],
    pitch_id: uuid.UUID,
    *,
    decided_by: uuid.UUID,
    notes: str | None = None,
) -> Pitch:
    """Reject a proposed pitch; nothing is provisioned."""
    decision = built(
        "pitch decision",
        PitchDecision,
        status=PitchStatus.REJECTED,
        decided_by=decided_by,
        decision_notes=notes,
    )
    return await decide_pitch(conn, pitch_id, decision)
