"""Products: a per-cell map of projects, so one board task can fan out to several repos."""

from __future__ import annotations

import uuid
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from roboco_sql.models.base import Name, Patch, Row, Slug, StampedCreate
from roboco_sql.models.enums import CELL_TEAMS, Team

__all__ = ["Product", "ProductCellMapping", "ProductCreate", "ProductProject", "ProductUpdate"]


class Product(Row):
    """Row of ``products``; its cell mappings are ``ProductProject`` rows."""

    __table__ = "products"

    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    created_by: uuid.UUID
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class ProductProject(Row):
    """Row of ``product_projects``: the project one cell builds for one product."""

    __table__ = "product_projects"

    id: uuid.UUID
    product_id: uuid.UUID
    team: Team
    project_id: uuid.UUID


def _require_cell(team: Team) -> Team:
    if team not in CELL_TEAMS:
        cells = ", ".join(sorted(CELL_TEAMS))
        raise ValueError(f"team must be a cell ({cells}), got {team.value!r}")
    return team


class ProductCellMapping(BaseModel):
    """One cell -> project assignment; only delivery cells own repos."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: Team
    project_id: uuid.UUID

    _cell = field_validator("team")(_require_cell)


def _one_project_per_cell(cells: list[ProductCellMapping]) -> None:
    teams = [cell.team for cell in cells]
    if len(set(teams)) != len(teams):
        raise ValueError("each cell may map to only one project per product")


class ProductCreate(StampedCreate):
    """A new product and its initial cell map (the database allows one project per cell)."""

    __table__ = "products"

    name: Name
    slug: Slug
    description: str | None = None
    cells: list[ProductCellMapping] = Field(default_factory=list)
    created_by: uuid.UUID

    @model_validator(mode="after")
    def _unique_cells(self) -> Self:
        _one_project_per_cell(self.cells)
        return self


class ProductUpdate(Patch):
    """Editable product attributes; ``cells`` replaces the whole map when given."""

    __table__ = "products"
    __nullable__ = frozenset({"description"})

    name: Name | None = None
    description: str | None = None
    cells: list[ProductCellMapping] | None = None

    @model_validator(mode="after")
    def _unique_cells(self) -> Self:
        if self.cells is not None:
            _one_project_per_cell(self.cells)
        return self
