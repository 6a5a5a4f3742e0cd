"""roboco_sql.repos.routing_presets against a real database: named routing snapshots."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.repos import routing_presets as rp

Conn = AsyncConnection[Any]
SNAPSHOT = {
    "mode": "cost_tiered",
    "assignments": [
        {"scope": "global", "scope_value": None, "provider_type": "anthropic", "model_name": "m"}
    ],
}


async def test_create_get_list_rename_delete(conn: Conn) -> None:
    a = await rp.create_routing_preset(conn, "cheap", SNAPSHOT)
    await conn.execute("UPDATE routing_presets SET created_at = now() - interval '1 minute'")
    a = await rp.get_routing_preset(conn, a.id) or a
    b = await rp.create_routing_preset(conn, "fast", {"mode": "custom", "assignments": []})
    assert a.payload == SNAPSHOT
    assert await rp.get_routing_preset(conn, a.id) == a
    assert await rp.get_routing_preset_by_name(conn, "fast") == b
    assert await rp.get_routing_preset(conn, uuid.uuid4()) is None
    assert [p.name for p in await rp.list_routing_presets(conn)] == ["fast", "cheap"]
    renamed = await rp.rename_routing_preset(conn, a.id, "thrifty")
    assert renamed.name == "thrifty" and renamed.payload == SNAPSHOT
    await rp.delete_routing_preset(conn, a.id)
    assert [p.name for p in await rp.list_routing_presets(conn)] == ["fast"]
    with pytest.raises(NotFound):
        await rp.delete_routing_preset(conn, a.id)
    with pytest.raises(NotFound):
        await rp.rename_routing_preset(conn, a.id, "x")


async def test_taken_name_is_a_conflict(conn: Conn) -> None:
    await rp.create_routing_preset(conn, "cheap", SNAPSHOT)
    with pytest.raises(Conflict, match="name=cheap"):
        async with conn.transaction():
            await rp.create_routing_preset(conn, "cheap", SNAPSHOT)
    other = await rp.create_routing_preset(conn, "other", SNAPSHOT)
    with pytest.raises(Conflict, match="name=cheap"):
        async with conn.transaction():
            await rp.rename_routing_preset(conn, other.id, "cheap")


async def test_bad_input_is_refused(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="name"):
        await rp.create_routing_preset(conn, "  ", SNAPSHOT)
    with pytest.raises(ValidationError, match="name"):
        await rp.create_routing_preset(conn, "n" * 101, SNAPSHOT)
    with pytest.raises(ValidationError, match="assignments"):
        await rp.create_routing_preset(conn, "p", {"mode": "x"})
    with pytest.raises(ValidationError, match="limit"):
        await rp.list_routing_presets(conn, limit=0)
