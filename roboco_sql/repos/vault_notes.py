"""Vault intake bookkeeping: which note versions (path + content hash) were taken in."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.vault import VaultSeenNote
from roboco_sql.repos._rows import model_row

__all__ = ["mark_vault_note_seen", "vault_note_seen"]

_Q = queries.load()
_SEEN = _Q["vault_seen_notes.vault_note_seen"]
_MARK = _Q["vault_seen_notes.mark_vault_note_seen"]

_ROW = model_row(VaultSeenNote)


def _checked(note_path: str, content_hash: str) -> None:
    if not 1 <= len(note_path) <= 512:
        raise ValidationError("note_path must be 1 to 512 characters")
    if not 1 <= len(content_hash) <= 64:
        raise ValidationError("content_hash must be 1 to 64 characters")


async def vault_note_seen(conn: AsyncConnection[Any], note_path: str, content_hash: str) -> bool:
    """Whether this version of the note was already taken in."""
    _checked(note_path, content_hash)
    seen = await queries.fetch_scalar(
        conn, _SEEN, bool, note_path=note_path, content_hash=content_hash
    )
    return bool(seen)


async def mark_vault_note_seen(
    conn: AsyncConnection[Any], note_path: str, content_hash: str
) -> VaultSeenNote | None:
    """Record the version as taken in; the row if this call recorded it, None if it already was."""
    _checked(note_path, content_hash)
    return await queries.fetch_one(
        conn, _MARK, _ROW, id=uuid.uuid4(), note_path=note_path, content_hash=content_hash
    )
