"""What the knowledge base takes and gives: chunks in, hits and table reports out."""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, field_validator

from roboco_sql.errors import ValidationError
from roboco_sql.models.knowledge import IndexType
from roboco_sql.validate import check_json, check_text, check_vector

Db: TypeAlias = AsyncConnection[Any] | AsyncConnectionPool[Any]
"""What every function takes first: a connection (the caller owns its transaction) or a pool."""


class RagStatus(BaseModel):
    """Whether the knowledge base can run here, and if not, why (one line)."""

    model_config = ConfigDict(frozen=True)

    enabled: bool
    reason: str | None = None
    version: str | None = None


class ChunkIn(BaseModel):
    """One chunk to store: its text, the caller's embedding of it, and free-form metadata."""

    model_config = ConfigDict(frozen=True)

    content: str = Field(min_length=1)
    embedding: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(min_length=1)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("content")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("text columns cannot hold NUL characters")
        return value

    def check(self, number: int) -> None:
        """What pydantic does not see: surrogates, float4 range and width, JSON depth/size."""
        check_text(f"chunks[{number}].content", self.content)
        check_vector(f"chunks[{number}].embedding", self.embedding)
        check_json(f"chunks[{number}].metadata", self.metadata)


class Hit(BaseModel):
    """One search result; ``score`` is 1 - cosine distance (vector), ts_rank (keyword), or the
    reciprocal-rank-fusion sum (hybrid)."""

    model_config = ConfigDict(frozen=True)

    index_type: IndexType
    id: int
    content: str
    source: str
    metadata: dict[str, JsonValue]
    created_at: AwareDatetime
    score: float


class HybridHit(Hit):
    """A fused result with what each side said: ranks are 1-based, None where a side missed it;
    ``similarity`` (1 - cosine distance) is given for every hit with an embedding."""

    similarity: float | None
    vector_rank: int | None
    keyword_rank: int | None


class SourceEntry(BaseModel):
    """One source of a chunk table, as its newest chunk shows it."""

    model_config = ConfigDict(frozen=True)

    source: str
    id: int
    indexed_at: AwareDatetime
    metadata: dict[str, JsonValue]


class ChunkTable(BaseModel):
    """What :func:`~roboco_sql.rag.ensure_indexes` found and did for one index type."""

    model_config = ConfigDict(frozen=True)

    index_type: IndexType
    table: str
    dimensions: int
    created: bool
    built: list[str]
    dropped: list[str]


class DimensionMismatch(ValidationError):
    """Embeddings of one dimension met a chunk table made for another."""

    def __init__(self, table: str, table_dimensions: int | None, dimensions: int, message: str):
        self.table = table
        self.table_dimensions = table_dimensions
        self.dimensions = dimensions
        super().__init__(message)
