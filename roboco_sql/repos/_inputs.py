"""A statement's parameters taken from an input model's fields of the same names.

An INSERT names its columns once, in the query file; the repository then passes only what
it computes itself (a ciphertext, a renamed or converted field) instead of repeating every
``name=data.name`` of the model.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from psycopg.types.json import Json
from pydantic import BaseModel

from roboco_sql import queries


def input_params(
    q: queries.Query, data: BaseModel, *, json: Collection[str] = (), **given: object
) -> dict[str, Any]:
    """Each parameter of `q`: from `given` if there, else the field of that name (JSON
    columns wrapped in Json). A parameter that is neither is a bug in the repository."""
    params: dict[str, Any] = {}
    for name in q.params:
        if name in given:
            params[name] = given[name]
        else:
            value = getattr(data, name)
            params[name] = Json(value) if name in json else value
    return params
