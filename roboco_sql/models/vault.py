"""Vault intake: which version (path + content hash) of each vault note was already taken in."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime

from roboco_sql.models.base import Row

__all__ = ["VaultSeenNote"]


class VaultSeenNote(Row):
    """Row of ``vault_seen_notes``, unique on (note_path, content_hash)."""

    __table__ = "vault_seen_notes"

    id: uuid.UUID
    note_path: str
    content_hash: str
    processed_at: AwareDatetime
