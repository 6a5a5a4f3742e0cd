"""Hostile input through the repositories (issue 10, item 5).

Hypothesis drives the text, JSON and array inputs of the write paths with arbitrary unicode
(lone surrogates and control characters included), quotes, backslashes, NUL bytes, COPY
escapes, SQL fragments and oversized values. Each call must either store exactly what it was
given (read back and compared) or refuse it as a ValidationError (pydantic's at model
construction, roboco_sql's from the repository), in one line: never a database or driver
error, and never an injection: each test's catalog and every table's row count are checked
against what the accepted calls wrote.

30 examples per test by default, 300 under ROBOCO_STRESS=1 (``make stress``).
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import psycopg
import pydantic
import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import AsyncConnection, sql
from pydantic import SecretStr

from roboco_sql.crypto import SecretBox
from roboco_sql.errors import Conflict, EncryptionError, ValidationError
from roboco_sql.models.agent import AgentCreate, AgentUpdate, LLMSettings
from roboco_sql.models.enums import (
    AgentRole,
    ChannelType,
    JournalEntryType,
    NotificationType,
    Team,
)
from roboco_sql.models.journal import JournalEntryCreate
from roboco_sql.models.messaging import ChannelCreate, ChannelUpdate, GroupCreate, MessageCreate
from roboco_sql.models.notification import NotificationCreate
from roboco_sql.models.pitch import PitchCreate
from roboco_sql.models.project import ProjectCreate, ProjectUpdate
from roboco_sql.models.task import NOTE_COLUMNS, TaskUpdate
from roboco_sql.repos import (
    agents,
    channels,
    journals,
    messages,
    notifications,
    pitches,
    projects,
    tasks,
)
from tests.fix_catalog import dump
from tests.test_reliability import STRESS, World, make_world, say

Conn = AsyncConnection[Any]

pytestmark = pytest.mark.slow  # make stress runs them with 10x the examples

EXAMPLES = 300 if STRESS else 30

hostile_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# -- strategies --------------------------------------------------------------------------------

FRAGMENTS = [
    "'",
    "''",
    '"',
    "\\",
    "\\\\",
    "\\N",
    "\\.",
    "\\x00",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "%",
    "%s",
    "%(id)s",
    "{}",
    "{",
    "}",
    "[",
    "]",
    ",",
    "$1",
    "$$",
    "$x$",
    ":id",
    "::text",
    "?",
    ";",
    "--",
    "/*",
    "*/",
    "NULL",
    "null",
    "'; DROP TABLE agents; --",
    "' OR '1'='1",
    '"; DELETE FROM tasks; --',
    "$$; DROP SCHEMA public CASCADE; $$",
    "'); TRUNCATE messages; --",
    "E'\\x00'",
    "U&'\\0000'",
    "\\copy agents to '/tmp/x'",
    "\u2028",
    "\ufeff",
    "\u202e",
    "\u0301",
    "😀",
    "ẞ",
    "\U0010ffff",
    "\ud800",
    "\udfff",
]


def _surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


STORABLE_FRAGMENTS = [f for f in FRAGMENTS if "\x00" not in f and not _surrogate(f)]


def hostile_text(pieces: int = 8) -> st.SearchStrategy[str]:
    """Mostly text PostgreSQL can hold, made of quotes, escapes, SQL and arbitrary unicode (so
    most calls get as far as the database); otherwise anything: NUL, lone surrogates and
    controls glued in, or one long run of a nasty character."""
    storable_piece = st.one_of(
        st.sampled_from(STORABLE_FRAGMENTS),
        st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=12),
    )
    storable = st.lists(storable_piece, min_size=1, max_size=pieces).map("".join)
    piece = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(max_size=12),
        st.text(st.characters(exclude_categories=()), max_size=4),  # surrogates, controls
    )
    oversized = st.builds(
        lambda c, n: c * n,
        st.sampled_from(["x", "é", "😀", "'", "\\", "\x00", "\n"]),
        st.sampled_from([51, 101, 201, 501, 4_001, 100_000, 1_000_000]),
    )
    anything = st.one_of(st.lists(piece, max_size=pieces).map("".join), st.text(), oversized)
    return st.one_of(*[storable] * 6, anything)


TEXT = hostile_text(6)
SHORT = hostile_text(3)
MAYBE = st.none() | TEXT
ARRAY = st.lists(SHORT, max_size=6)
SLUG = st.one_of(*[st.from_regex(r"[a-z0-9-]{1,50}", fullmatch=True)] * 3, SHORT)
SECRET = hostile_text().filter(lambda s: not _surrogate(s))
"""Tokens: lone surrogates are left out (see test_token_with_a_lone_surrogate_is_refused)."""

JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and infinities too: JSON has no spelling for them
    SHORT,
)
JSON = st.recursive(
    JSON_SCALAR,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(SHORT, kids, max_size=4)),
    max_leaves=12,
)
JSON_OBJECT = st.dictionaries(SHORT, JSON, max_size=5)

Row = dict[str, Any]
"""Values by column name: drawn, given to a model, and read back."""


def columns(
    table: Mapping[str, st.SearchStrategy[Any]] | None = None, /, **more: st.SearchStrategy[Any]
) -> st.SearchStrategy[Row]:
    """A row's hostile values, by column name, drawn from the strategies of `table` and
    `more`: a test passes them on as they are, to the model and to the read-back checks."""
    return st.fixed_dictionaries({**(table or {}), **more})


# -- fixtures and checks -----------------------------------------------------------------------


@dataclass
class Guard:
    """What the accepted calls wrote, checked at teardown against the catalog and counts, and
    row by row against what each call was given (read from the tables themselves, not
    through the repository that wrote them)."""

    expected: Counter[str] = field(default_factory=Counter)
    tally: Counter[str] = field(default_factory=Counter)
    slugs: set[str] = field(default_factory=set)
    rows: dict[tuple[str, Any], dict[str, Any]] = field(default_factory=dict)

    def wrote(self, table: str, n: int = 1) -> None:
        self.expected[table] += n

    def stored(self, table: str, row_id: Any, **columns: Any) -> None:
        """An accepted call stored these values in row row_id of table (a later call on the
        same row overrides what it changed)."""
        self.rows.setdefault((table, row_id), {}).update(columns)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def stored_mismatches(url: str, guard: Guard) -> list[str]:
    """Every recorded value that its row does not hold now, read with plain SQL."""
    bad = []
    with psycopg.connect(url, autocommit=True) as conn:
        for (table, row_id), expected in guard.rows.items():
            query = sql.SQL("SELECT {} FROM {} WHERE id = %s").format(
                sql.SQL(", ").join(map(sql.Identifier, expected)), sql.Identifier(table)
            )
            row = conn.execute(query, (row_id,)).fetchone()
            if row is None:
                bad.append(f"{table} {row_id}: not stored")
                continue
            for (column, given), got in zip(expected.items(), row, strict=True):
                if not same_json(given, got):
                    bad.append(
                        f"{table}.{column} of {row_id}: {_short(got)}, given {_short(given)}"
                    )
    return bad


def counts(url: str) -> dict[str, int]:
    """Rows per table of every schema of ours, plus schemas and roles (an injection that
    creates one shows here)."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
            "WHERE schemaname IN ('public', 'roboco_sql') ORDER BY 1"
        ).fetchall()
        query = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for (t,) in tables)
        out = {str(t): int(n) for t, n in conn.execute(query)}
        for what, sql in (
            ("<schemas>", "SELECT count(*) FROM pg_namespace"),
            ("<roles>", "SELECT count(*) FROM pg_roles"),
            ("<databases>", "SELECT count(*) FROM pg_database"),
        ):
            row = conn.execute(sql).fetchone()
            assert row is not None
            out[what] = int(row[0])
        return out


