"""Pitches: board proposals that, once the CEO approves, provision repos and a product."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import AwareDatetime, Field, field_validator

from roboco_sql.models.base import JsonArray, Patch, Row, Slug, StampedCreate, Title
from roboco_sql.models.enums import CELL_TEAMS, Team

__all__ = ["Pitch", "PitchCreate", "PitchDecision", "PitchStatus"]


class PitchStatus(StrEnum):
    """Values of the ``pitches.status`` column (a varchar, not a PostgreSQL enum)."""

    PROPOSED = "proposed"
    PROVISIONED = "provisioned"
    REJECTED = "rejected"
    FAILED = "failed"


class Pitch(Row):
    """Row of ``pitches``; the id columns carry no foreign keys, so they may dangle."""

    __table__ = "pitches"

    id: uuid.UUID
    title: str
    slug: str
    problem: str
    proposed_solution: str
    target_cells: JsonArray
    status: str
    created_by: uuid.UUID
    decided_by: uuid.UUID | None
    decision_notes: str | None
    provisioned_product_id: uuid.UUID | None
    provisioned_project_ids: JsonArray | None
    seed_task_id: uuid.UUID | None
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class PitchCreate(StampedCreate):
    """A new proposal; it must name at least one delivery cell to build it."""

    __table__ = "pitches"

    title: Title
    slug: Slug
    problem: str = Field(min_length=1)
    proposed_solution: str = Field(min_length=1)
    target_cells: list[Team] = Field(min_length=1)
    status: PitchStatus = PitchStatus.PROPOSED
    created_by: uuid.UUID

    @field_validator("target_cells")
    @classmethod
    def _cells_only(cls, cells: list[Team]) -> list[Team]:
        strays = [team.value for team in cells if team not in CELL_TEAMS]
        if strays:
            allowed = ", ".join(sorted(CELL_TEAMS))
            raise ValueError(f"target_cells must be cells ({allowed}), got {strays}")
        return cells


class PitchDecision(Patch):
    """The CEO's verdict on a proposed pitch, plus what provisioning produced."""

    __table__ = "pitches"
    __nullable__ = frozenset(
        {"decision_notes", "provisioned_product_id", "provisioned_project_ids", "seed_task_id"}
    )

    status: PitchStatus
    decided_by: uuid.UUID
    decision_notes: str | None = None
    provisioned_product_id: uuid.UUID | None = None
    provisioned_project_ids: list[uuid.UUID] | None = None
    seed_task_id: uuid.UUID | None = None

    @field_validator("status")
    @classmethod
    def _decided(cls, status: PitchStatus) -> PitchStatus:
        if status is PitchStatus.PROPOSED:
            raise ValueError("a decision moves a pitch out of 'proposed'")
        return status
