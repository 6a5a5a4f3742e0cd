"""The X engine's dedup ledgers: mentions already handled, features already spotlighted.

RoboCo only ever adds to them and never prunes them, so a marker is permanent.
"""

from __future__ import annotations

from pydantic import AwareDatetime

from roboco_sql.models.base import Row

MENTION_ID_MAX = 64
FEATURE_SLUG_MAX = 128


class XSeenMention(Row):
    """Row of ``x_seen_mentions``: a tweet id (a mention or a discovered post) handled once."""

    __table__ = "x_seen_mentions"

    mention_id: str
    seen_at: AwareDatetime


class XSeenFeature(Row):
    """Row of ``x_seen_features``: a feature slug a spotlight draft was made for."""

    __table__ = "x_seen_features"

    feature_slug: str
    seen_at: AwareDatetime


__all__ = ["XSeenFeature", "XSeenMention"]
