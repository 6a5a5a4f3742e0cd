"""The RAG dead letter: failed index writes queued for retry with a doubling, capped backoff."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.rag_failure import RagIndexFailure
from roboco_sql.repos._inputs import returned
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "BASE_BACKOFF_SECONDS",
    "MAX_BACKOFF_SECONDS",
    "bump_rag_failure",
    "count_rag_failures",
    "delete_rag_failure",
    "due_rag_failures",
    "enqueue_rag_failure",
]

BASE_BACKOFF_SECONDS = 60
MAX_BACKOFF_SECONDS = 3600

_Q = queries.load()
_ENQUEUE = _Q["rag_index_failures.enqueue_rag_failure"]
_DUE = _Q["rag_index_failures.due_rag_failures"]
_BUMP = _Q["rag_index_failures.bump_rag_failure"]
_DELETE = _Q["rag_index_failures.delete_rag_failure"]
_COUNT = _Q["rag_index_failures.count_rag_failures"]

_ROW = model_row(RagIndexFailure)


async def enqueue_rag_failure(
    conn: AsyncConnection[Any], doc_source: str, payload: Mapping[str, Any], error: str
) -> RagIndexFailure:
    """Queue a failed index write (error cut to 8000 characters); first retry in a minute."""
    if not 1 <= len(doc_source) <= 32:
        raise ValidationError("doc_source must be 1 to 32 characters")
    return await returned(
        conn,
        _ENQUEUE,
        _ROW,
        "rag index failure",
        id=uuid.uuid4(),
        doc_source=doc_source,
        payload=Jsonb(dict(payload)),
        last_error=error,
        first_backoff_seconds=BASE_BACKOFF_SECONDS,
    )


async def due_rag_failures(
    conn: AsyncConnection[Any], *, now: dt.datetime | None = None, limit: int = 100
) -> list[RagIndexFailure]:
    """Failures due for a retry at ``now`` (default: the server's now), earliest first."""
    if now is not None and now.tzinfo is None:
        raise ValidationError("now must be timezone-aware")
    return await queries.fetch_all(conn, _DUE, _ROW, now=now, limit=checked_limit(limit))


async def bump_rag_failure(
    conn: AsyncConnection[Any], failure_id: uuid.UUID, error: str
) -> RagIndexFailure | None:
    """Count a failed retry and back off (1, 2, 4, ... minutes, at most an hour); None if the
    row is gone."""
    return await queries.fetch_one(
        conn,
        _BUMP,
        _ROW,
        id=failure_id,
        last_error=error,
        base_seconds=float(BASE_BACKOFF_SECONDS),
        max_seconds=float(MAX_BACKOFF_SECONDS),
    )


async def delete_rag_failure(conn: AsyncConnection[Any], failure_id: uuid.UUID) -> bool:
    """Drop a failure whose retry succeeded; False if it was already gone."""
    return await queries.execute_rows(conn, _DELETE, id=failure_id) == 1


async def count_rag_failures(conn: AsyncConnection[Any]) -> int:
    """How many index writes wait in the dead letter."""
    return await queries.fetch_scalar(conn, _COUNT, int) or 0
