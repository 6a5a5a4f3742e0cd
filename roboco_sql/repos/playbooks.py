"""Playbooks: draft, edit, then approve (and record indexing), reject or archive, once each."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import scalar_row
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.errors import RobocoSQLError
from roboco_sql.models.playbook import Playbook, PlaybookCreate, PlaybookStatus, PlaybookUpdate
from roboco_sql.repos._checks import optional_enum_arg
from roboco_sql.repos._inputs import existing, insert, missed
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "approve_playbook",
    "archive_playbook",
    "draft_playbook",
    "get_playbook",
    "get_playbook_by_slug",
    "list_live_playbook_titles",
    "list_playbooks",
    "list_unindexed_approved_playbooks",
    "mark_playbook_indexed",
    "reject_playbook",
    "update_playbook",
]

_Q = queries.load()
_DRAFT = _Q["playbooks.draft_playbook"]
_GET = _Q["playbooks.get_playbook"]
_GET_BY_SLUG = _Q["playbooks.get_playbook_by_slug"]
_LIST = _Q["playbooks.list_playbooks"]
_TITLES = _Q["playbooks.list_live_playbook_titles"]
_UNINDEXED = _Q["playbooks.list_unindexed_approved_playbooks"]
_UPDATE = _Q["playbooks.update_playbook"]
_APPROVE = _Q["playbooks.approve_playbook"]
_RETIRE = _Q["playbooks.retire_playbook"]
_INDEXED = _Q["playbooks.mark_playbook_indexed"]

_ROW = model_row(Playbook)
_UPDATABLE = PlaybookUpdate.columns()


async def draft_playbook(conn: AsyncConnection[Any], data: PlaybookCreate) -> Playbook:
    """Insert a draft; a taken slug (the unique index decides, race-free) is a Conflict."""
    return await insert(
        conn,
        _DRAFT,
        _ROW,
        data,
        entity="playbook",
        json=("tags",),
        source_task_ids=Json([str(task_id) for task_id in data.source_task_ids]),
    )


async def get_playbook(conn: AsyncConnection[Any], playbook_id: uuid.UUID) -> Playbook | None:
    """One playbook by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=playbook_id)


async def get_playbook_by_slug(conn: AsyncConnection[Any], slug: str) -> Playbook | None:
    """One playbook by slug, or None."""
    return await queries.fetch_one(conn, _GET_BY_SLUG, _ROW, slug=slug)


async def list_playbooks(
    conn: AsyncConnection[Any],
    *,
    status: PlaybookStatus | None = None,
    team: str | None = None,
    scope: str | None = None,
    after: Playbook | None = None,
    limit: int = 100,
) -> list[Playbook]:
    """Playbooks matching every filter given, oldest first; pass the last one as after."""
    status = optional_enum_arg("status", PlaybookStatus, status)
    after_at: dt.datetime | None = after.created_at if after is not None else None
    after_id: uuid.UUID | None = after.id if after is not None else None
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        status=status,
        team=team,
        scope=scope,
        after_at=after_at,
        after_id=after_id,
        limit=checked_limit(limit),
    )


async def list_live_playbook_titles(conn: AsyncConnection[Any], *, limit: int = 1000) -> list[str]:
    """Titles of the playbooks not archived, newest first."""
    return await queries.fetch_all(conn, _TITLES, scalar_row, limit=checked_limit(limit))


async def list_unindexed_approved_playbooks(
    conn: AsyncConnection[Any], *, limit: int = 100
) -> list[Playbook]:
    """Approved playbooks whose index write never succeeded, oldest first."""
    return await queries.fetch_all(conn, _UNINDEXED, _ROW, limit=checked_limit(limit))


async def update_playbook(
    conn: AsyncConnection[Any], playbook_id: uuid.UUID, patch: PlaybookUpdate
) -> Playbook:
    """Write the fields the patch set; NotFound if there is no such playbook."""
    params = patch_params(patch.changes(), _UPDATABLE, json=("tags",))
    return await existing(conn, _UPDATE, _ROW, "playbook", playbook_id, id=playbook_id, **params)


async def _refusal(
    conn: AsyncConnection[Any], playbook_id: uuid.UUID, wanted: str
) -> RobocoSQLError:
    """Why a conditional write of the playbook matched no row: NotFound, or a Conflict naming
    its status and what the write wanted."""

    def why(now: Playbook) -> str:
        indexed = " and indexed" if now.status == PlaybookStatus.APPROVED else ""
        return f"playbook '{now.slug}' is {now.status}{indexed}; {wanted}"

    return missed(await get_playbook(conn, playbook_id), "playbook", playbook_id, why)


async def approve_playbook(
    conn: AsyncConnection[Any], playbook_id: uuid.UUID, *, approved_by: uuid.UUID
) -> Playbook:
    """Approve a draft (stamped, not yet indexed), in one conditional UPDATE.

    An approved playbook whose indexing never succeeded may be approved again: it comes back
    unchanged, for the caller to index. Anything else is a Conflict; no playbook, NotFound.
    """
    playbook = await queries.fetch_one(
        conn, _APPROVE, _ROW, id=playbook_id, approved_by=approved_by
    )
    if playbook is None:
        raise await _refusal(
            conn, playbook_id, "only a draft (or an unindexed approval) can be approved"
        )
    return playbook


async def reject_playbook(
    conn: AsyncConnection[Any], playbook_id: uuid.UUID, *, rejected_by: uuid.UUID
) -> Playbook:
    """Decline a draft: draft -> archived, stamping archived_by/at (approval stays untouched)."""
    return await _retire(conn, playbook_id, rejected_by, "draft", "only a draft can be rejected")


async def archive_playbook(
    conn: AsyncConnection[Any], playbook_id: uuid.UUID, *, archived_by: uuid.UUID
) -> Playbook:
    """Retire an approved playbook: approved -> archived; archived is final."""
    return await _retire(
        conn, playbook_id, archived_by, "approved", "only an approved playbook can be archived"
    )


async def _retire(
    conn: AsyncConnection[Any],
    playbook_id: uuid.UUID,
    by: uuid.UUID,
    from_status: str,
    refusal: str,
) -> Playbook:
    """from_status -> archived, stamping archived_by/at; refused (naming why) from any other."""
    playbook = await queries.fetch_one(
        conn, _RETIRE, _ROW, id=playbook_id, archived_by=by, from_status=from_status
    )
    if playbook is None:
        raise await _refusal(conn, playbook_id, refusal)
    return playbook


async def mark_playbook_indexed(conn: AsyncConnection[Any], playbook_id: uuid.UUID) -> Playbook:
    """Record a successful index write of an approved playbook (indexed_ok, indexed_at)."""
    playbook = await queries.fetch_one(conn, _INDEXED, _ROW, id=playbook_id)
    if playbook is None:
        raise await _refusal(conn, playbook_id, "only approved ones are indexed")
    return playbook
