"""Our task_lookup_indexes addition serves the lookups it is there for: the plans of the task
of a branch, of a PR across a repo's projects, and of the task list by creation time use it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from roboco_sql import queries

Conn = AsyncConnection[Any]


async def plan(conn: Conn, name: str, **params: object) -> str:
    q = queries.load()[name]
    async with psycopg.AsyncRawCursor(conn) as cur:
        await cur.execute("SET LOCAL enable_seqscan = off")  # a few rows: make the choice visible
        await cur.execute("EXPLAIN " + q.sql, q.args(params))
        return "\n".join(str(r[0]) for r in await cur.fetchall())


@pytest.mark.parametrize(
    ("query", "params", "index"),
    [
        (
            "task_queues.task_by_branch",
            {"branch_name": "feature/x", "project_id": None},
            "rsql_tasks_branch_name",
        ),
        ("task_queues.page_all_tasks", {"offset": 0, "limit": 20}, "rsql_tasks_created_at"),
        ("task_queues.page_all_tasks_oldest", {"offset": 0, "limit": 20}, "rsql_tasks_created_at"),
    ],
)
async def test_the_lookup_walks_our_index(
    conn: Conn, query: str, params: dict[str, object], index: str
) -> None:
    text = await plan(conn, query, **params)
    assert index in text, text
    assert "Sort" not in text or query.endswith("task_by_branch"), text
