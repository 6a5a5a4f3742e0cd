"""Parameters for the partial updates every repository writes the same way.

An update statement is fixed SQL, ``col = CASE WHEN :set_col THEN :col ELSE col END`` for each
updatable column, never built from strings; this fills its parameters from a patch's changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from psycopg.types.json import Json


def patch_params(
    changes: Mapping[str, object], columns: Iterable[str], *, json: Collection[str] = ()
) -> dict[str, object]:
    """``set_<col>`` (was it given) and ``<col>`` (its value; JSON columns wrapped) per column."""
    params: dict[str, object] = {}
    for column in columns:
        given = column in changes
        value = changes.get(column)
        params[f"set_{column}"] = given
        params[column] = Json(value) if given and column in json else value
    return params
