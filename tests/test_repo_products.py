"""roboco_sql.repos.products against a real database: products and their per-cell repo map."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound
from roboco_sql.models.enums import Team
from roboco_sql.models.product import ProductCellMapping, ProductCreate, ProductUpdate
from roboco_sql.models.project import Project, ProjectCreate
from roboco_sql.repos import products, projects
from tests.fix_conn import count
from tests.fix_rows import make_agent, make_task

Conn = AsyncConnection[Any]


@pytest.fixture
async def owner(conn: Conn) -> uuid.UUID:
    return await make_agent(conn, "product-owner", role="product_owner", team="board")


@pytest.fixture
async def repos(conn: Conn, owner: uuid.UUID) -> dict[Team, Project]:
    """One project per cell."""
    made = {}
    for cell, slug in ((Team.BACKEND, "shop-be"), (Team.FRONTEND, "shop-fe"), (Team.UX_UI, "ux")):
        made[cell] = await projects.create_project(
            conn,
            ProjectCreate(
                name=slug,
                slug=slug,
                git_url=f"https://github.com/acme/{slug}.git",
                assigned_cell=cell,
                created_by=owner,
            ),
        )
    return made


@pytest.fixture
async def autocommit(db_url: str) -> AsyncIterator[Conn]:
    """A second connection in autocommit mode: what a failed call leaves is really there."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
        yield c


def cells(**by_team: uuid.UUID) -> list[ProductCellMapping]:
    return [ProductCellMapping(team=Team(t), project_id=p) for t, p in by_team.items()]


def shop(owner: uuid.UUID, **kw: Any) -> ProductCreate:
    """The product most tests make: "Shop", slug shop, created by the owner."""
    return ProductCreate(name="Shop", slug="shop", created_by=owner, **kw)


