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
from roboco_sql.models.enums import AgentRole, TaskStatus
from roboco_sql.models.member_perf import MemberPerfFields
from roboco_sql.models.task_markers import Marker, json_texts, marker_value
from roboco_sql.repos import (
    a2a,
    agents,
    audit,
    cell_projects,
    claims,
    conventions,
    journals,
    member_perf,
    messages,
    notifications,
    pitches,
    products,
    projects,
    prompter,
    providers,
    review_findings,
    secretary,
    tasks,
    work_sessions,
)
from roboco_sql.repos._task_writes import checked_json
from roboco_sql.repos.transitions import Actor

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


# -- enum labels (issue 19) --------------------------------------------------------------------
# RoboCo passes labels as text: a label no member has is refused naming the parameter before
# the connection is touched (it used to escape as ValueError, KeyError or the server's
# InvalidTextRepresentation).


class _Untouchable:
    """A connection that fails the test when anything touches it: the refusal came first."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a query ran (conn.{name})")


NO_CONN: Any = _Untouchable()
DAY = dt.date(2026, 1, 1)
Repo = Callable[..., Awaitable[object]]


def _nope(func: Repo, param: str, *args: object, **kwargs: object) -> Any:
    """A case: `func` given the label "nope" as `param`, after the connection, `args` and
    `kwargs`; the refusal must name `param`."""
    name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}:{param}"
    return pytest.param(func, args, {**kwargs, param: "nope"}, param, id=name)


BAD_LABELS = [
    # an optional filter (optional_enum_arg)
    _nope(a2a.list_conversations, "status", "qa"),
    _nope(agents.list_agents, "role"),
    _nope(agents.list_agents, "team"),
    _nope(agents.list_agents, "status"),
    _nope(conventions.get_latest_conventions_cache, "status", KEY),
    _nope(journals.list_entries, "type", KEY),
    _nope(member_perf.list_member_perf_days, "member_kind", since=DAY, until=DAY),
    _nope(notifications.list_for_agent, "type", KEY),
    _nope(notifications.list_system, "type"),
    _nope(notifications.list_unacknowledged, "type", KEY),
    _nope(projects.page_projects, "assigned_cell"),
    _nope(projects.list_projects, "assigned_cell"),
    _nope(providers.list_model_assignments, "scope"),
    _nope(providers.resolve_model_assignment, "role"),
    _nope(providers.resolve_model_assignment, "complexity"),
    _nope(tasks.list_tasks, "team"),
    _nope(work_sessions.list_work_sessions, "status"),
    # a required label (enum_arg)
    _nope(cell_projects.get_task_cell_project, "team", KEY),
    _nope(member_perf.get_member_perf_day, "member_kind", DAY, agent_slug="dev"),
    _nope(
        member_perf.upsert_member_perf_day,
        "member_kind",
        DAY,
        agent_slug="dev",
        fields=MemberPerfFields(),
    ),
    _nope(products.resolve_project, "cell", KEY),
    _nope(providers.get_model_assignment_by_key, "scope", scope_value=None),
    _nope(providers.get_provider_config_by_type, "provider_type"),
    _nope(review_findings.add_review_findings, "origin", KEY, [], round=1),
    _nope(review_findings.verify_addressed_findings, "origin", KEY),
    # one label or several (enums_arg): a bad one anywhere in the list
    _nope(tasks.list_tasks, "status"),
    pytest.param(
        tasks.list_tasks,
        (),
        {"status": [TaskStatus.PENDING, "nope"]},
        "status",
        id="tasks.list_tasks:statuses",
    ),
    # an Actor built from text: its team (actor_of)
    pytest.param(
        claims.claim_next,
        (Actor(KEY, AgentRole.DEVELOPER, "nope"),),  # type: ignore[arg-type]
        {},
        "team",
        id="claims.claim_next:team",
    ),
]


@pytest.mark.parametrize(("func", "args", "kwargs", "param"), BAD_LABELS)
async def test_a_bad_enum_label_is_refused_naming_its_parameter_before_any_sql(
    func: Repo, args: tuple[object, ...], kwargs: dict[str, object], param: str
) -> None:
    with pytest.raises(ValidationError, match=rf"^{param} must be one of \w+(, \w+)*, not 'nope'$"):
        await func(NO_CONN, *args, **kwargs)


async def test_an_actors_unknown_role_keeps_its_own_words() -> None:
    """actor_of's refusal predates enum_arg: an Actor's text role now meets the same words
    as the (id, role) pair's, where it used to be a KeyError in the claim rule."""
    for agent in [Actor(KEY, "nope"), (KEY, "nope")]:  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match=r"^unknown agent role 'nope'$"):
            await claims.claim_next(NO_CONN, agent)  # type: ignore[arg-type]


async def test_a_refused_label_is_still_the_value_error_it_was() -> None:
    """Callers that caught the enum constructor's ValueError keep catching the refusal."""
    with pytest.raises(ValueError, match=r"^origin must be one of "):
        await review_findings.verify_addressed_findings(NO_CONN, KEY, origin="nope")  # type: ignore[arg-type]


async def test_list_tasks_takes_labels_as_text_and_an_empty_list_as_before(aconn: Conn) -> None:
    """Text labels are members, and an empty list is still accepted (statuses_arg, the queue
    reads' check, refuses one; list_tasks never did)."""
    assert await tasks.list_tasks(aconn, status="backlog") == []  # type: ignore[arg-type]
    assert await tasks.list_tasks(aconn, status=["backlog", TaskStatus.PENDING]) == []  # type: ignore[list-item]
    assert await tasks.list_tasks(aconn, status=[]) == []


async def test_transition_names_the_unknown_status_before_any_sql() -> None:
    """transition's own wording, the value shown (a mutation survivor once `member` took it)."""
    from roboco_sql.repos import transitions

    with pytest.raises(ValidationError) as raised:
        await transitions.transition(NO_CONN, KEY, "nope", (KEY, AgentRole.DEVELOPER))
    assert str(raised.value) == "unknown task status 'nope'"
