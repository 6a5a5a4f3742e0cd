"""The page size every list function accepts, checked before any SQL runs, and the offset page
(items and the total) for the lists RoboCo's API pages by offset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from roboco_sql.errors import ValidationError

T = TypeVar("T")

MAX_LIMIT = 1000


def checked_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):  # None, "10", 1.5: not a count
        raise ValidationError(
            f"limit must be a whole number between 1 and {MAX_LIMIT}, not {limit!r}"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    return limit


def checked_offset(offset: int) -> int:
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"offset must be a whole number >= 0, not {offset!r}")
    return offset


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