async def test_create_with_map_and_get(
    conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    data = shop(
        owner,
        description="the web shop",
        cells=cells(frontend=repos[Team.FRONTEND].id, backend=repos[Team.BACKEND].id),
    )
    made = await products.create_product(conn, data)
    assert made.product.id == data.id
    assert made.product.slug == "shop"
    assert made.product.description == "the web shop"
    assert [(c.team, c.project_id) for c in made.cells] == [
        (Team.BACKEND, repos[Team.BACKEND].id),
        (Team.FRONTEND, repos[Team.FRONTEND].id),
    ]
    assert all(c.product_id == data.id for c in made.cells)
    assert made.project_id(Team.FRONTEND) == repos[Team.FRONTEND].id
    assert made.project_id(Team.UX_UI) is None

    assert await products.get_product(conn, data.id) == made
    assert await products.get_product_by_slug(conn, "shop") == made
    assert await products.list_product_projects(conn, data.id) == made.cells


async def test_create_without_cells(conn: Conn, owner: uuid.UUID) -> None:
    made = await products.create_product(
        conn, ProductCreate(name="Idea", slug="idea", created_by=owner)
    )
    assert made.cells == []
    assert await products.get_product(conn, made.product.id) == made


async def test_a_missing_product_has_no_projects(conn: Conn) -> None:
    assert await products.list_product_projects(conn, uuid.uuid4()) == []


async def test_resolve_project_per_cell(
    conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    made = await products.create_product(
        conn,
        shop(owner, cells=cells(backend=repos[Team.BACKEND].id, ux_ui=repos[Team.UX_UI].id)),
    )
    pid = made.product.id
    assert await products.resolve_project(conn, pid, Team.BACKEND) == repos[Team.BACKEND]
    assert await products.resolve_project(conn, pid, Team.UX_UI) == repos[Team.UX_UI]
    assert await products.resolve_project(conn, pid, Team.FRONTEND) is None
    assert await products.resolve_project(conn, uuid.uuid4(), Team.BACKEND) is None


async def test_a_bad_mapping_writes_nothing(
    autocommit: Conn, owner: uuid.UUID, repos: dict[Team, Project], conn: Conn
) -> None:
    await conn.commit()  # make the fixtures' agent and projects visible to autocommit
    ghost = uuid.uuid4()
    data = shop(owner, cells=cells(backend=repos[Team.BACKEND].id, frontend=ghost))
    with pytest.raises(NotFound, match=f"product: no projects row with project_id={ghost}"):
        await products.create_product(autocommit, data)
    assert await count(autocommit, "products") == 0
    assert await count(autocommit, "product_projects") == 0


async def test_duplicate_slug_is_a_conflict(conn: Conn, owner: uuid.UUID) -> None:
    await products.create_product(conn, ProductCreate(name="A", slug="shop", created_by=owner))
    with pytest.raises(Conflict, match="product with slug=shop already exists"):
        await products.create_product(conn, ProductCreate(name="B", slug="shop", created_by=owner))


async def test_unknown_creator_is_not_found(conn: Conn) -> None:
    ghost = uuid.uuid4()
    with pytest.raises(NotFound, match=f"product: no agents row with created_by={ghost}"):
        await products.create_product(conn, ProductCreate(name="A", slug="shop", created_by=ghost))


async def test_invalid_input_is_refused_before_sql(
    conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    be = repos[Team.BACKEND].id
    for bad in (
        {"slug": "Shop!"},
        {"name": ""},
        {"cells": [{"team": "board", "project_id": be}]},  # not a delivery cell
        {"cells": [{"team": "backend", "project_id": be}, {"team": "backend", "project_id": be}]},
    ):
        fields: dict[str, Any] = {"name": "S", "slug": "s", "created_by": owner, **bad}
        with pytest.raises(pydantic.ValidationError):
            await products.create_product(conn, ProductCreate.model_validate(fields))
    assert await count(conn, "products") == 0


async def test_list_and_products_of_project(
    conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    be = repos[Team.BACKEND].id
    for slug in ("c-prod", "a-prod", "b-prod"):
        mapped = cells(backend=be) if slug != "b-prod" else []
        await products.create_product(
            conn, ProductCreate(name=slug, slug=slug, created_by=owner, cells=mapped)
        )
    page = await products.list_products(conn, limit=2)
    assert [p.slug for p in page] == ["a-prod", "b-prod"]
    rest = await products.list_products(conn, after_slug=page[-1].slug)
    assert [p.slug for p in rest] == ["c-prod"]
    assert [p.slug for p in await products.list_products_of_project(conn, be)] == [
        "a-prod",
        "c-prod",
    ]
    assert await products.list_products_of_project(conn, repos[Team.UX_UI].id) == []


async def test_update_fields_and_replace_the_map(
    conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    made = await products.create_product(
        conn,
        shop(owner, description="old", cells=cells(backend=repos[Team.BACKEND].id)),
    )
    pid = made.product.id

    renamed = await products.update_product(conn, pid, ProductUpdate(name="Shop 2"))
    assert renamed.product.name == "Shop 2"
    assert renamed.product.description == "old"
    assert renamed.product.updated_at is not None
    assert renamed.cells == made.cells  # cells not given: map kept

    remapped = await products.update_product(
        conn,
        pid,
        ProductUpdate(
            description=None,
            cells=cells(frontend=repos[Team.FRONTEND].id, ux_ui=repos[Team.UX_UI].id),
        ),
    )
    assert remapped.product.description is None
    assert remapped.product.name == "Shop 2"
    assert [c.team for c in remapped.cells] == [Team.FRONTEND, Team.UX_UI]
    assert await products.resolve_project(conn, pid, Team.BACKEND) is None
    assert await products.get_product(conn, pid) == remapped

    emptied = await products.update_product(conn, pid, ProductUpdate(cells=[]))
    assert emptied.cells == []


async def test_a_bad_remap_keeps_the_old_map(
    autocommit: Conn, conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    made = await products.create_product(
        conn,
        shop(owner, cells=cells(backend=repos[Team.BACKEND].id)),
    )
    await conn.commit()
    ghost = uuid.uuid4()
    with pytest.raises(NotFound, match=f"no projects row with project_id={ghost}"):
        await products.update_product(
            autocommit, made.product.id, ProductUpdate(name="New", cells=cells(backend=ghost))
        )
    assert await products.get_product(autocommit, made.product.id) == made


async def test_update_missing_product(conn: Conn) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"product {missing} not found"):
        await products.update_product(conn, missing, ProductUpdate(name="x"))
    with pytest.raises(pydantic.ValidationError, match="NOT NULL"):
        ProductUpdate(name=None)


async def test_page_products_by_name_with_cells_and_total(
    conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    be, fe = repos[Team.BACKEND].id, repos[Team.FRONTEND].id
    for slug, name in (("a-prod", "Zeta"), ("b-prod", "Alpha"), ("c-prod", "Mid")):
        mapped = cells(backend=be, frontend=fe) if slug == "a-prod" else cells(backend=be)
        await products.create_product(
            conn, ProductCreate(name=name, slug=slug, created_by=owner, cells=mapped)
        )
    page = await products.page_products(conn, limit=2)
    assert [m.product.name for m in page.items] == ["Alpha", "Mid"]
    assert page.total == 3 and page.has_more
    assert [c.project_id for c in page.items[0].cells] == [be]
    rest = await products.page_products(conn, offset=2)
    assert [m.product.slug for m in rest.items] == ["a-prod"] and not rest.has_more
    assert {rest.items[0].project_id(Team.BACKEND), rest.items[0].project_id(Team.FRONTEND)} == {
        be,
        fe,
    }
    assert (await products.page_products(conn, offset=5)).items == []


async def test_delete_product_takes_its_map_and_refuses_while_tasks_point_at_it(
    conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    be = repos[Team.BACKEND].id
    made = await products.create_product(
        conn, ProductCreate(name="shop", slug="shop", created_by=owner, cells=cells(backend=be))
    )
    task = await make_task(conn, owner, be)
    await conn.execute("UPDATE tasks SET product_id = %s WHERE id = %s", (made.product.id, task))
    with pytest.raises(Conflict, match="still referenced from tasks"):
        await products.delete_product(conn, made.product.id)
    assert await count(conn, "product_projects") == 1  # the caller's transaction goes on
    await conn.execute("UPDATE tasks SET product_id = NULL WHERE id = %s", (task,))
    assert await products.delete_product(conn, made.product.id) is True
    assert await products.get_product(conn, made.product.id) is None
    assert await count(conn, "product_projects") == 0
    assert await products.delete_product(conn, made.product.id) is False
    assert await projects.get_project(conn, be) is not None


async def test_task_progress_per_product_counts_a_shared_project_once(
    conn: Conn, owner: uuid.UUID, repos: dict[Team, Project]
) -> None:
    be, fe = repos[Team.BACKEND].id, repos[Team.FRONTEND].id
    mono = await products.create_product(  # two cells, one repository
        conn,
        ProductCreate(
            name="mono", slug="mono", created_by=owner, cells=cells(backend=be, frontend=be)
        ),
    )
    split = await products.create_product(
        conn,
        ProductCreate(
            name="split", slug="split", created_by=owner, cells=cells(backend=be, frontend=fe)
        ),
    )
    empty = await products.create_product(
        conn, ProductCreate(name="none", slug="none", created_by=owner)
    )
    for status in ("completed", "blocked", "pending"):
        await make_task(conn, owner, be, status=status)
    await make_task(conn, owner, fe, status="completed")
    progress = await products.task_progress(
        conn, [mono.product.id, split.product.id, empty.product.id]
    )
    assert set(progress) == {mono.product.id, split.product.id}
    m, s = progress[mono.product.id], progress[split.product.id]
    assert (m.done, m.active, m.blocked) == (1, 1, 1)
    assert (s.done, s.active, s.blocked) == (2, 1, 1)
