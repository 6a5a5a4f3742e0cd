"""Products and their per-cell repo map, so one board task can fan out to several projects."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import NotFound
from roboco_sql.models.enums import Team
from roboco_sql.models.product import (
    Product,
    ProductCellMapping,
    ProductCreate,
    ProductProject,
    ProductUpdate,
)
from roboco_sql.models.project import Project, TaskProgress
from roboco_sql.repos._checks import enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert
from roboco_sql.repos._paging import Page, checked_limit, checked_offset
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "ProductMap",
    "create_product",
    "delete_product",
    "get_product",
    "get_product_by_slug",
    "list_product_projects",
    "list_products",
    "list_products_of_project",
    "page_products",
    "resolve_project",
    "task_progress",
    "update_product",
]

_Q = queries.load()
_CREATE = _Q["products.create_product"]
_ADD_CELLS = _Q["products.add_product_projects"]
_DELETE_CELLS = _Q["products.delete_product_projects"]
_GET = _Q["products.get_product"]
_GET_BY_SLUG = _Q["products.get_product_by_slug"]
_LIST = _Q["products.list_products"]
_LIST_CELLS = _Q["products.list_product_projects"]
_LIST_OF_PROJECT = _Q["products.list_products_of_project"]
_UPDATE = _Q["products.update_product"]
_RESOLVE = _Q["products.resolve_product_project"]
_PAGE = _Q["products.page_products"]
_COUNT = _Q["products.count_products"]
_CELLS_OF = _Q["products.list_product_projects_of_products"]
_DELETE = _Q["products.delete_product"]
_PROGRESS = _Q["products.task_progress_of_products"]

_ROW = model_row(Product)
_CELL_ROW = model_row(ProductProject)
_PROJECT_ROW = model_row(Project)
_PROGRESS_ROW = model_row(TaskProgress)


@dataclass(frozen=True, slots=True)
class ProductMap:
    """A product with its cell map (one ``ProductProject`` per cell, in team order)."""

    product: Product
    cells: list[ProductProject]

    def project_id(self, cell: Team) -> uuid.UUID | None:
        """The project the cell builds for this product, if it has one."""
        return next((c.project_id for c in self.cells if c.team == cell), None)


async def _add_cells(
    conn: AsyncConnection[Any], product_id: uuid.UUID, cells: list[ProductCellMapping]
) -> list[ProductProject]:
    if not cells:
        return []
    rows = await queries.fetch_all(
        conn,
        _ADD_CELLS,
        _CELL_ROW,
        product_id=product_id,
        ids=[uuid.uuid4() for _ in cells],
        teams=[c.team for c in cells],
        project_ids=[c.project_id for c in cells],
    )
    return sorted(rows, key=lambda r: list(Team).index(r.team))


async def create_product(conn: AsyncConnection[Any], data: ProductCreate) -> ProductMap:
    """Insert a product and its cell map in one transaction: all of it or none of it.

    A taken slug is a Conflict; an unknown creator or project is NotFound naming the id.
    """
    async with queries.atomic(conn):
        product = await insert(conn, _CREATE, _ROW, data, entity="product")
        with translated("product"):
            cells = await _add_cells(conn, product.id, data.cells)
    return ProductMap(product, cells)


async def get_product(conn: AsyncConnection[Any], product_id: uuid.UUID) -> ProductMap | None:
    """A product with its cell map, or None."""
    product = await queries.fetch_one(conn, _GET, _ROW, id=product_id)
    if product is None:
        return None
    return ProductMap(product, await list_product_projects(conn, product.id))


async def get_product_by_slug(conn: AsyncConnection[Any], slug: str) -> ProductMap | None:
    """A product (by slug) with its cell map, or None."""
    product = await queries.fetch_one(conn, _GET_BY_SLUG, _ROW, slug=slug)
    if product is None:
        return None
    return ProductMap(product, await list_product_projects(conn, product.id))


async def list_products(
    conn: AsyncConnection[Any], *, after_slug: str | None = None, limit: int = 100
) -> list[Product]:
    """Products by slug, without their maps; pass the last slug as after_slug for more."""
    return await queries.fetch_all(
        conn, _LIST, _ROW, after_slug=after_slug, limit=checked_limit(limit)
    )


async def list_product_projects(
    conn: AsyncConnection[Any], product_id: uuid.UUID
) -> list[ProductProject]:
    """A product's cell map in team order (empty for an unknown product)."""
    return await queries.fetch_all(conn, _LIST_CELLS, _CELL_ROW, product_id=product_id)


