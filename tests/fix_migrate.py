"""What the migration tests share: a small chain written to disk, one-shot reads of a
database by URL (each opens its own connection, so it sees only what was committed), and the
names our additions leave at head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

# our additions' indexes and constraints at head when default and task_scope_check are applied
# (the parent index gave way to RoboCo's ix_tasks_parent_task_id in 069)
OURS_AT_HEAD = frozenset(
    {
        "rsql_tasks_dependency_ids",
        "rsql_tasks_claim_queue",
        "rsql_tasks_scope",
        "rsql_tasks_branch_name",
        "rsql_tasks_pr_number",
        "rsql_tasks_created_at",
    }
)


def write_chain(directory: Path, files: dict[str, str]) -> Path:
    """A chain of small files: name -> body (headers added from the order given)."""
    directory.mkdir(parents=True, exist_ok=True)
    parent = ""
    for name, body in files.items():
        rev = name.removesuffix(".sql")
        (directory / name).write_text(
            f"-- revision: {rev}\n-- down_revision: {parent}\n{body}", encoding="utf-8"
        )
        parent = rev
    return directory


def rows(url: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    """Every row the query returns."""
    with psycopg.connect(url) as conn:
        return conn.execute(query, args or None).fetchall()


def row(url: str, query: str, *args: Any) -> tuple[Any, ...] | None:
    """The query's first row (None when it returns none)."""
    with psycopg.connect(url) as conn:
        return conn.execute(query, args or None).fetchone()


def one(url: str, query: str, *args: Any) -> Any:
    """The first column of the query's first row (None when it returns none)."""
    first = row(url, query, *args)
    return None if first is None else first[0]


def names(url: str, query: str) -> set[Any]:
    """The first column of every row, as a set (names of indexes, tables...)."""
    return {first for first, *_ in rows(url, query)}
