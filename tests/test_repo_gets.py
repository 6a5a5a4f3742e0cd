"""One contract of every repository read by key: a row that is not there is None, not an
error (RoboCo's call sites branch on None)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.repos import agents, products, projects, tasks

Get = Callable[[AsyncConnection[Any], Any], Awaitable[object]]


CASES: list[tuple[Get, object]] = [
    (agents.get_agent, uuid.uuid4()),
    (agents.get_agent_by_slug, "nobody"),
    (projects.get_project, uuid.uuid4()),
    (projects.get_project_by_slug, "nothing"),
    (products.get_product, uuid.uuid4()),
    (products.get_product_by_slug, "none"),
    (tasks.get_task, uuid.uuid4()),
]


@pytest.mark.parametrize(("get", "key"), CASES, ids=[get.__name__ for get, _ in CASES])
async def test_a_read_of_a_missing_key_is_none(
    conn: AsyncConnection[Any], get: Get, key: object
) -> None:
    assert await get(conn, key) is None
