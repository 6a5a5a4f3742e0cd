"""Knowledge-base bookkeeping: one row per document indexed into a RAG chunk table."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import AwareDatetime, Field

from roboco_sql.models.base import Create, JsonObject, Row, utcnow

__all__ = ["IndexType", "IndexedDocument", "IndexedDocumentCreate"]


class IndexType(StrEnum):
    """Values of ``indexed_documents.index_type``; each names a ``chunks_<type>`` table.

    RoboCo v0.29.0's list: ``conversations`` is gone (060_drop_messaging drops its table),
    ``playbooks`` and ``vault_notes`` are new.
    """

    CODE = "code"
    DOCUMENTATION = "documentation"
    JOURNALS = "journals"
    ERRORS = "errors"
    STANDARDS = "standards"
    DECISIONS = "decisions"
    REVIEWS = "reviews"
    LEARNINGS = "learnings"
    PLAYBOOKS = "playbooks"
    VAULT_NOTES = "vault_notes"


class IndexedDocument(Row):
    """Row of ``indexed_documents``; one per (index_type, source_hash)."""

    __table__ = "indexed_documents"

    id: uuid.UUID
    index_type: str
    source: str
    source_hash: str
    title: str | None
    preview: str | None
    chunk_count: int
    extra_data: JsonObject
    indexed_at: AwareDatetime
    updated_at: AwareDatetime | None


class IndexedDocumentCreate(Create):
    """A document just indexed; ``source_hash`` is the SHA-256 hex of its content."""

    __table__ = "indexed_documents"

    index_type: IndexType
    source: str = Field(min_length=1, max_length=1000)
    source_hash: str = Field(pattern=r"^[0-9a-f]{64}$", max_length=64)
    title: str | None = Field(default=None, max_length=500)
    preview: str | None = None
    chunk_count: int = Field(default=0, ge=0)
    extra_data: JsonObject = Field(default_factory=dict)
    indexed_at: AwareDatetime = Field(default_factory=utcnow)
