"""Row factories that turn result rows into Pydantic models.

psycopg's class_row builds a model from keyword arguments; ours goes through
model_validate so a row the model refuses fails loudly, at one place every repo shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from psycopg import AsyncCursor
from psycopg.rows import AsyncRowFactory, RowMaker
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def model_row(cls: type[M]) -> AsyncRowFactory[M]:
    """A row factory producing cls instances from rows whose column names are its fields."""

    def factory(cursor: AsyncCursor[Any]) -> RowMaker[M]:
        names = [d.name for d in cursor.description or ()]

        def make(values: Sequence[Any]) -> M:
            return cls.model_validate(dict(zip(names, values, strict=True)))

        return make

    return factory
