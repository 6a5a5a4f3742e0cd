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
from typing import Annotated, Any, NamedTuple, TypeVar, Union, get_args, get_origin

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
def _plan(cls: type[BaseModel], columns: tuple[str, ...]) -> _Plan:
    """Field name and value converter for each result column, worked out once."""
    by_alias = {(f.alias or name): name for name, f in cls.model_fields.items()}
    names = tuple(by_alias.get(c, c) for c in columns)
    converters = tuple(
        (n, conv)
        for n in names
        if n in cls.model_fields and (conv := _converter(cls.model_fields[n].annotation))
    )
    return _Plan(names, converters, set(names))


class _Plan(NamedTuple):
    names: tuple[str, ...]
    converters: tuple[tuple[str, Convert], ...]  # only the enum-holding fields
    fields_set: set[str]  # shared by every row: trusted models are frozen


def _columns(cursor: AsyncCursor[Any]) -> tuple[str, ...]:
    """Result column names, read straight off the result: cursor.description builds a
    Column object per column per query, which costs ~1 us a column."""
    res = cursor.pgresult
    if res is None:
        return ()
    return tuple((res.fname(i) or b"").decode() for i in range(res.nfields))


def model_row(cls: type[M]) -> AsyncRowFactory[M]:
    """A row factory producing cls instances from rows whose columns are its fields."""

    def factory(cursor: AsyncCursor[Any]) -> RowMaker[M]:
        columns = _columns(cursor)
        if VALIDATE:
            return lambda values: cls.model_validate(dict(zip(columns, values, strict=True)))
        names, converters, fields_set = _plan(cls, columns)
        new, put = cls.__new__, object.__setattr__

        def make(values: Sequence[Any]) -> M:
            # what model_construct does, minus defaults: every field comes from the row
            data = dict(zip(names, values, strict=False))  # same length by construction
            for name, convert in converters:
                data[name] = convert(data[name])
            obj = new(cls)
            put(obj, "__dict__", data)
            put(obj, "__pydantic_fields_set__", fields_set)
            put(obj, "__pydantic_extra__", None)
            put(obj, "__pydantic_private__", None)
            return obj

        return make

    return factory
