"""pgvector before the chain: created where possible, and a clear reason where not."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import errors as pgerr
from psycopg.rows import TupleRow

Conn = psycopg.Connection[TupleRow]


@dataclass(frozen=True)
class VectorStatus:
    enabled: bool
    reason: str | None = None  # why RAG is off
    version: str | None = None


def ensure_pgvector(conn: Conn) -> VectorStatus:
    """CREATE EXTENSION vector unless it is installed (so a non-superuser role works)."""
    row = conn.execute(
        "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector'), "
        "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')"
    ).fetchone()
    assert row is not None
    installed, available = row
    if installed:
        return VectorStatus(True, version=installed)
    if not available:
        return VectorStatus(False, "pgvector is not installed on the server")
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