BELOW_060 = pytest.mark.parametrize("url", ["059"], indirect=True)
"""Runs a test on a database at 059_x_credentials: the messaging tables RoboCo's 060 drops."""


@pytest.fixture
def url(request: pytest.FixtureRequest) -> str:
    """The database under test: a fresh one at head, or at 059 under BELOW_060."""
    below = getattr(request, "param", "head") == "059"
    return str(request.getfixturevalue("db059_url" if below else "db_url"))


@pytest.fixture
async def aconn(url: str) -> AsyncIterator[Conn]:
    """Autocommit: a refused call leaves nothing behind, and nothing is left uncommitted."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as c:
        yield c


@pytest.fixture
async def world(aconn: Conn, request: pytest.FixtureRequest) -> World:
    callspec = getattr(request.node, "callspec", None)
    below = callspec is not None and callspec.params.get("url") == "059"
    return await make_world(aconn, "hostile", messaging=below)


@pytest.fixture
def guard(url: str, world: World, request: pytest.FixtureRequest) -> Iterator[Guard]:
    before_catalog, before = dump(url), counts(url)
    g = Guard()
    yield g
    bad = stored_mismatches(url, g)
    assert not bad, bad[:5]
    g.tally["rows read back"] = len(g.rows)
    after = counts(url)
    expected = {k: v + g.expected.get(k.removeprefix("public."), 0) for k, v in before.items()}
    assert after == expected, {k: (expected[k], after[k]) for k in after if after[k] != expected[k]}
    assert dump(url) == before_catalog
    name = request.node.name.removeprefix("test_")
    say(f"hostile {name}: {dict(sorted(g.tally.items()))}")


def model_refused(guard: Guard, exc: pydantic.ValidationError) -> None:
    """A refusal at model construction, tallied by reason."""
    guard.tally["refused by model"] += 1
    for error in exc.errors():
        kind = str(error["type"])
        if kind == "value_error":
            msg = str(error["msg"])
            kind = "NUL" if "NUL" in msg else "surrogate" if "surrogate" in msg else "rule"
        guard.tally[f"  {kind}"] += 1


def refused(guard: Guard, exc: Exception, entity: str) -> None:
    """A repository refusal: our ValidationError, one line, naming the entity."""
    text = str(exc)
    assert isinstance(exc, ValidationError), repr(exc)
    assert text.startswith(f"{entity}: ") and "\n" not in text, text
    guard.tally["refused by repo"] += 1
    guard.tally[f"  repo: {text.split(': ', 1)[1][:40]}"] += 1


def same_json(given: Any, stored: Any) -> bool:
    """JSON equality, with numbers compared as numbers (1 == 1.0, as JSON has one kind)."""
    if isinstance(given, bool) or isinstance(stored, bool):
        return given is stored
    if isinstance(given, int | float) and isinstance(stored, int | float):
        return given == stored or (math.isnan(given) and math.isnan(stored))
    if isinstance(given, dict) and isinstance(stored, dict):
        return given.keys() == stored.keys() and all(same_json(given[k], stored[k]) for k in given)
    if isinstance(given, list) and isinstance(stored, list):
        return len(given) == len(stored) and all(
            same_json(a, b) for a, b in zip(given, stored, strict=True)
        )
    return bool(given == stored)


def has_nul(*values: Any) -> bool:
    """Whether any text (not JSON) value holds a NUL, which must never be stored."""
    for v in values:
        if isinstance(v, str) and "\x00" in v:
            return True
        if isinstance(v, list) and any(isinstance(x, str) and "\x00" in x for x in v):
            return True
    return False


def mismatches(row: Any, columns: Row) -> list[str]:
    """The given columns a row read back through its repository holds otherwise."""
    return [
        f"{column}: {_short(getattr(row, column))}, given {_short(given)}"
        for column, given in columns.items()
        if not same_json(given, getattr(row, column))
    ]


@dataclass(frozen=True)
class Writes:
    """An aggregate's write path under test: the entity its refusals name, its table, and its
    repository's create, read and update functions (each taking the connection first)."""

    entity: str
    table: str
    create: Callable[[Conn, Any], Awaitable[Any]]
    get: Callable[[Conn, Any], Awaitable[Any]]
    update: Callable[[Conn, Any, Any], Awaitable[Any]] | None = None


