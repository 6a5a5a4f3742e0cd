"""Bound values PostgreSQL cannot take, refused by name before any SQL runs.

Every named query's values pass ``check_params`` (queries.Query.args); RAG, whose statements
are built per table, calls the same checks itself. What is refused, and why:

- text with a NUL (``text`` cannot hold one; jsonb refuses ``\\u0000``) or a lone surrogate
  (not encodable as UTF-8);
- integers outside int8 (a bigint column or LIMIT fails on the server, a raw error);
- JSON deeper than MAX_JSON_DEPTH (psycopg's serializer recurses: RecursionError) or larger
  than MAX_JSON_CHARS, and NaN/infinity inside JSON (jsonb has no such numbers);
- vectors wider than pgvector's 16000, with NaN/infinity or values beyond float4's range;
- spans of time counted back from now that leave the calendar (``check_span``: Python's date
  arithmetic overflows long before PostgreSQL's interval does).

The checks walk with an explicit stack (never recursion) and cost nothing measurable for the
plain scalars most calls bind (a type lookup per value).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Final
from uuid import UUID

from psycopg.types.json import Json, Jsonb

from roboco_sql.errors import ValidationError

__all__ = [
    "FLOAT4_MAX",
    "INT8_MAX",
    "INT8_MIN",
    "MAX_JSON_CHARS",
    "MAX_JSON_DEPTH",
    "MAX_SPAN",
    "MAX_VECTOR_DIMENSIONS",
    "ParamRefused",
    "check_json",
    "check_param",
    "check_params",
    "check_span",
    "check_text",
    "check_vector",
]

INT8_MIN: Final = -(2**63)
INT8_MAX: Final = 2**63 - 1
MAX_JSON_DEPTH: Final = 64
MAX_JSON_CHARS: Final = 8 * 1024 * 1024
MAX_VECTOR_DIMENSIONS: Final = 16000  # pgvector's vector type
FLOAT4_MAX: Final = 3.4028234663852886e38
MAX_SPAN: Final = timedelta(days=365_000)  # a thousand years: now minus it stays after year 1
_MAX_ARRAY_DEPTH: Final = 6  # PostgreSQL's MAXDIM

_SURROGATE = re.compile("[\ud800-\udfff]")
# values psycopg binds as they are, with nothing in them PostgreSQL could refuse
_INERT: Final = frozenset(
    {type(None), bool, float, bytes, UUID, datetime, date, time, timedelta, Decimal}
)


def shown(value: object) -> str:
    """A refused value in an error: its repr, cut to one short line (never the whole of a
    500 kB string, never a newline)."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's 4300-digit limit for str()
        return f"an integer of {value.bit_length()} bits" if isinstance(value, int) else "?"
    return text if len(text) <= 60 else f"{text[:57]}..."


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "holds a NUL character, which PostgreSQL text cannot store"
    if not value.isascii() and _SURROGATE.search(value):
        return "holds a lone surrogate (not valid Unicode)"
    return None


def check_text(name: str, value: str) -> str:
    """`value`, or a ValidationError naming `name` when PostgreSQL could not store it."""
    problem = _text_problem(value)
    if problem is not None:
        raise ValidationError(f"{name} {problem}")
    return value


def check_json(name: str, value: object) -> None:
    """Refuse JSON PostgreSQL (or psycopg's serializer) cannot take: too deep, too large,
    NUL or surrogates in a key or string, NaN or infinity, a non-string key."""
    if (problem := _json_problem(value)) is not None:
        raise ValidationError(f"{name} {problem}")


def _json_problem(value: object) -> str | None:
    """What check_json refuses, said after the value's name; level by level (no recursion),
    each scalar looked at once where it sits."""
    level: list[object] = [value]
    depth = 0
    size = 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return f"is JSON nested deeper than {MAX_JSON_DEPTH} levels"
        below: list[object] = []
        for node in level:
            if isinstance(node, Mapping):
                for key in node:
                    if not isinstance(key, str):
                        return f"has a JSON key that is not a string: {key!r}"
                    size += len(key)
                    if (problem := _text_problem(key)) is not None:
                        return f"(a JSON key) {problem}"
                items: Iterable[object] = node.values()
                size += 4 * len(node)
            elif isinstance(node, (list, tuple)):
                items = node
                size += 2 * len(node)
            else:
                items = (node,)
            for item in items:
                if isinstance(item, str):
                    size += len(item)
                    if (problem := _text_problem(item)) is not None:
                        return f"(inside the JSON) {problem}"
                elif isinstance(item, float):
                    if not math.isfinite(item):
                        return f"holds {item} in JSON, which has no such number"
                elif isinstance(item, (Mapping, list, tuple)):
                    below.append(item)
        if size > MAX_JSON_CHARS:
            return f"is JSON larger than {MAX_JSON_CHARS} characters"
        level = below
    return None


