"""Per-cell project maps of tasks: which repository each cell of an ad-hoc root task uses."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.cell_project import TaskCellProject
from roboco_sql.models.enums import CELL_TEAMS, Team
from roboco_sql.repos._checks import enum_arg, member
from roboco_sql.repos._errors import translated
from roboco_sql.repos._rows import model_row

__all__ = [
    "get_task_cell_project",
    "list_task_cell_projects",
    "set_task_cell_projects",
    "task_has_cell_projects",
]

_Q = queries.load()
_SET = _Q["task_cell_projects.set_task_cell_projects"]
_LIST = _Q["task_cell_projects.list_task_cell_projects"]
_GET = _Q["task_cell_projects.get_task_cell_project"]
_HAS = _Q["task_cell_projects.task_has_cell_projects"]

_ROW = model_row(TaskCellProject)


def _cells(cells: Mapping[Team | str, uuid.UUID]) -> dict[Team, uuid.UUID]:
    checked: dict[Team, uuid.UUID] = {}
    for team, project_id in cells.items():
        cell = member(Team, team, f"cells: {team!r} is not a team")
        if cell not in CELL_TEAMS:
            allowed = ", ".join(sorted(CELL_TEAMS))
            raise ValidationError(f"cells: {cell.value} is not a delivery cell ({allowed})")
        if not isinstance(project_id, uuid.UUID):
            raise ValidationError(f"cells: the project of {cell.value} must be a UUID")
        checked[cell] = project_id
    return checked


async def set_task_cell_projects(
    conn: AsyncConnection[Any], task_id: uuid.UUID, cells: Mapping[Team | str, uuid.UUID]
) -> list[TaskCellProject]:
    """Make the task's cell map exactly ``cells`` (an empty map clears it); the map back, in
    team order. NotFound for an unknown task or project, before anything changes."""
    checked = _cells(cells)
    with translated("task cell map"):
        await queries.fetch_all(
            conn,
            _SET,
            _ROW,
            task_id=task_id,
            ids=[uuid.uuid4() for _ in checked],
            teams=[team.value for team in checked],
            project_ids=list(checked.values()),
        )
    return await list_task_cell_projects(conn, task_id)


async def list_task_cell_projects(
    conn: AsyncConnection[Any], task_id: uuid.UUID
) -> list[TaskCellProject]:
    """The task's cell map in team order; [] when it has none."""
    return await queries.fetch_all(conn, _LIST, _ROW, task_id=task_id)


async def get_task_cell_project(
    conn: AsyncConnection[Any], task_id: uuid.UUID, team: Team
) -> TaskCellProject | None:
    """The map entry of one cell of the task, or None."""
    return await queries.fetch_one(
        conn, _GET, _ROW, task_id=task_id, team=enum_arg("team", Team, team)
    )


async def task_has_cell_projects(conn: AsyncConnection[Any], task_id: uuid.UUID) -> bool:
    """Whether the task carries a cell map."""
    has = await queries.fetch_scalar(conn, _HAS, bool, task_id=task_id)
    return bool(has)