def built(guard: Guard, build: Callable[[], Any], columns: Row) -> Any | None:
    """build() the input model: refused by it (tallied; None), or built, and then none of the
    given text holds a NUL (the models refuse it)."""
    try:
        data = build()
    except pydantic.ValidationError as exc:
        model_refused(guard, exc)
        return None
    assert not has_nul(*columns.values())
    return data


def read_back(guard: Guard, table: str, row: Any, got: Any, columns: Row) -> Any:
    """A `row` an accepted call stored, and the same row read `got` back through its
    repository: equal, holding every given column, and recorded for the guard's own read-back.
    The row read."""
    guard.tally["stored"] += 1
    guard.stored(table, row.id, **columns)
    assert got is not None and got == row
    assert not mismatches(got, columns)
    return got


async def created(
    guard: Guard, conn: Conn, writes: Writes, build: Callable[[], Any], columns: Row
) -> Any | None:
    """build() the model and create it: refused (by the model, or by the repository as a
    ValidationError naming the entity), a Conflict on a slug an earlier example stored, or
    stored exactly (see read_back). The stored row, or None."""
    data = built(guard, build, columns)
    if data is None:
        return None
    slug = columns.get("slug")
    try:
        made = await writes.create(conn, data)
    except Conflict:
        assert slug is not None and slug in guard.slugs
        guard.tally["slug taken"] += 1
        return None
    except Exception as exc:
        refused(guard, exc, writes.entity)
        return None
    if slug is not None:
        guard.slugs.add(slug)
    guard.wrote(writes.table)
    return read_back(guard, writes.table, made, await writes.get(conn, made.id), columns)


