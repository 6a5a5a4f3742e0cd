"""Row factories that turn result rows into Pydantic models.

Rows come from our own schema, whose column types the agreement tests hold equal to the
models' field types, so by default a row is not validated again field by field: the values
are placed into the model directly, with enum labels turned into their StrEnum members.
That keeps a 100-row list close to raw psycopg (full validation costs 5-10 us a row). With
ROBOCO_SQL_VALIDATE_ROWS=1 (the test suite sets it) every row goes through model_validate,
so a drift between schema and model fails loudly there.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Sequence
from enum import Enum
from functools import cache
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from psycopg import AsyncCursor
from psycopg.rows import AsyncRowFactory, RowMaker
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
Convert = Callable[[Any], Any]

VALIDATE = os.environ.get("ROBOCO_SQL_VALIDATE_ROWS", "").lower() in ("1", "true", "yes")


def _enum_of(annotation: Any) -> tuple[type[Enum] | None, bool]:
    """The enum a field holds, and whether it holds a list of them."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _enum_of(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            found = _enum_of(arg)
            if found[0] is not None:
                return found
        return None, False
    if origin is list:
        inner, _ = _enum_of(get_args(annotation)[0])
        return inner, inner is not None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation, False
    return None, False


def _converter(annotation: Any) -> Convert | None:
    enum, is_list = _enum_of(annotation)
    if enum is None:
        return None
    members: dict[Any, Any] = {m.value: m for m in enum}
    if is_list:
        return lambda v: v if v is None else [members.get(x, x) for x in v]
    return lambda v: members.get(v, v)


@cache
def _plan(
    cls: type[BaseModel], columns: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[Convert | None, ...]]:
    """Field name and value converter for each result column, worked out once."""
    by_alias = {(f.alias or name): name for name, f in cls.model_fields.items()}
    names = tuple(by_alias.get(c, c) for c in columns)
    converters = tuple(
        _converter(cls.model_fields[n].annotation) if n in cls.model_fields else None for n in names
    )
    return names, converters


def _trusted(cls: type[M], values: dict[str, Any]) -> M:
    """What model_construct does, minus defaults: every field comes from the row."""
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def model_row(cls: type[M]) -> AsyncRowFactory[M]:
    """A row factory producing cls instances from rows whose columns are its fields."""

    def factory(cursor: AsyncCursor[Any]) -> RowMaker[M]:
        columns = tuple(d.name for d in cursor.description or ())
        if VALIDATE:
            return lambda values: cls.model_validate(dict(zip(columns, values, strict=True)))
        names, converters = _plan(cls, columns)
        if not any(converters):
            return lambda values: _trusted(cls, dict(zip(names, values, strict=True)))
        pairs = tuple(zip(names, converters, strict=True))

        def make(values: Sequence[Any]) -> M:
            return _trusted(
                cls, {n: (c(v) if c else v) for (n, c), v in zip(pairs, values, strict=True)}
            )

        return make

    return factory
