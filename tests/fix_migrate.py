"""What the migration tests share: small chains written to disk (SMALL, three revisions with
down sections), one-shot reads of a database by URL (each opens its own connection, so it sees
only what was committed), a database left as RoboCo's Alembic would leave it, and the names
our additions leave at head."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import psycopg
import pytest

from roboco_sql.migrate import load_chain
from roboco_sql.migrate.bookkeeping import LOCK_KEY
from roboco_sql.migrate.chain import Chain
from roboco_sql.migrate.report import Options

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


def chain_of(tmp_path: Path, files: dict[str, str], additions_dir: Path | None = None) -> Chain:
    """A chain of small files (write_chain's) in tmp_path/m, with additions_dir's additions."""
    return load_chain(write_chain(tmp_path / "m", files), additions_dir)


# three revisions, each with a down section: a table, a column whose values going back loses,
# an index under its own lock_timeout
SMALL = {
    "001_t.sql": "CREATE TABLE t (a int);\n\n-- down\nDROP TABLE t;\n",
    "002_b.sql": "ALTER TABLE t ADD COLUMN b int;\n\n-- down\n"
    "-- irreversible: t.b goes with its values\nALTER TABLE t DROP COLUMN b;\n",
    "003_c.sql": "-- lock_timeout: 150ms\nCREATE INDEX ix_t_a ON t (a);\n\n-- down\n"
    "DROP INDEX ix_t_a;\n",
}
NO_ADDITIONS = Options(additions=frozenset({"none"}))
TABLE = "CREATE TABLE t (a int, b int, c int);\nINSERT INTO t VALUES (1, 1, 1), (2, 1, 2);\n"


def small(tmp_path: Path) -> Chain:
    """SMALL written to tmp_path/small."""
    return load_chain(write_chain(tmp_path / "small", SMALL))


def small_at_head(tmp_path: Path, url: str) -> Chain:
    """SMALL applied to url without our additions: the database most runner tests start from."""
    from roboco_sql.migrate import migrate

    chain = small(tmp_path)
    migrate(url, chain, options=NO_ADDITIONS)
    return chain


def forget_runner(url: str, *, version_table: bool) -> None:
    """Leave the database as RoboCo's Alembic (or a restore without alembic_version) would."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA roboco_sql CASCADE")
        if not version_table:
            conn.execute("DROP TABLE alembic_version")


@contextmanager
def lock_held(url: str, application_name: str = "") -> Iterator[psycopg.Connection[Any]]:
    """Another session holding the migration lock for the block (a migrator at work)."""
    with psycopg.connect(url, autocommit=True, application_name=application_name) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        yield holder


def ticking_clock(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> None:
    """Give module a clock (its `time`) that reads 2 s later at each call, so a step timed by
    two readings takes exactly 2000 ms."""
    readings = iter(range(0, 100_000, 2))
    monkeypatch.setattr(module, "time", SimpleNamespace(perf_counter=lambda: float(next(readings))))