async def updated(
    guard: Guard,
    conn: Conn,
    writes: Writes,
    build: Callable[[], Any],
    columns: Row,
    *,
    target: Any,
    forget: tuple[str, ...] = (),
) -> Any | None:
    """build() the patch and update row `target` with it: refused with the row left as it was
    (nothing half-written), or stored exactly as in created(); `forget` names recorded
    columns the update rewrites on its own. The updated row, or None."""
    assert writes.update is not None
    before = await writes.get(conn, target)
    patch = built(guard, build, columns)
    if patch is None:
        return None
    try:
        result = await writes.update(conn, target, patch)
    except Exception as exc:
        refused(guard, exc, writes.entity)
        assert await writes.get(conn, target) == before  # nothing half-written
        return None
    for column in forget:
        guard.rows[(writes.table, target)].pop(column)
    return read_back(guard, writes.table, result, await writes.get(conn, target), columns)


AGENTS = Writes("agent", "agents", agents.create_agent, agents.get_agent, agents.update_agent)
BOX = SecretBox(Fernet.generate_key().decode())
PROJECTS = Writes(
    "project",
    "projects",
    partial(projects.create_project, box=BOX),
    projects.get_project,
    partial(projects.update_project, box=BOX),
)
TASKS = Writes("task", "tasks", tasks.create_task, tasks.get_task, tasks.update_task)
NOTIFICATIONS = Writes(
    "notification", "notifications", notifications.send_notification, notifications.get_notification
)
JOURNAL_ENTRIES = Writes("journal entry", "journal_entries", journals.add_entry, journals.get_entry)
PITCHES = Writes("pitch", "pitches", pitches.propose_pitch, pitches.get_pitch)
CHANNELS = Writes(
    "channel", "channels", channels.create_channel, channels.get_channel, channels.update_channel
)
GROUPS = Writes("group", "groups", channels.create_group, channels.get_group)


# -- agents ------------------------------------------------------------------------------------

AGENT_EDITS = {
    "name": TEXT,
    "system_prompt": TEXT,
    "capabilities": ARRAY,
    "description": MAYBE,
    "permissions": JSON_OBJECT,
}
"""The agent columns both create and update write."""


