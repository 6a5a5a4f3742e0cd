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

VALIDATE = os.environ.get("ROBOCO_SQL_VALIDATE_ROWS", "").lower() in ("1", "true", "yes")

# The four per-instance slots every pydantic model has (what model_construct fills), set
# through their descriptors: a third cheaper than object.__setattr__ by name.
_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
_SLOT = {name: BaseModel.__dict__[name].__set__ for name in _SLOTS}


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


def _value(cls: type[BaseModel], name: str, var: str, scope: dict[str, Any]) -> str:
    """The expression that gives a column's value (in local `var`) its field's type: an enum
    label becomes its member; anything else is taken as the row holds it."""
    field = cls.model_fields.get(name)
    enum, is_list = _enum_of(field.annotation) if field is not None else (None, False)
    if enum is None:
        return var
    member = f"member_{var}"
    scope[member] = {m.value: m for m in enum}.get
    if is_list:
        return f"({var} if {var} is None else [{member}(x, x) for x in {var}])"
    return f"{member}({var}, {var})"


@cache
def _maker(cls: type[BaseModel], columns: tuple[str, ...]) -> Callable[[Sequence[Any]], Any]:
    """The function that builds one cls from a row with these columns, written once.

    What model_construct does, minus defaults (every field comes from the row), as generated
    straight-line code: unpacking the row and a literal dict cost half of dict(zip(...)) and
    a converter loop, which was most of a 100-row list's cost over raw psycopg. Column names
    enter the source only as string literals (repr), never as code. Fields go into the dict
    in the model's order whatever the SELECT's, so a dump reads as a validated row's does.

    Measured (callgrind) as the floor: ~8.5k instructions a 12-column row (dict 4.3k, object
    1.2k, slot stores 3k) beside raw psycopg's ~3.9M for a 100-row list; template copies,
    dict(zip()), pydantic-core's validator over pass-through fields and a __class__ swap
    were all slower.
    """
    by_alias = {(f.alias or name): name for name, f in cls.model_fields.items()}
    names = [by_alias.get(c, c) for c in columns]
    variables = [f"c{i}" for i in range(len(names))]
    scope: dict[str, Any] = {
        "new": cls.__new__,
        "cls": cls,
        "fields_set": set(names),  # shared by every row: trusted models are frozen
        **{f"set{name}": setter for name, setter in _SLOT.items()},
    }
    var_of = dict(zip(names, variables, strict=True))  # a repeated column: the last one wins
    # in field order, as model_validate puts them: the dump's key order follows __dict__
    order = [n for n in cls.model_fields if n in var_of] + [
        n for n in var_of if n not in cls.model_fields
    ]
    items = ", ".join(f"{name!r}: {_value(cls, name, var_of[name], scope)}" for name in order)
    unpack = f"    {', '.join(variables)}, = row\n" if variables else ""
    source = (
        "def make(row):\n"
        f"{unpack}"
        "    obj = new(cls)\n"
        f"    set__dict__(obj, {{{items}}})\n"
        "    set__pydantic_fields_set__(obj, fields_set)\n"
        "    set__pydantic_extra__(obj, None)\n"
        "    set__pydantic_private__(obj, None)\n"
        "    return obj\n"
    )
    exec(compile(source, f"<row maker {cls.__name__}>", "exec"), scope)
    make: Callable[[Sequence[Any]], Any] = scope["make"]
    return make


def _fields(cursor: AsyncCursor[Any]) -> tuple[bytes | None, ...]:
    """The result's column names as the server sent them, read straight off the result:
    cursor.description builds a Column object per column per query (~1 us a column)."""
    res = cursor.pgresult
    return () if res is None else tuple(map(res.fname, range(res.nfields)))


def model_row(cls: type[M]) -> AsyncRowFactory[M]:
    """A row factory producing cls instances from rows whose columns are its fields.

    A factory runs once per statement, so it keeps the last result shape it saw with its
    maker: a repeated statement compares the names' bytes and builds nothing. Decoding and
    hashing 73 fresh names to find the maker again cost a task read ~128k instructions
    (callgrind), more than building the model."""
    seen: tuple[tuple[bytes | None, ...], RowMaker[M]] | None = None

    def factory(cursor: AsyncCursor[Any]) -> RowMaker[M]:
        nonlocal seen
        fields = _fields(cursor)
        last = seen  # one read: another thread's factory may replace it meanwhile
        if last is not None and last[0] == fields:
            return last[1]
        columns = tuple((name or b"").decode() for name in fields)
        if VALIDATE:
            return lambda values: cls.model_validate(dict(zip(columns, values, strict=True)))
        make: RowMaker[M] = _maker(cls, columns)
        seen = (fields, make)
        return make

    return factory
