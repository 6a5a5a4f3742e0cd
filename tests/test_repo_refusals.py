"""Arguments the generated hostile-input test found reaching an unpacking, pydantic or the
server raw, now refused by name with the project's one-line ValidationError before any SQL:
keyset cursors of the wrong shape, a content cap beyond int4, a pitch decision pydantic
refuses; and a 1000-deep marker value walked without exhausting Python's recursion."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import ValidationError
from roboco_sql.models.task_markers import Marker, json_texts, marker_value
from roboco_sql.repos import (
    a2a,
    audit,
    conventions,
    journals,
    messages,
    notifications,
    pitches,
    prompter,
    secretary,
)
from roboco_sql.repos._task_writes import checked_json

Conn = AsyncConnection[Any]
Lister = Callable[[Conn, Any], Awaitable[object]]

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KEY = uuid.UUID(int=7)  # fixed: the ids must be the same on every xdist worker
BAD_CURSORS = [
    ("x", "y"),  # strings: "'str' object has no attribute 'tzinfo'"
    (WHEN, KEY, 3),  # too many values to unpack
    (WHEN,),
    (str(WHEN), KEY),  # InvalidDatetimeFormat on the server
    (WHEN, str(KEY)),
    [WHEN, KEY],  # a list, not the tuple a row's key is
]

# Each list function with a (datetime, UUID) `before` cursor, called with that cursor; the
# flag says its table is gone at head (messaging, dropped by 060), so it pages below 060.
BEFORE: dict[str, tuple[Lister, bool]] = {
    "a2a.list_conversations": (lambda c, b: a2a.list_conversations(c, "qa", before=b), False),
    "a2a.list_messages": (lambda c, b: a2a.list_messages(c, KEY, before=b), False),
    "conventions.list_convention_findings": (
        lambda c, b: conventions.list_convention_findings(c, KEY, before=b),
        False,
    ),
    "journals.list_entries": (lambda c, b: journals.list_entries(c, KEY, before=b), False),
    "messages.list_channel_messages": (
        lambda c, b: messages.list_channel_messages(c, KEY, before=b),
        True,
    ),
    "messages.list_messages": (lambda c, b: messages.list_messages(c, KEY, before=b), True),
    "notifications.list_for_agent": (
        lambda c, b: notifications.list_for_agent(c, KEY, before=b),
        False,
    ),
    "notifications.list_unacknowledged": (
        lambda c, b: notifications.list_unacknowledged(c, KEY, before=b),
        False,
    ),
    "prompter.list_prompter_sessions": (
        lambda c, b: prompter.list_prompter_sessions(c, before=b),
        False,
    ),
    "secretary.list_directives": (lambda c, b: secretary.list_directives(c, before=b), False),
}


@pytest.mark.parametrize("cursor", BAD_CURSORS, ids=repr)
@pytest.mark.parametrize("name", sorted(BEFORE))
async def test_a_bad_before_cursor_is_refused_naming_before(
    aconn: Conn, name: str, cursor: Any
) -> None:
    call, _ = BEFORE[name]
    with pytest.raises(ValidationError, match=r"^before must be a \(datetime, UUID\) cursor, not "):
        await call(aconn, cursor)


@pytest.mark.parametrize("name", sorted(BEFORE))
async def test_a_well_formed_before_cursor_still_pages(
    aconn: Conn, aconn059: Conn, name: str
) -> None:
    call, below_060 = BEFORE[name]
    assert await call(aconn059 if below_060 else aconn, (WHEN, KEY)) == []


@pytest.mark.parametrize("cursor", BAD_CURSORS, ids=repr)
async def test_a_bad_after_cursor_is_refused_naming_after(aconn: Conn, cursor: Any) -> None:
    with pytest.raises(ValidationError, match=r"^after must be a \(datetime, UUID\) cursor, not "):
        await prompter.list_prompter_messages(aconn, KEY, after=cursor)
    assert await prompter.list_prompter_messages(aconn, KEY, after=(WHEN, KEY)) == []


@pytest.mark.parametrize("cursor", [("x", "y"), (WHEN, KEY), "entry"], ids=repr)
async def test_audit_before_must_be_an_entry(aconn: Conn, cursor: Any) -> None:
    with pytest.raises(ValidationError, match=r"^before must be the last AuditLogEntry seen, not "):
        await audit.list_audit_log(aconn, before=cursor)


@pytest.mark.parametrize("cap", [0, -1, 2**31, 2**63 - 1, True, "800"], ids=repr)
async def test_content_cap_outside_int4_is_refused_naming_it(aconn: Conn, cap: Any) -> None:
    with pytest.raises(ValidationError, match=r"^content_cap must be a whole number from 1 to "):
        await journals.list_task_highlights(aconn, KEY, content_cap=cap)


async def test_content_cap_at_the_int4_limit_runs(aconn: Conn) -> None:
    assert await journals.list_task_highlights(aconn, KEY, content_cap=2**31 - 1) == []
    assert await journals.list_task_highlights(aconn, KEY, content_cap=1) == []


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"notes": "a\x00b"}, r"^pitch decision: decision_notes contains a NUL"),
        ({"provisioned_project_ids": ["not-a-uuid"]}, r"^pitch decision: provisioned_project_ids"),
        ({"provisioned_project_ids": "abc"}, r"^pitch decision: provisioned_project_ids"),
    ],
    ids=["nul-notes", "bad-project-id", "ids-as-text"],
)
async def test_approve_pitch_refuses_its_decision_as_ours(
    aconn: Conn, fields: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValidationError, match=says) as caught:
        await pitches.approve_pitch(aconn, KEY, decided_by=KEY, **fields)
    assert not isinstance(caught.value, pydantic.ValidationError)
    assert "\n" not in str(caught.value)


def _deep(leaf: object, depth: int = 1000) -> object:
    for level in range(depth):
        leaf = {"k": leaf} if level % 2 else [leaf]  # an object outermost
    return leaf


def test_a_1000_deep_marker_value_is_walked_not_a_recursion_error() -> None:
    deep = _deep("bottom")
    assert json_texts(deep) == ["k"] * 500 + ["bottom"]
    assert marker_value(Marker.ESCALATION, deep) is deep
    with pytest.raises(ValueError, match=r"^marker escalation contains a NUL"):
        marker_value(Marker.ESCALATION, _deep("a\x00b"))


def test_json_texts_keeps_document_order() -> None:
    value = {"a": ["b", {"c": "d", "e": 1}], "f": ("g", "h")}
    assert json_texts(value) == ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_task_writes_walk_the_same_texts_deep() -> None:
    """_task_writes.checked_json checks each string with the models' walk: a NUL at the
    bottom of a 1000-deep document is found and named."""
    with pytest.raises(ValidationError, match=r"^plan contains a NUL"):
        checked_json("plan", _deep("a\x00b"))