@hostile_settings
@given(
    new=columns(AGENT_EDITS, slug=SLUG, metrics=JSON_OBJECT),
    llm_name=st.none() | SHORT,
    patch=columns(AGENT_EDITS),
)
async def test_agents_create_and_update(
    *, aconn: Conn, guard: Guard, world: World, new: Row, llm_name: str | None, patch: Row
) -> None:
    guard.tally["examples"] += 1
    target = world.agent
    made = await created(
        guard,
        aconn,
        AGENTS,
        lambda: AgentCreate(
            **new, role=AgentRole.DEVELOPER, model_config=LLMSettings(name=llm_name)
        ),
        new,
    )
    if made is not None:
        assert made.llm_config == ({"name": llm_name} if llm_name is not None else {})
        target = made.id
    await updated(guard, aconn, AGENTS, lambda: AgentUpdate(**patch), patch, target=target)


# -- projects ----------------------------------------------------------------------------------

PROJECT_EDITS = {"git_url": TEXT, "protected_branches": ARRAY}
"""The project columns both create and update write."""

COMMANDS = tuple(
    f"{kind}_command" for kind in ("test", "lint", "format", "typecheck", "build", "quality")
)


def token(secret: str | None) -> SecretStr | None:
    return None if secret is None else SecretStr(secret)