def check_vector(name: str, values: Sequence[float], *, nonzero: bool = False) -> list[float]:
    """`values` as floats, refused when pgvector could not store them: empty, wider than
    16000, NaN, infinity or beyond float4's range; with `nonzero`, all zeros (its cosine
    distance to anything is NaN)."""
    if isinstance(values, (str, bytes)):
        raise ValidationError(f"{name} must be a sequence of numbers")
    try:
        floats = [float(x) for x in values]
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"{name} must be a sequence of numbers") from None
    if not floats:
        raise ValidationError(f"{name} is empty")
    if len(floats) > MAX_VECTOR_DIMENSIONS:
        raise ValidationError(
            f"{name} has {len(floats)} dimensions; pgvector stores at most {MAX_VECTOR_DIMENSIONS}"
        )
    for x in floats:
        if not math.isfinite(x):
            raise ValidationError(f"{name} holds NaN or infinity")
        if abs(x) > FLOAT4_MAX:
            raise ValidationError(f"{name} holds {x:g}, beyond float4's range (3.4e38)")
    if nonzero and not any(floats):
        raise ValidationError(f"{name} is all zeros: its cosine distance to anything is NaN")
    return floats


def check_span(name: str, value: timedelta | int) -> timedelta:
    """A span of time (a timedelta, or whole seconds) a caller counts back from now, as a
    timedelta; refused by name when negative, not a span, or so long that now minus it is
    before year 1 (an OverflowError in the arithmetic)."""
    if isinstance(value, bool) or not isinstance(value, (timedelta, int)):
        raise ValidationError(f"{name} must be a timedelta or whole seconds")
    if isinstance(value, int):
        if abs(value) > MAX_SPAN.total_seconds():
            raise ValidationError(f"{name} is longer than {MAX_SPAN.days} days")
        value = timedelta(seconds=value)
    if value < timedelta(0):
        raise ValidationError(f"{name} must not be negative")
    if value > MAX_SPAN:
        raise ValidationError(f"{name} is longer than {MAX_SPAN.days} days")
    return value


def check_param(name: str, value: object) -> None:
    """One bound value: refused by name when PostgreSQL could not take it."""
    if type(value) not in _INERT and (problem := _problem(value)) is not None:
        raise ValidationError(f"{name} {problem}")


def _problem(value: object) -> str | None:
    """What is wrong with one bound value, said after its name; None when nothing is."""
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, int):
        if not INT8_MIN <= value <= INT8_MAX:
            return f"is outside the 64-bit integer range: {value}"
    elif isinstance(value, (Json, Jsonb)):
        return _json_problem(value.obj)
    elif isinstance(value, Mapping):
        return _json_problem(value)
    elif isinstance(value, (list, tuple)):  # an array: each element as a value of its own
        stack: list[tuple[object, int]] = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, (list, tuple)):
                if depth > _MAX_ARRAY_DEPTH:
                    return "is an array nested deeper than 6 levels"
                stack.extend((sub, depth + 1) for sub in item)
            elif type(item) not in _INERT and (problem := _problem(item)) is not None:
                return problem
    return None


class ParamRefused(ValidationError):
    """A named query's bound value refused; `reason` names the parameter, so a repository's
    error translation can put its own entity in front (repos/_errors.translated)."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


def check_params(where: str, names: Sequence[str], values: Sequence[object]) -> None:
    """Every value of one statement, the error naming the statement and the parameter."""
    for name, value in zip(names, values, strict=True):
        if type(value) not in _INERT and (problem := _problem(value)) is not None:
            raise ParamRefused(where, f":{name} {problem}")  # a name is formatted only here
