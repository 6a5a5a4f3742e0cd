"""pgvector before the chain: created where possible, and a clear reason where not."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pgerr
from psycopg.rows import TupleRow

Conn = psycopg.Connection[TupleRow]


@dataclass(frozen=True)
class VectorStatus:
    enabled: bool
    reason: str | None = None  # why RAG is off
    version: str | None = None


PROBE = (
    "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector'), "
    "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')"
)


def ensure_pgvector(
    conn: Conn, serialized: Callable[[], AbstractContextManager[Any]] = nullcontext
) -> VectorStatus:
    """CREATE EXTENSION vector unless it is installed (so a non-superuser role works).

    The creation runs inside `serialized` (the migration lock), so processes booting
    together do not race to create it.
    """
    row = conn.execute(PROBE).fetchone()
    assert row is not None
    if row[0]:
        return VectorStatus(True, version=row[0])
    if not row[1]:
        return VectorStatus(False, "pgvector is not installed on the server")
    with serialized():
        return _create(conn)


def _create(conn: Conn) -> VectorStatus:
    row = conn.execute(PROBE).fetchone()
    assert row is not None
    if row[0]:
        return VectorStatus(True, version=row[0])  # another process was first
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except pgerr.InsufficientPrivilege:
        return VectorStatus(
            False,
            "creating the pgvector extension needs a superuser (or a "
            "trusted-extension grant): run CREATE EXTENSION vector once "
            "as one",
        )
    except (pgerr.UniqueViolation, pgerr.DuplicateObject):
        pass  # another process created it at the same moment
    except psycopg.Error as exc:
        return VectorStatus(
            False,
            f"could not create the pgvector extension: "
            f"{(exc.diag.message_primary or str(exc)).strip()}",
        )
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return VectorStatus(
        row is not None, None if row else "pgvector could not be created", row[0] if row else None
    )
