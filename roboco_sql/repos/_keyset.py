"""The parameters of a keyset page: a list statement takes the sort key of the last row a
caller saw as ``<prefix>_<field>`` parameters (all None for the first page).

Written once so that each list function names its cursor's fields and nothing else.
"""

from __future__ import annotations


def keyset(prefix: str, row: object | None, *fields: str) -> dict[str, object]:
    """``{prefix_field: row.field}`` for each field, every value None when row is None."""
    return {f"{prefix}_{name}": None if row is None else getattr(row, name) for name in fields}
