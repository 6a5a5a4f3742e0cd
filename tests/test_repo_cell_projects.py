"""roboco_sql.repos.cell_projects against a real database: a task's per-cell project map."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.enums import Team
from roboco_sql.repos import cell_projects
from tests.fix_rows import make_agent, make_project, make_task

Conn = AsyncConnection[Any]


async def test_set_get_replace_and_clear_the_map(conn: Conn) -> None:
    pm = await make_agent(conn, "main-pm")
    api = await make_project(conn, pm, "api", "backend")
    web = await make_project(conn, pm, "web", "frontend")
    web2 = await make_project(conn, pm, "web2", "frontend")
    task = await make_task(conn, pm)
    assert await cell_projects.task_has_cell_projects(conn, task) is False

    rows = await cell_projects.set_task_cell_projects(
        conn, task, {Team.FRONTEND: web, "backend": api}
    )
    assert [(r.team, r.project_id) for r in rows] == [(Team.BACKEND, api), (Team.FRONTEND, web)]
    assert await cell_projects.task_has_cell_projects(conn, task) is True
    one = await cell_projects.get_task_cell_project(conn, task, Team.FRONTEND)
    assert one is not None and one.project_id == web
    assert await cell_projects.get_task_cell_project(conn, task, Team.UX_UI) is None

    kept_id = rows[1].id
    rows = await cell_projects.set_task_cell_projects(conn, task, {Team.FRONTEND: web2})
    assert [(r.team, r.project_id) for r in rows] == [(Team.FRONTEND, web2)]
    assert rows[0].id == kept_id  # repointed in place, not a new row
    assert await cell_projects.list_task_cell_projects(conn, task) == rows

    assert await cell_projects.set_task_cell_projects(conn, task, {}) == []
    assert await cell_projects.task_has_cell_projects(conn, task) is False


async def test_unknown_task_or_project_is_not_found_and_changes_nothing(conn: Conn) -> None:
    pm = await make_agent(conn, "main-pm")
    api = await make_project(conn, pm, "api")
    task = await make_task(conn, pm)
    await cell_projects.set_task_cell_projects(conn, task, {Team.BACKEND: api})
    with pytest.raises(NotFound, match="projects"):
        async with conn.transaction():
            await cell_projects.set_task_cell_projects(conn, task, {Team.FRONTEND: uuid.uuid4()})
    with pytest.raises(NotFound, match="tasks"):
        async with conn.transaction():
            await cell_projects.set_task_cell_projects(conn, uuid.uuid4(), {Team.BACKEND: api})
    rows = await cell_projects.list_task_cell_projects(conn, task)
    assert [(r.team, r.project_id) for r in rows] == [(Team.BACKEND, api)]


async def test_only_delivery_cells_are_accepted(conn: Conn) -> None:
    task = uuid.uuid4()
    with pytest.raises(ValidationError, match="not a delivery cell"):
        await cell_projects.set_task_cell_projects(conn, task, {Team.BOARD: uuid.uuid4()})
    with pytest.raises(ValidationError, match="not a team"):
        await cell_projects.set_task_cell_projects(conn, task, {"kitchen": uuid.uuid4()})
