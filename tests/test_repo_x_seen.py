"""roboco_sql.repos.x_seen against a real database: the X engine's dedup ledgers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.repos import x_seen
from tests.fix_conn import count

Conn = AsyncConnection[Any]


async def test_mentions_are_marked_once(conn: Conn) -> None:
    assert await x_seen.mention_seen(conn, "1790000000000000001") is False
    assert await x_seen.mark_mention_seen(conn, "1790000000000000001") is True
    assert await x_seen.mention_seen(conn, "1790000000000000001") is True
    assert await x_seen.mention_seen(conn, "1790000000000000002") is False
    cur = await conn.execute("SELECT seen_at FROM x_seen_mentions")
    first = await cur.fetchone()
    assert await x_seen.mark_mention_seen(conn, "1790000000000000001") is False  # idempotent
    cur = await conn.execute("SELECT seen_at FROM x_seen_mentions")
    assert await cur.fetchone() == first  # the first marker is kept
    assert await count(conn, "x_seen_mentions") == 1


async def test_features_are_marked_once_and_listed_in_order(conn: Conn) -> None:
    assert await x_seen.last_feature_seen_at(conn) is None
    assert await x_seen.list_seen_features(conn) == []
    assert await x_seen.feature_seen(conn, "rag-search") is False
    for slug in ("rag-search", "board-programs", "github-app"):
        assert await x_seen.mark_feature_seen(conn, slug) is True
        await conn.commit()  # each marker its own transaction: distinct seen_at
    assert await x_seen.mark_feature_seen(conn, "rag-search") is False
    assert await x_seen.feature_seen(conn, "rag-search") is True
    assert await count(conn, "x_seen_features") == 3

    listed = await x_seen.list_seen_features(conn)
    assert [f.feature_slug for f in listed] == ["rag-search", "board-programs", "github-app"]
    assert listed[0].seen_at < listed[1].seen_at < listed[2].seen_at
    last = await x_seen.last_feature_seen_at(conn)
    assert isinstance(last, dt.datetime) and last == listed[-1].seen_at

    page = await x_seen.list_seen_features(conn, limit=2)
    assert page == listed[:2]
    assert await x_seen.list_seen_features(conn, after=page[-1]) == listed[2:]


async def test_ties_in_time_page_by_slug(conn: Conn) -> None:
    for slug in ("c", "a", "b"):  # one transaction: one now()
        await x_seen.mark_feature_seen(conn, slug)
    listed = await x_seen.list_seen_features(conn)
    assert [f.feature_slug for f in listed] == ["a", "b", "c"]
    assert await x_seen.list_seen_features(conn, after=listed[0], limit=1) == listed[1:2]


async def test_keys_are_validated_before_any_sql(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="mention_id must be 1 to 64"):
        await x_seen.mark_mention_seen(conn, "9" * 65)
    with pytest.raises(ValidationError, match="mention_id must be 1 to 64"):
        await x_seen.mention_seen(conn, "")
    with pytest.raises(ValidationError, match="mention_id must be a string"):
        await x_seen.mention_seen(conn, 17)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="feature_slug must be 1 to 128"):
        await x_seen.mark_feature_seen(conn, "s" * 129)
    with pytest.raises(ValidationError, match="feature_slug contains a NUL"):
        await x_seen.feature_seen(conn, "a\x00b")
    with pytest.raises(ValidationError, match="limit must be between 1 and 1000"):
        await x_seen.list_seen_features(conn, limit=1001)
    with pytest.raises(ValidationError, match="after must be an XSeenFeature"):
        await x_seen.list_seen_features(conn, after="rag")  # type: ignore[arg-type]
    assert await count(conn, "x_seen_mentions") + await count(conn, "x_seen_features") == 0
