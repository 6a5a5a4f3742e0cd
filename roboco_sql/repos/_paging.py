"""The page size, offset and keyset cursor every list function accepts, checked before any SQL
runs, and the offset page (items and the total) for the lists RoboCo's API pages by offset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from roboco_sql.errors import ValidationError
from roboco_sql.validate import shown

T = TypeVar("T")

MAX_LIMIT = 1000


def checked_limit(limit: int, name: str = "limit") -> int:
    """`limit`, refused naming `name` (the caller's parameter) unless a count of 1..1000."""
    if isinstance(limit, bool) or not isinstance(limit, int):  # None, "10", 1.5: not a count
        raise ValidationError(
            f"{name} must be a whole number between 1 and {MAX_LIMIT}, not {shown(limit)}"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"{name} must be between 1 and {MAX_LIMIT}, not {shown(limit)}")
    return limit


def checked_offset(offset: int) -> int:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"offset must be a whole number >= 0, not {shown(offset)}")
    return offset


def checked_cursor(
    cursor: tuple[datetime, UUID] | None, name: str = "before"
) -> tuple[datetime, UUID] | None:
    """A keyset cursor, (created_at, id) of the last row seen, or None for the first page;
    anything else (wrong length, a string for the time) is refused naming `name` before it
    reaches an unpacking or the server."""
    if cursor is None:
        return None
    if (
        not isinstance(cursor, tuple)
        or len(cursor) != 2
        or not isinstance(cursor[0], datetime)
        or not isinstance(cursor[1], UUID)
    ):
        raise ValidationError(f"{name} must be a (datetime, UUID) cursor, not {shown(cursor)}")
    return cursor


def cursor_params(cursor: tuple[datetime, UUID] | None, name: str = "before") -> dict[str, object]:
    """A checked keyset cursor as a list statement's ``<name>_at`` / ``<name>_id`` parameters
    (both None for the first page)."""
    checked = checked_cursor(cursor, name)
    at, id_ = checked if checked is not None else (None, None)
    return {f"{name}_at": at, f"{name}_id": id_}


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One offset page of a list: its items, where it starts, and how many the list holds."""

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether rows lie beyond this page (RoboCo's A2A list answers this)."""
        return self.offset + len(self.items) < self.total