async def list_products_of_project(
    conn: AsyncConnection[Any], project_id: uuid.UUID
) -> list[Product]:
    """The products whose cell map includes the project, by slug."""
    return await queries.fetch_all(conn, _LIST_OF_PROJECT, _ROW, project_id=project_id)


async def update_product(
    conn: AsyncConnection[Any], product_id: uuid.UUID, patch: ProductUpdate
) -> ProductMap:
    """Write the fields the patch set; ``cells``, when given, replaces the whole map.

    One transaction, so a refused mapping leaves the old map in place. NotFound if there is
    no such product, or naming the project a mapping points at when that is missing.
    """
    changes = patch.changes()
    async with queries.atomic(conn):
        with translated("product"):
            product = await queries.fetch_one(
                conn,
                _UPDATE,
                _ROW,
                id=product_id,
                **patch_params(changes, ("name", "description")),
            )
            if product is None:
                raise NotFound(f"product {product_id} not found")
            if patch.cells is None:
                cells = await list_product_projects(conn, product_id)
            else:
                await queries.execute_rows(conn, _DELETE_CELLS, product_id=product_id)
                cells = await _add_cells(conn, product_id, patch.cells)
    return ProductMap(product, cells)


async def resolve_project(
    conn: AsyncConnection[Any], product_id: uuid.UUID, cell: Team
) -> Project | None:
    """The project that ``cell`` builds for the product, or None when the cell has none."""
    return await queries.fetch_one(
        conn, _RESOLVE, _PROJECT_ROW, product_id=product_id, team=enum_arg("cell", Team, cell)
    )


async def page_products(
    conn: AsyncConnection[Any], *, offset: int = 0, limit: int = 100
) -> Page[ProductMap]:
    """Products by name with their cell maps, one offset page with the total (RoboCo's
    list_all): three statements whatever the page size. A cell's project is
    ``projects.get_project`` (or one ``list_product_projects`` join, resolve_project)."""
    products = await queries.fetch_all(
        conn, _PAGE, _ROW, offset=checked_offset(offset), limit=checked_limit(limit)
    )
    cells: dict[uuid.UUID, list[ProductProject]] = {p.id: [] for p in products}
    if products:
        for cell in await queries.fetch_all(conn, _CELLS_OF, _CELL_ROW, product_ids=list(cells)):
            cells[cell.product_id].append(cell)
    total = await queries.fetch_scalar(conn, _COUNT, int) or 0
    items = [ProductMap(p, cells[p.id]) for p in products]
    return Page(items=items, total=total, offset=offset, limit=limit)


async def delete_product(conn: AsyncConnection[Any], product_id: uuid.UUID) -> bool:
    """Delete a product and its cell map; False when there was none. Conflict, with nothing
    changed, while tasks still point at it (tasks.product_id is RESTRICT, as in RoboCo)."""
    with translated("product"):
        return await queries.execute_rows(conn, _DELETE, id=product_id) > 0


async def task_progress(
    conn: AsyncConnection[Any], product_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, TaskProgress]:
    """Each product's tasks by progress across its cells' projects (a project several cells
    share counted once), in one grouped statement; a product with no tasks is absent."""
    rows = await queries.fetch_all(conn, _PROGRESS, _PROGRESS_ROW, ids=list(set(product_ids)))
    return {r.id: r for r in rows}
