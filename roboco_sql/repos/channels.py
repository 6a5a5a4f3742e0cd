"""Channels and their groups: the rooms messages are posted in.

Membership lives in array columns on the channel row; a channel's ``group_count`` moves with
its groups in the same statement that creates one.

RoboCo's 060_drop_messaging drops these tables: on a database past it, every function here
raises SchemaGone naming the table and the revision (a database pinned below 060 keeps them).
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.errors import NotFound
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import ChannelType
from roboco_sql.models.messaging import (
    Channel,
    ChannelCreate,
    ChannelUpdate,
    Group,
    GroupCreate,
)
from roboco_sql.repos._errors import translated
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "create_channel",
    "create_group",
    "get_channel",
    "get_channel_by_name",
    "get_channel_by_slug",
    "get_group",
    "list_channels",
    "list_groups",
    "update_channel",
]

_Q = queries.load()
_CREATE = _Q["channels.create_channel"]
_GET = _Q["channels.get_channel"]
_GET_BY_SLUG = _Q["channels.get_channel_by_slug"]
_GET_BY_NAME = _Q["channels.get_channel_by_name"]
_LIST = _Q["channels.list_channels"]
_UPDATE = _Q["channels.update_channel"]
_CREATE_GROUP = _Q["channels.create_group"]
_GET_GROUP = _Q["channels.get_group"]
_LIST_GROUPS = _Q["channels.list_groups_by_channel"]

_CHANNEL = model_row(Channel)
_GROUP = model_row(Group)

# ChannelUpdate fields, as update_channel's statement names them.
_UPDATABLE = (
    "name",
    "description",
    "topic",
    "members",
    "writers",
    "silent_observers",
    "is_archived",
    "is_private",
    "allow_threads",
    "allow_reactions",
    "message_retention_days",
    "max_message_length",
)


# -- channels ----------------------------------------------------------------------------------


async def create_channel(conn: AsyncConnection[Any], data: ChannelCreate) -> Channel:
    """Insert a channel; a taken slug is a Conflict naming it."""
    with translated("channel"):
        channel = await queries.fetch_one(conn, _CREATE, _CHANNEL, **data.model_dump())
    assert channel is not None  # INSERT ... RETURNING always yields the row
    return channel


async def get_channel(conn: AsyncConnection[Any], channel_id: uuid.UUID) -> Channel | None:
    """One channel by id, or None."""
    with translated("channel"):
        return await queries.fetch_one(conn, _GET, _CHANNEL, id=channel_id)


async def get_channel_by_slug(conn: AsyncConnection[Any], slug: str) -> Channel | None:
    """One channel by slug, or None; a leading ``#`` is ignored, as RoboCo's agents write it."""
    with translated("channel"):
        return await queries.fetch_one(conn, _GET_BY_SLUG, _CHANNEL, slug=slug.lstrip("#"))


async def get_channel_by_name(conn: AsyncConnection[Any], name: str) -> Channel | None:
    """One channel by display name (the oldest if several share it), or None."""
    with translated("channel"):
        return await queries.fetch_one(conn, _GET_BY_NAME, _CHANNEL, name=name)


async def list_channels(
    conn: AsyncConnection[Any],
    *,
    type: ChannelType | None = None,
    include_archived: bool = False,
    after_slug: str | None = None,
    limit: int = 100,
) -> list[Channel]:
    """Channels by slug, archived ones only on request; pass the last slug as after_slug."""
    with translated("channel"):
        return await queries.fetch_all(
            conn,
            _LIST,
            _CHANNEL,
            type=type,
            include_archived=include_archived,
            after_slug=after_slug,
            limit=checked_limit(limit),
        )


async def update_channel(
    conn: AsyncConnection[Any], channel_id: uuid.UUID, patch: ChannelUpdate
) -> Channel:
    """Write the fields the patch set (membership arrays are replaced whole); NotFound if none."""
    changes = patch.changes()
    params = {"id": channel_id, "updated_at": utcnow(), **patch_params(changes, _UPDATABLE)}
    with translated("channel"):
        channel = await queries.fetch_one(conn, _UPDATE, _CHANNEL, **params)
    if channel is None:
        raise NotFound(f"channel {channel_id} not found")
    return channel


# -- groups ------------------------------------------------------------------------------------


async def create_group(conn: AsyncConnection[Any], data: GroupCreate) -> Group:
    """Insert a group and count it on its channel; NotFound naming the channel if it is missing."""
    params = data.model_dump()
    params["default_session_config"] = Json(data.default_session_config)
    with translated("group"):
        group = await queries.fetch_one(conn, _CREATE_GROUP, _GROUP, **params)
    assert group is not None
    return group


async def get_group(conn: AsyncConnection[Any], group_id: uuid.UUID) -> Group | None:
    """One group by id, or None."""
    with translated("group"):
        return await queries.fetch_one(conn, _GET_GROUP, _GROUP, id=group_id)


async def list_groups(
    conn: AsyncConnection[Any], channel_id: uuid.UUID, *, include_inactive: bool = False
) -> list[Group]:
    """A channel's groups, top of the hierarchy first, then by name."""
    with translated("group"):
        return await queries.fetch_all(
            conn, _LIST_GROUPS, _GROUP, channel_id=channel_id, include_inactive=include_inactive
        )
