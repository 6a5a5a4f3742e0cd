"""The RAG dead letter: index writes that failed, kept for retry with a doubling backoff."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime

from roboco_sql.models.base import JsonObject, Row

__all__ = ["RagIndexFailure"]


class RagIndexFailure(Row):
    """Row of ``rag_index_failures``; ``payload`` (jsonb) replays the original index call."""

    __table__ = "rag_index_failures"

    id: uuid.UUID
    doc_source: str
    payload: JsonObject
    attempts: int
    last_error: str
    created_at: AwareDatetime
    next_retry_at: AwareDatetime
