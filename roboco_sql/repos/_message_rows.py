"""What the message repositories share: the Message row factory, the keyset cursor, the
timezone check, and the one read both sides need (a message by id)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.messaging import Message
from roboco_sql.repos._errors import translated
from roboco_sql.repos._rows import model_row

Cursor = tuple[dt.datetime, uuid.UUID]
"""A keyset position: the (timestamp, id) of the last message of the previous page."""

_Q = queries.load()
_GET = _Q["messages.get_message"]
MESSAGE = model_row(Message)


def aware(name: str, value: dt.datetime | None) -> dt.datetime | None:
    """`value` unless it is a naive datetime, which is refused naming `name`."""
    if value is not None and value.tzinfo is None:
        raise ValidationError(f"{name} must be timezone-aware")
    return value


async def get_message(conn: AsyncConnection[Any], message_id: uuid.UUID) -> Message | None:
    """One message by id, or None."""
    with translated("message"):
        return await queries.fetch_one(conn, _GET, MESSAGE, id=message_id)
