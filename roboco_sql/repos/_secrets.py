"""The encrypted-token plumbing the repositories share: which box, and the one decrypting read.

Projects (git token), providers (auth token) and the credential tables encrypt with the box
the caller gives, else one built from ROBOCO_ENCRYPTION_KEY; a single token is read back by
one statement that returns its ciphertext ('' for none, no row for no such entity).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, SecretStr

from roboco_sql import queries
from roboco_sql.config import Settings
from roboco_sql.crypto import SecretBox
from roboco_sql.errors import EncryptionError, NotFound


def box_or_default(box: SecretBox | None) -> SecretBox:
    """The box given, else one from ROBOCO_ENCRYPTION_KEY (keys are parsed at first use)."""
    return box if box is not None else SecretBox.from_settings(Settings.from_env())


async def read_token(
    conn: AsyncConnection[Any],
    query: queries.Query,
    entity_id: uuid.UUID,
    box: SecretBox | None,
    *,
    entity: str,
    token: str,
    get: Callable[[AsyncConnection[Any], uuid.UUID], Awaitable[BaseModel | None]],
    name: str,
) -> SecretStr | None:
    """One entity's token decrypted on demand (never cached), or None when it has none.

    NotFound when there is no such entity; an EncryptionError names the entity by its field
    `name`, read with `get` on that failure path only, e.g. "project 'web' git token".
    """
    ciphertext = await queries.fetch_scalar(conn, query, str, id=entity_id)
    if ciphertext is None:
        raise NotFound(f"{entity} {entity_id} not found")
    if ciphertext == "":
        return None
    opener = box_or_default(box)
    try:
        return opener.decrypt(ciphertext, what=f"{entity} {entity_id} {token}")
    except EncryptionError:
        row = await get(conn, entity_id)
        if row is None:
            raise
        return opener.decrypt(ciphertext, what=f"{entity} '{getattr(row, name)}' {token}")


def token_params(box: SecretBox | None, value: SecretStr | None, column: str) -> dict[str, Any]:
    """An update statement's set_<column> and <column> for an encrypted token: None keeps
    it, "" clears it, anything else replaces it. The box is consulted only when a token is
    given, so edits that leave the token alone work without a key."""
    token = box_or_default(box).token_update(value) if value is not None else None
    return {
        f"set_{column}": token is not None and token.changes,
        column: token.ciphertext if token is not None else None,
    }
