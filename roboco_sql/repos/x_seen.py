"""The X engine's dedup ledgers: has this tweet been handled, this feature spotlighted.

Marking is idempotent (the first marker and its time are kept) and markers are never pruned,
as in RoboCo.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.x_seen import FEATURE_SLUG_MAX, MENTION_ID_MAX, XSeenFeature
from roboco_sql.repos._inputs import checked_text
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "feature_seen",
    "last_feature_seen_at",
    "list_seen_features",
    "mark_feature_seen",
    "mark_mention_seen",
    "mention_seen",
]

_Q = queries.load()
_MENTION_SEEN = _Q["x_seen.mention_seen"]
_MARK_MENTION = _Q["x_seen.mark_mention_seen"]
_FEATURE_SEEN = _Q["x_seen.feature_seen"]
_MARK_FEATURE = _Q["x_seen.mark_feature_seen"]
_LIST_FEATURES = _Q["x_seen.list_seen_features"]
_LAST_FEATURE = _Q["x_seen.last_feature_seen_at"]

_FEATURE_ROW = model_row(XSeenFeature)


async def mention_seen(conn: AsyncConnection[Any], mention_id: str) -> bool:
    """Whether the tweet id (a mention, or a post found by search) was already handled."""
    key = checked_text("mention_id", mention_id, MENTION_ID_MAX)
    return bool(await queries.fetch_scalar(conn, _MENTION_SEEN, bool, mention_id=key))


async def mark_mention_seen(conn: AsyncConnection[Any], mention_id: str) -> bool:
    """Record the tweet id as handled; True if it was new, False if it already was."""
    key = checked_text("mention_id", mention_id, MENTION_ID_MAX)
    return await queries.execute_rows(conn, _MARK_MENTION, mention_id=key) == 1


async def feature_seen(conn: AsyncConnection[Any], feature_slug: str) -> bool:
    """Whether a spotlight was already drafted for the feature."""
    key = checked_text("feature_slug", feature_slug, FEATURE_SLUG_MAX)
    return bool(await queries.fetch_scalar(conn, _FEATURE_SEEN, bool, feature_slug=key))


async def mark_feature_seen(conn: AsyncConnection[Any], feature_slug: str) -> bool:
    """Record the feature as spotlighted; True if it was new, False if it already was."""
    key = checked_text("feature_slug", feature_slug, FEATURE_SLUG_MAX)
    return await queries.execute_rows(conn, _MARK_FEATURE, feature_slug=key) == 1


async def list_seen_features(
    conn: AsyncConnection[Any], *, after: XSeenFeature | None = None, limit: int = 1000
) -> list[XSeenFeature]:
    """Spotlighted features with their dates, oldest first; pass the last one as ``after``
    for the next page."""
    if after is not None and not isinstance(after, XSeenFeature):
        raise ValidationError(f"after must be an XSeenFeature, not {type(after).__name__}")
    return await queries.fetch_all(
        conn,
        _LIST_FEATURES,
        _FEATURE_ROW,
        after_seen_at=after.seen_at if after is not None else None,
        after_slug=after.feature_slug if after is not None else None,
        limit=checked_limit(limit),
    )


async def last_feature_seen_at(conn: AsyncConnection[Any]) -> dt.datetime | None:
    """When the latest spotlight was recorded, or None before the first."""
    return await queries.fetch_scalar(conn, _LAST_FEATURE, dt.datetime)
