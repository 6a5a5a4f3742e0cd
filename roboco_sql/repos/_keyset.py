"""The parameters of a keyset page: a list statement takes the sort key of the last row a
caller saw as ``<prefix>_<field>`` parameters (all None for the first page).

Written once so that each list function names its row type and its cursor's fields and
nothing else.
"""

from __future__ import annotations

from roboco_sql.errors import ValidationError
from roboco_sql.validate import shown


def keyset(prefix: str, row: object | None, of: type, *fields: str) -> dict[str, object]:
    """``{prefix_field: row.field}`` for each field, every value None when row is None; a row
    that is not an `of` (the list's own row type) is refused naming `prefix`, before any SQL."""
    if row is None:
        return {f"{prefix}_{name}": None for name in fields}
    if not isinstance(row, of):
        raise ValidationError(f"{prefix} must be the last {of.__name__} seen, not {shown(row)}")
    return {f"{prefix}_{name}": getattr(row, name) for name in fields}
