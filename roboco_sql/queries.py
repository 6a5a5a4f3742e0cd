"""Named SQL queries: sql/queries/*.sql loaded once, compiled to $n, run on raw cursors.

A file is a run of blocks:

    -- name: get_task :one
    -- Fetch one task by id.          (optional docstring lines)
    SELECT ... FROM tasks WHERE id = :id;

Repositories call ``queries.load()`` once and run what it gives with ``queries.fetch_one`` and
its siblings. The machinery lives in :mod:`roboco_sql._queries`, one concept per module: what a
query is (``query``), reading one file (``parse``), the column-list and fragment includes
(``include``), reading a directory with its templates (``load``), and running statements with
the savepoint rules (``run``). This module is the one import path for all of it.
"""

from __future__ import annotations

from roboco_sql._queries.include import column_lists, fragments, include
from roboco_sql._queries.load import default_dir, load, render
from roboco_sql._queries.parse import parse
from roboco_sql._queries.query import Queries, Query, QueryFileError, QueryKind
from roboco_sql._queries.run import (
    atomic,
    execute,
    execute_many,
    execute_rows,
    fetch_all,
    fetch_one,
    fetch_scalar,
)

__all__ = [
    "Queries",
    "Query",
    "QueryFileError",
    "QueryKind",
    "atomic",
    "column_lists",
    "default_dir",
    "execute",
    "execute_many",
    "execute_rows",
    "fetch_all",
    "fetch_one",
    "fetch_scalar",
    "fragments",
    "include",
    "load",
    "parse",
    "render",
]
