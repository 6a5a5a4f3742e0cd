"""Routing presets: named snapshots of the model assignments, saved, listed and removed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.routing_preset import RoutingPreset
from roboco_sql.repos._inputs import existing, removed, returned
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "create_routing_preset",
    "delete_routing_preset",
    "get_routing_preset",
    "get_routing_preset_by_name",
    "list_routing_presets",
    "rename_routing_preset",
]

_Q = queries.load()
_CREATE = _Q["routing_presets.create_routing_preset"]
_GET = _Q["routing_presets.get_routing_preset"]
_GET_BY_NAME = _Q["routing_presets.get_routing_preset_by_name"]
_LIST = _Q["routing_presets.list_routing_presets"]
_RENAME = _Q["routing_presets.rename_routing_preset"]
_DELETE = _Q["routing_presets.delete_routing_preset"]

_ROW = model_row(RoutingPreset)


def _name(name: str) -> str:
    if not name.strip() or len(name) > 100:
        raise ValidationError("name must be 1 to 100 characters, not blank")
    return name


async def create_routing_preset(
    conn: AsyncConnection[Any], name: str, payload: Mapping[str, Any]
) -> RoutingPreset:
    """Save a snapshot (``{"mode": ..., "assignments": [...]}``); a taken name is a Conflict."""
    if not isinstance(payload.get("assignments"), list):
        raise ValidationError("payload must carry an 'assignments' list")
    return await returned(
        conn,
        _CREATE,
        _ROW,
        "routing preset",
        id=uuid.uuid4(),
        name=_name(name),
        payload=Jsonb(dict(payload)),
    )


async def get_routing_preset(
    conn: AsyncConnection[Any], preset_id: uuid.UUID
) -> RoutingPreset | None:
    """One preset by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=preset_id)


async def get_routing_preset_by_name(conn: AsyncConnection[Any], name: str) -> RoutingPreset | None:
    """One preset by name, or None."""
    return await queries.fetch_one(conn, _GET_BY_NAME, _ROW, name=name)


async def list_routing_presets(
    conn: AsyncConnection[Any], *, limit: int = 100
) -> list[RoutingPreset]:
    """Saved presets, newest first."""
    return await queries.fetch_all(conn, _LIST, _ROW, limit=checked_limit(limit))


async def rename_routing_preset(
    conn: AsyncConnection[Any], preset_id: uuid.UUID, name: str
) -> RoutingPreset:
    """Rename a preset; Conflict if the name is taken, NotFound if there is no such preset."""
    return await existing(
        conn, _RENAME, _ROW, "routing preset", preset_id, id=preset_id, name=_name(name)
    )


async def delete_routing_preset(conn: AsyncConnection[Any], preset_id: uuid.UUID) -> None:
    """Remove a preset; NotFound if there is none, as RoboCo answers."""
    await removed(conn, _DELETE, "routing preset", preset_id, id=preset_id)
