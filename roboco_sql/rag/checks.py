"""Names and argument checks: every value is refused here, with a one-line error naming it,
before any SQL runs. Table names come from :class:`IndexType` only, never from input text."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from pgvector import Vector
from psycopg.types.json import Jsonb
from pydantic import JsonValue

from roboco_sql.errors import ValidationError
from roboco_sql.models.knowledge import IndexType
from roboco_sql.rag.limits import MAX_K, MAX_QUERY_CHARS, MAX_QUERY_WORDS
from roboco_sql.validate import check_json, check_text, check_vector, shown


def chunk_table(index_type: IndexType | str) -> str:
    """RoboCo's table for an index type: ``chunks_<type>``."""
    return f"chunks_{kind(index_type).value}"


def source_hash(source: str) -> str:
    """``indexed_documents.source_hash`` as RoboCo computes it: SHA-256 hex of the source."""
    return hashlib.sha256(check_text("source", source).encode()).hexdigest()


def kind(index_type: IndexType | str) -> IndexType:
    """The index type named, or a ValidationError listing the known ones."""
    try:
        return IndexType(index_type)
    except ValueError:
        names = ", ".join(t.value for t in IndexType)
        raise ValidationError(f"unknown index type {shown(index_type)} (one of: {names})") from None


def whole(name: str, value: int, low: int, high: int) -> int:
    """An integer argument within [low, high]; None, bool, float and str are refused too."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be between {low} and {high}, got {value!r}")
    return value


def check_k(k: int, name: str = "k") -> None:
    """A result count: 1 to MAX_K."""
    whole(name, k, 1, MAX_K)


def query_vector(values: Sequence[float]) -> Vector:
    """The query vector pgvector can compare: at most 16000 finite float4 values, not all
    zero (a zero vector's cosine distance is NaN, which would rank as noise)."""
    return Vector(check_vector("embedding", values, nonzero=True))


def filters(source: str | None, metadata: Mapping[str, JsonValue] | None) -> tuple[object, object]:
    """The ``source`` and ``metadata`` filters as bind values (None = no filter)."""
    if source is not None:
        check_text("source", source)
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise ValidationError("metadata must be a JSON object (a mapping)")
        check_json("metadata", metadata)
    return source, (Jsonb(dict(metadata)) if metadata else None)


def keywords(text: str) -> str:
    """A keyword query PostgreSQL can parse: text, no NUL or surrogate, bounded in size."""
    if not isinstance(text, str):
        raise ValidationError("text must be a string")
    check_text("text", text)
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(
            f"text is {len(text)} characters; a keyword query takes at most {MAX_QUERY_CHARS}"
        )
    if (words := len(text.split())) > MAX_QUERY_WORDS:
        raise ValidationError(
            f"text has {words} words; a keyword query takes at most {MAX_QUERY_WORDS}"
        )
    return text
