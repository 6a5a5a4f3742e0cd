"""Channels and their groups: the rooms messages are posted in.

Membership lives in array columns on the channel row; a channel's ``group_count`` moves with
its groups in the same statement that creates one.

Past RoboCo's 060_drop_messaging every function here raises SchemaGone (`_errors._DROPPED`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import AsyncRowFactory

from roboco_sql import queries
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import ChannelType
from roboco_sql.models.messaging import (
    Channel,
    ChannelCreate,
    ChannelUpdate,
    Group,
    GroupCreate,
)
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import existing, insert
from roboco_sql.repos._paging import Page, checked_limit, checked_offset
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "add_member",
    "create_channel",
    "create_group",
    "get_channel",
    "get_channel_by_name",
    "get_channel_by_slug",
    "get_group",
    "list_channels",
    "list_channels_by_ids",
    "list_groups",
    "list_groups_by_ids",
    "page_channels",
    "remove_member",
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
_PAGE = _Q["channels.page_channels"]
_COUNT = _Q["channels.count_channels"]
_ADD_MEMBER = _Q["channels.add_channel_member"]
_REMOVE_MEMBER = _Q["channels.remove_channel_member"]
_BY_IDS = _Q["channels.list_channels_by_ids"]
_GROUPS_BY_IDS = _Q["channels.list_groups_by_ids"]

R = TypeVar("R", Channel, Group)

_CHANNEL = model_row(Channel)
_GROUP = model_row(Group)

_UPDATABLE = ChannelUpdate.columns()


# -- channels ----------------------------------------------------------------------------------


async def create_channel(conn: AsyncConnection[Any], data: ChannelCreate) -> Channel:
    """Insert a channel; a taken slug is a Conflict naming it."""
    return await insert(conn, _CREATE, _CHANNEL, data, entity="channel")


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
    type = optional_enum_arg("type", ChannelType, type)
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
    return await existing(conn, _UPDATE, _CHANNEL, "channel", channel_id, **params)


async def page_channels(
    conn: AsyncConnection[Any],
    *,
    slugs: Collection[str] | None = None,
    include_archived: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page[Channel]:
    """Channels by name, one offset page with the total, as RoboCo's channel list pages them;
    slugs limits them to a set (the ones an agent may read, as its permissions compute)."""
    wanted = None if slugs is None else sorted(set(slugs))
    params: dict[str, object] = {"slugs": wanted, "include_archived": include_archived}
    with translated("channel"):
        items = await queries.fetch_all(
            conn,
            _PAGE,
            _CHANNEL,
            **params,
            offset=checked_offset(offset),
            limit=checked_limit(limit),
        )
        total = await queries.fetch_scalar(conn, _COUNT, int, **params) or 0
    return Page(items=items, total=total, offset=offset, limit=limit)


async def list_channels_by_ids(
    conn: AsyncConnection[Any], ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Channel]:
    """The channels of a set of ids, by id, in one statement (missing ids are absent)."""
    return await _by_id(conn, _BY_IDS, _CHANNEL, ids, "channel")


async def _by_id(
    conn: AsyncConnection[Any],
    q: queries.Query,
    row_factory: AsyncRowFactory[R],
    ids: Collection[uuid.UUID],
    entity: str,
) -> dict[uuid.UUID, R]:
    with translated(entity):
        rows = await queries.fetch_all(conn, q, row_factory, ids=list(set(ids)))
    return {r.id: r for r in rows}


async def add_member(
    conn: AsyncConnection[Any],
    channel_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    can_write: bool = False,
) -> Channel:
    """Add an agent to the channel's members (and writers, if it may write) in one statement,
    so concurrent additions all survive; a repeat changes nothing. NotFound if no channel."""
    return await existing(
        conn,
        _ADD_MEMBER,
        _CHANNEL,
        "channel",
        channel_id,
        id=channel_id,
        member_id=member_id,
        can_write=can_write,
        updated_at=utcnow(),
    )


async def remove_member(
    conn: AsyncConnection[Any], channel_id: uuid.UUID, member_id: uuid.UUID
) -> Channel:
    """Take an agent off the channel's members and writers in one statement; NotFound if no
    channel."""
    return await existing(
        conn,
        _REMOVE_MEMBER,
        _CHANNEL,
        "channel",
        channel_id,
        id=channel_id,
        member_id=member_id,
        updated_at=utcnow(),
    )


# -- groups ------------------------------------------------------------------------------------


async def create_group(conn: AsyncConnection[Any], data: GroupCreate) -> Group:
    """Insert a group and count it on its channel; NotFound naming the channel if it is missing."""
    return await insert(
        conn, _CREATE_GROUP, _GROUP, data, entity="group", json=("default_session_config",)
    )


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


async def list_groups_by_ids(
    conn: AsyncConnection[Any], ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Group]:
    """The groups of a set of ids, by id, in one statement (missing ids are absent)."""
    return await _by_id(conn, _GROUPS_BY_IDS, _GROUP, ids, "group")
