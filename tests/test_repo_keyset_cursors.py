"""Keyset cursors of the wrong shape are refused by name before any SQL, in the list
functions of sessions and usage (a tuple of strings reached the server or an unpacking raw).
Sessions run on a database below 060_drop_messaging, which still has the table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.repos import sessions, usage

Conn = AsyncConnection[Any]

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = uuid.UUID(int=7)  # fixed: the ids must be the same on every xdist worker
BAD_CURSORS = [
    ("x", "y"),  # strings: "'str' object has no attribute 'tzinfo'" on the server side
    (WHEN, KEY, 3),  # too many values to unpack
    (WHEN,),
    (str(WHEN), KEY),
    (WHEN, str(KEY)),
    [WHEN, KEY],  # a list, not the tuple a row's key is
]


@pytest.mark.parametrize("cursor", BAD_CURSORS, ids=repr)
async def test_bad_cursors_are_refused_naming_before(
    aconn: Conn, aconn059: Conn, cursor: Any
) -> None:
    says = r"^before must be a \(datetime, UUID\) cursor, not "
    with pytest.raises(ValidationError, match=says):
        await sessions.list_sessions(aconn059, uuid.uuid4(), before=cursor)
    with pytest.raises(ValidationError, match=says):
        await usage.list_spawn_sessions(aconn, before=cursor)


async def test_a_well_formed_cursor_still_pages(aconn: Conn, aconn059: Conn) -> None:
    assert await sessions.list_sessions(aconn059, uuid.uuid4(), before=(WHEN, uuid.uuid4())) == []
    assert await usage.list_spawn_sessions(aconn, before=(WHEN, uuid.uuid4())) == []
