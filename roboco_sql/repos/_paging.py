"""The page size every list function accepts, checked before any SQL runs."""

from __future__ import annotations

from roboco_sql.errors import ValidationError

MAX_LIMIT = 1000


def checked_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    return limit
