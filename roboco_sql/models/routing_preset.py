"""Routing presets: named snapshots of every model assignment, to restore in one swap."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime

from roboco_sql.models.base import JsonObject, Row

__all__ = ["RoutingPreset"]


class RoutingPreset(Row):
    """Row of ``routing_presets``; ``payload`` (jsonb) is ``{"mode", "assignments": [...]}``."""

    __table__ = "routing_presets"

    id: uuid.UUID
    name: str
    payload: JsonObject
    created_at: AwareDatetime
