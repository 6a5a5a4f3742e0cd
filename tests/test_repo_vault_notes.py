"""roboco_sql.repos.vault_notes against a real database: which note versions were taken in."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.repos import vault_notes

Conn = AsyncConnection[Any]


async def test_seen_and_mark_per_version(conn: Conn) -> None:
    assert await vault_notes.vault_note_seen(conn, "inbox/idea.md", "h1") is False
    row = await vault_notes.mark_vault_note_seen(conn, "inbox/idea.md", "h1")
    assert row is not None and row.note_path == "inbox/idea.md" and row.content_hash == "h1"
    assert await vault_notes.vault_note_seen(conn, "inbox/idea.md", "h1") is True
    assert await vault_notes.vault_note_seen(conn, "inbox/idea.md", "h2") is False  # edited
    assert await vault_notes.mark_vault_note_seen(conn, "inbox/idea.md", "h1") is None


async def test_racing_marks_have_one_winner(db_url: str) -> None:
    async def mark() -> bool:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            return await vault_notes.mark_vault_note_seen(c, "n.md", "h") is not None

    assert sorted(await asyncio.gather(*(mark() for _ in range(5)))) == [False] * 4 + [True]


async def test_bad_input_is_refused(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="note_path"):
        await vault_notes.vault_note_seen(conn, "", "h")
    with pytest.raises(ValidationError, match="content_hash"):
        await vault_notes.mark_vault_note_seen(conn, "a.md", "h" * 65)