def plain(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


@hostile_settings
@given(
    new=columns(PROJECT_EDITS, name=TEXT, slug=SLUG, default_branch=TEXT, workspace_path=MAYBE),
    command=MAYBE,
    secret=st.none() | SECRET,
    patch=columns(PROJECT_EDITS, test_command=MAYBE, head_commit=MAYBE),
    new_secret=st.none() | SECRET,
)
async def test_projects_create_and_update(
    *,
    aconn: Conn,
    guard: Guard,
    world: World,
    new: Row,
    command: str | None,
    secret: str | None,
    patch: Row,
    new_secret: str | None,
) -> None:
    guard.tally["examples"] += 1
    assert world.project is not None
    target = world.project.id
    new = new | dict.fromkeys(COMMANDS, command)
    made = await created(
        guard,
        aconn,
        PROJECTS,
        lambda: ProjectCreate(
            **new, git_token=token(secret), assigned_cell=Team.BACKEND, created_by=world.agent
        ),
        new,
    )
    if made is not None:
        stored = await projects.read_git_token(aconn, made.id, box=BOX)
        assert plain(stored) == (secret or None)  # an empty token means none
        target = made.id

    before = await projects.read_git_token(aconn, target, box=BOX)
    build = partial(ProjectUpdate, **patch, git_token=token(new_secret))
    if await updated(guard, aconn, PROJECTS, build, patch, target=target) is not None:
        after = plain(await projects.read_git_token(aconn, target, box=BOX))
        assert after == (plain(before) if new_secret is None else new_secret or None)


async def test_token_with_a_lone_surrogate_is_refused(aconn: Conn, world: World) -> None:
    data = ProjectCreate(
        name="p",
        slug="surrogate-token",
        git_url="u",
        git_token=SecretStr("tok\ud800en"),
        assigned_cell=Team.BACKEND,
        created_by=world.agent,
    )
    with pytest.raises((ValidationError, EncryptionError)):
        await projects.create_project(aconn, data, box=BOX)


# -- tasks -------------------------------------------------------------------------------------

TASK_EDITS = {
    "title": TEXT,
    "description": TEXT,
    "acceptance_criteria": st.lists(SHORT, min_size=1, max_size=6),
}
"""The task columns both create and update write."""


@hostile_settings
@given(
    new=columns(TASK_EDITS, parent_ac_refs=ARRAY, source=TEXT),
    with_ids=st.booleans(),
    patch=columns(TASK_EDITS, branch_name=MAYBE, pr_url=MAYBE),
    notes=MAYBE,
)
async def test_tasks_create_and_update(
    *,
    aconn: Conn,
    guard: Guard,
    world: World,
    new: Row,
    with_ids: bool,
    patch: Row,
    notes: str | None,
) -> None:
    guard.tally["examples"] += 1
    ids = [f"{c}-{n}" for n, c in enumerate(new["acceptance_criteria"])] if with_ids else []
    new = new | {"acceptance_criteria_ids": ids}
    data = built(guard, lambda: world.task(**new), new)
    if data is None:
        data = world.task()  # the update still runs, on a plain task
    try:
        made = await tasks.create_task(aconn, data)
    except Exception as exc:
        refused(guard, exc, "task")
        return
    guard.wrote("tasks")
    stored = {column: getattr(data, column) for column in new}
    read_back(guard, "tasks", made, await tasks.get_task(aconn, made.id), stored)

    patch = patch | dict.fromkeys(sorted(NOTE_COLUMNS), notes)  # every free-text note column
    # rewritten criteria get their ids from the repository (kept per text, else fresh)
    forget = ("acceptance_criteria_ids",)
    build = partial(TaskUpdate, **patch)
    again = await updated(guard, aconn, TASKS, build, patch, target=made.id, forget=forget)
    if again is not None:
        assert len(again.acceptance_criteria_ids) == len(patch["acceptance_criteria"])


# -- messages ----------------------------------------------------------------------------------


@BELOW_060
@hostile_settings
@given(message=columns(content=TEXT, commit_ref=MAYBE, raw_excerpt=MAYBE), copies=st.integers(1, 3))
async def test_messages_post_and_copy(
    *, aconn: Conn, guard: Guard, world: World, message: Row, copies: int
) -> None:
    """post_message (one INSERT) and post_messages (COPY, where backslashes, tabs, newlines
    and ``\\N`` are escapes) with the same hostile values."""
    guard.tally["examples"] += 1
    try:
        one = world.message(**message)
        batch = [world.message(**message) for _ in range(copies)]
    except pydantic.ValidationError as exc:
        model_refused(guard, exc)
        return
    assert not has_nul(*message.values())
    sent: list[MessageCreate] = []
    try:
        await messages.post_message(aconn, one)
        sent.append(one)
    except Exception as exc:
        refused(guard, exc, "message")
    try:
        await messages.post_messages(aconn, batch)
        sent.extend(batch)
    except Exception as exc:
        refused(guard, exc, "message")
    guard.wrote("messages", len(sent))
    guard.tally["stored"] += len(sent)
    for m in sent:
        guard.stored("messages", m.id, **message)
    for m in sent:
        got = await messages.get_message(aconn, m.id)
        assert got is not None
        assert {column: getattr(got, column) for column in message} == message
        assert got.content_length == len(message["content"])


# -- notifications, journals, pitches ---------------------------------------------------------


@hostile_settings
@given(note=columns(subject=TEXT, body=TEXT))
async def test_notifications_send(aconn: Conn, guard: Guard, world: World, note: Row) -> None:
    guard.tally["examples"] += 1
    build = partial(
        NotificationCreate,
        type=NotificationType.ALERT,
        from_agent=world.agent,
        to_agents=[world.agent],
    )
    await created(guard, aconn, NOTIFICATIONS, lambda: build(**note), note)


@hostile_settings
@given(entry=columns(title=TEXT, content=TEXT, tags=ARRAY, sentiment=MAYBE))
async def test_journals_add_entry(aconn: Conn, guard: Guard, world: World, entry: Row) -> None:
    guard.tally["examples"] += 1
    journal = await journals.get_journal_by_agent(aconn, world.agent)
    if journal is None:
        journal = await journals.get_or_create_journal(aconn, world.agent)
        guard.wrote("journals")
    build = partial(JournalEntryCreate, journal_id=journal.id, type=JournalEntryType.LEARNING)
    await created(guard, aconn, JOURNAL_ENTRIES, lambda: build(**entry), entry)


@hostile_settings
@given(pitch=columns(title=TEXT, slug=SLUG, problem=TEXT, proposed_solution=TEXT))
async def test_pitches_propose(aconn: Conn, guard: Guard, world: World, pitch: Row) -> None:
    guard.tally["examples"] += 1
    build = partial(PitchCreate, target_cells=[Team.BACKEND], created_by=world.agent)
    await created(guard, aconn, PITCHES, lambda: build(**pitch), pitch)


# -- channels ----------------------------------------------------------------------------------

CHANNEL_NAME = st.one_of(*[st.from_regex(r"#?[a-z0-9-]{1,60}", fullmatch=True)] * 3, SHORT)
CHANNEL_EDITS = {"name": CHANNEL_NAME, "description": MAYBE}
"""The channel columns both create and update write."""


@BELOW_060
@hostile_settings
@given(
    new=columns(CHANNEL_EDITS, slug=SLUG, topic=MAYBE),
    patch=columns(CHANNEL_EDITS),
    group=columns(name=TEXT, default_session_config=JSON_OBJECT),
)
async def test_channels_create_update_and_groups(
    *, aconn: Conn, guard: Guard, world: World, new: Row, patch: Row, group: Row
) -> None:
    guard.tally["examples"] += 1
    assert world.channel is not None
    target = world.channel.id
    made = await created(
        guard, aconn, CHANNELS, lambda: ChannelCreate(**new, type=ChannelType.CELL), new
    )
    if made is not None:
        target = made.id
    await updated(guard, aconn, CHANNELS, lambda: ChannelUpdate(**patch), patch, target=target)
    await created(guard, aconn, GROUPS, lambda: GroupCreate(**group, channel_id=target), group)


# -- lookups -----------------------------------------------------------------------------------

STORABLE = TEXT.filter(lambda s: "\x00" not in s and not _surrogate(s))


@hostile_settings
@given(text=STORABLE)
async def test_lookups_by_text_find_nothing_and_inject_nothing(
    aconn: Conn, guard: Guard, world: World, text: str
) -> None:
    """Slug and name lookups with quotes, backslashes, SQL fragments and oversized text: None
    (unless it is a real slug), no error."""
    guard.tally["examples"] += 1
    assert await agents.get_agent_by_slug(aconn, text) is None or text == "hostile-dev"
    assert await projects.get_project_by_slug(aconn, text) is None or text == "hostile-repo"
    assert await pitches.get_pitch_by_slug(aconn, text) is None
    guard.tally["looked up"] += 3


@BELOW_060
@hostile_settings
@given(text=STORABLE)
async def test_channel_lookups_by_text_find_nothing_and_inject_nothing(
    aconn: Conn, guard: Guard, world: World, text: str
) -> None:
    """The same for channels, at 059 where their table is."""
    guard.tally["examples"] += 1
    assert await agents.get_agent_by_slug(aconn, text) is None or text == "hostile-dev"
    found = await channels.get_channel_by_slug(aconn, text)
    assert found is None or found.slug == text.lstrip("#")
    assert await channels.get_channel_by_name(aconn, text) is None or text == "#hostile-cell"
    guard.tally["looked up"] += 3


@pytest.mark.parametrize("text", ["slug\x00", "slug\ud800"])
async def test_lookup_with_unstorable_text_is_a_validation_error(aconn: Conn, text: str) -> None:
    with pytest.raises(ValidationError):
        await agents.get_agent_by_slug(aconn, text)


async def test_the_guard_reads_back_what_was_stored(url: str, aconn: Conn, world: World) -> None:
    """The guard's read-back sees a stored value that differs from the one given."""
    made = await agents.get_agent(aconn, world.agent)
    assert made is not None
    g = Guard()
    g.stored("agents", made.id, name=made.name, capabilities=made.capabilities)
    assert stored_mismatches(url, g) == []
    g.stored("agents", made.id, name=made.name + " ")
    g.stored("agents", uuid.uuid4(), name="never stored")
    bad = stored_mismatches(url, g)
    assert len(bad) == 2 and bad[0].startswith("agents.name of ") and "not stored" in bad[1], bad
