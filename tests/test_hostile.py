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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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


def mismatches(row: Any, columns: dict[str, Any]) -> list[str]:
    """The given columns a row read back through its repository holds otherwise."""
    return [
        f"{column}: {_short(getattr(row, column))}, given {_short(given)}"
        for column, given in columns.items()
        if not same_json(given, getattr(row, column))
    ]


async def created(
    guard: Guard,
    entity: str,
    build: Callable[[], Any],
    create: Callable[[Any], Awaitable[Any]],
    get: Callable[[Any], Awaitable[Any]],
    *,
    columns: dict[str, Any],
    table: str,
    slug: str | None = None,
    text: tuple[Any, ...] = (),
) -> Any | None:
    """build() the model and create() it: refused (by the model, or by the repository as a
    ValidationError naming `entity`), a Conflict on a `slug` an earlier example stored, or
    stored exactly: read back through get() equal to what create returned and holding every
    given column (recorded for the guard's own read-back). The stored row, or None."""
    try:
        data = build()
    except pydantic.ValidationError as exc:
        model_refused(guard, exc)
        return None
    assert not has_nul(*text)
    try:
        made = await create(data)
    except Conflict:
        assert slug is not None and slug in guard.slugs
        guard.tally["slug taken"] += 1
        return None
    except Exception as exc:
        refused(guard, exc, entity)
        return None
    if slug is not None:
        guard.slugs.add(slug)
    guard.wrote(table)
    guard.tally["stored"] += 1
    guard.stored(table, made.id, **columns)
    got = await get(made.id)
    assert got is not None and got == made
    assert not mismatches(got, columns)
    return got


async def updated(
    guard: Guard,
    entity: str,
    target: Any,
    build: Callable[[], Any],
    update: Callable[[Any, Any], Awaitable[Any]],
    *,
    get: Callable[[Any], Awaitable[Any]],
    columns: dict[str, Any],
    table: str,
    text: tuple[Any, ...] = (),
    forget: tuple[str, ...] = (),
) -> Any | None:
    """build() the patch and update() row `target` with it: refused with the row left as it
    was (nothing half-written), or stored exactly as in created(); `forget` names recorded
    columns the update rewrites on its own. The updated row, or None."""
    before = await get(target)
    try:
        patch = build()
    except pydantic.ValidationError as exc:
        model_refused(guard, exc)
        return None
    assert not has_nul(*text)
    try:
        result = await update(target, patch)
    except Exception as exc:
        refused(guard, exc, entity)
        assert await get(target) == before  # nothing half-written
        return None
    guard.tally["stored"] += 1
    for column in forget:
        guard.rows[(table, target)].pop(column)
    guard.stored(table, target, **columns)
    got = await get(target)
    assert got is not None and got == result
    assert not mismatches(got, columns)
    return got


# -- agents ------------------------------------------------------------------------------------


@hostile_settings
@given(
    name=TEXT,
    slug=SLUG,
    prompt=TEXT,
    capabilities=ARRAY,
    permissions=JSON_OBJECT,
    metrics=JSON_OBJECT,
    description=MAYBE,
    llm_name=st.none() | SHORT,
    new_name=TEXT,
    new_prompt=TEXT,
    new_capabilities=ARRAY,
    new_permissions=JSON_OBJECT,
    new_description=MAYBE,
)
async def test_agents_create_and_update(
    *,
    aconn: Conn,
    guard: Guard,
    world: World,
    name: str,
    slug: str,
    prompt: str,
    capabilities: list[str],
    permissions: dict[str, Any],
    metrics: dict[str, Any],
    description: str | None,
    llm_name: str | None,
    new_name: str,
    new_prompt: str,
    new_capabilities: list[str],
    new_permissions: dict[str, Any],
    new_description: str | None,
) -> None:
    guard.tally["examples"] += 1
    get = partial(agents.get_agent, aconn)
    target = world.agent
    columns: dict[str, Any] = {
        "name": name,
        "slug": slug,
        "system_prompt": prompt,
        "capabilities": capabilities,
        "description": description,
    }
    made = await created(
        guard,
        "agent",
        lambda: AgentCreate(
            name=name,
            slug=slug,
            role=AgentRole.DEVELOPER,
            system_prompt=prompt,
            capabilities=capabilities,
            permissions=permissions,
            metrics=metrics,
            description=description,
            model_config=LLMSettings(name=llm_name),
        ),
        partial(agents.create_agent, aconn),
        get,
        columns=columns | {"permissions": permissions, "metrics": metrics},
        table="agents",
        slug=slug,
        text=tuple(columns.values()),
    )
    if made is not None:
        assert made.llm_config == ({"name": llm_name} if llm_name is not None else {})
        target = made.id

    columns = {
        "name": new_name,
        "system_prompt": new_prompt,
        "capabilities": new_capabilities,
        "description": new_description,
    }
    await updated(
        guard,
        "agent",
        target,
        lambda: AgentUpdate(**columns, permissions=new_permissions),
        partial(agents.update_agent, aconn),
        get=get,
        columns=columns | {"permissions": new_permissions},
        table="agents",
        text=tuple(columns.values()),
    )


# -- projects ----------------------------------------------------------------------------------

BOX = SecretBox(Fernet.generate_key().decode())


@hostile_settings
@given(
    name=TEXT,
    slug=SLUG,
    git_url=TEXT,
    branch=TEXT,
    protected=ARRAY,
    command=MAYBE,
    workspace=MAYBE,
    token=st.none() | SECRET,
    new_url=TEXT,
    new_protected=ARRAY,
    new_command=MAYBE,
    head_commit=MAYBE,
    new_token=st.none() | SECRET,
)
async def test_projects_create_and_update(
    *,
    aconn: Conn,
    guard: Guard,
    world: World,
    name: str,
    slug: str,
    git_url: str,
    branch: str,
    protected: list[str],
    command: str | None,
    workspace: str | None,
    token: str | None,
    new_url: str,
    new_protected: list[str],
    new_command: str | None,
    head_commit: str | None,
    new_token: str | None,
) -> None:
    guard.tally["examples"] += 1
    assert world.project is not None
    get = partial(projects.get_project, aconn)
    target = world.project.id
    commands = dict.fromkeys(
        (f"{kind}_command" for kind in ("test", "lint", "format", "typecheck", "build", "quality")),
        command,
    )
    columns: dict[str, Any] = {
        "name": name,
        "slug": slug,
        "git_url": git_url,
        "default_branch": branch,
        "protected_branches": protected,
        "workspace_path": workspace,
        **commands,
    }
    made = await created(
        guard,
        "project",
        lambda: ProjectCreate(
            **columns,
            git_token=None if token is None else SecretStr(token),
            assigned_cell=Team.BACKEND,
            created_by=world.agent,
        ),
        partial(projects.create_project, aconn, box=BOX),
        get,
        columns=columns,
        table="projects",
        slug=slug,
        text=(name, slug, git_url, branch, protected, command, workspace),
    )
    if made is not None:
        secret = await projects.read_git_token(aconn, made.id, box=BOX)
        assert plain(secret) == (token or None)  # an empty token means none
        target = made.id

    token_before = await projects.read_git_token(aconn, target, box=BOX)
    columns = {
        "git_url": new_url,
        "protected_branches": new_protected,
        "test_command": new_command,
        "head_commit": head_commit,
    }
    got = await updated(
        guard,
        "project",
        target,
        lambda: ProjectUpdate(
            **columns, git_token=None if new_token is None else SecretStr(new_token)
        ),
        partial(projects.update_project, aconn, box=BOX),
        get=get,
        columns=columns,
        table="projects",
        text=tuple(columns.values()),
    )
    if got is not None:
        token_after = plain(await projects.read_git_token(aconn, target, box=BOX))
        assert token_after == (plain(token_before) if new_token is None else new_token or None)


def plain(secret: SecretStr | None) -> str | None:
    return None if secret is None else secret.get_secret_value()


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


@hostile_settings
@given(
    title=TEXT,
    description=TEXT,
    criteria=st.lists(SHORT, min_size=1, max_size=6),
    with_ids=st.booleans(),
    refs=ARRAY,
    source=TEXT,
    new_title=TEXT,
    new_description=TEXT,
    new_criteria=st.lists(SHORT, min_size=1, max_size=6),
    notes=MAYBE,
    branch=MAYBE,
    pr_url=MAYBE,
)
async def test_tasks_create_and_update(
    *,
    aconn: Conn,
    guard: Guard,
    world: World,
    title: str,
    description: str,
    criteria: list[str],
    with_ids: bool,
    refs: list[str],
    source: str,
    new_title: str,
    new_description: str,
    new_criteria: list[str],
    notes: str | None,
    branch: str | None,
    pr_url: str | None,
) -> None:
    guard.tally["examples"] += 1
    ids = [f"{c}-{n}" for n, c in enumerate(criteria)] if with_ids else []
    try:
        data = world.task(
            title=title,
            description=description,
            acceptance_criteria=criteria,
            acceptance_criteria_ids=ids,
            parent_ac_refs=refs,
            source=source,
        )
    except pydantic.ValidationError as exc:
        model_refused(guard, exc)
        data = world.task()
    else:
        assert not has_nul(title, description, criteria, ids, refs, source)
    try:
        made = await tasks.create_task(aconn, data)
    except Exception as exc:
        refused(guard, exc, "task")
        return
    guard.wrote("tasks")
    guard.tally["stored"] += 1
    guard.stored(
        "tasks",
        made.id,
        title=data.title,
        description=data.description,
        source=data.source,
        acceptance_criteria=data.acceptance_criteria,
        acceptance_criteria_ids=data.acceptance_criteria_ids,
        parent_ac_refs=data.parent_ac_refs,
    )
    got = await tasks.get_task(aconn, made.id)
    assert got is not None and got == made
    assert (got.title, got.description, got.source) == (data.title, data.description, data.source)
    assert got.acceptance_criteria == data.acceptance_criteria
    assert got.acceptance_criteria_ids == data.acceptance_criteria_ids
    assert got.parent_ac_refs == data.parent_ac_refs

    notes_columns = dict.fromkeys(sorted(NOTE_COLUMNS), notes)  # every free-text note column
    columns: dict[str, Any] = {
        "title": new_title,
        "description": new_description,
        "acceptance_criteria": new_criteria,
        **notes_columns,
        "branch_name": branch,
        "pr_url": pr_url,
    }
    again = await updated(
        guard,
        "task",
        made.id,
        lambda: TaskUpdate(**columns),
        partial(tasks.update_task, aconn),
        get=partial(tasks.get_task, aconn),
        columns=columns,
        table="tasks",
        # rewritten criteria get their ids from the repository (kept per text, else fresh)
        forget=("acceptance_criteria_ids",),
    )
    if again is not None:
        assert len(again.acceptance_criteria_ids) == len(new_criteria)


# -- messages ----------------------------------------------------------------------------------


@BELOW_060
@hostile_settings
@given(content=TEXT, commit_ref=MAYBE, excerpt=MAYBE, copies=st.integers(1, 3))
async def test_messages_post_and_copy(
    *,
    aconn: Conn,
    guard: Guard,
    world: World,
    content: str,
    commit_ref: str | None,
    excerpt: str | None,
    copies: int,
) -> None:
    """post_message (one INSERT) and post_messages (COPY, where backslashes, tabs, newlines
    and ``\\N`` are escapes) with the same hostile values."""
    guard.tally["examples"] += 1
    try:
        one = world.message(content, commit_ref=commit_ref, raw_excerpt=excerpt)
        batch = [
            world.message(content, commit_ref=commit_ref, raw_excerpt=excerpt)
            for _ in range(copies)
        ]
    except pydantic.ValidationError as exc:
        model_refused(guard, exc)
        return
    assert not has_nul(content, commit_ref, excerpt)
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
        guard.stored("messages", m.id, content=content, commit_ref=commit_ref, raw_excerpt=excerpt)
    for m in sent:
        got = await messages.get_message(aconn, m.id)
        assert got is not None
        assert (got.content, got.commit_ref, got.raw_excerpt) == (content, commit_ref, excerpt)
        assert got.content_length == len(content)


# -- notifications, journals, pitches ---------------------------------------------------------


@hostile_settings
@given(subject=TEXT, body=TEXT)
async def test_notifications_send(
    aconn: Conn, guard: Guard, world: World, subject: str, body: str
) -> None:
    guard.tally["examples"] += 1
    await created(
        guard,
        "notification",
        lambda: NotificationCreate(
            type=NotificationType.ALERT,
            from_agent=world.agent,
            to_agents=[world.agent],
            subject=subject,
            body=body,
        ),
        partial(notifications.send_notification, aconn),
        partial(notifications.get_notification, aconn),
        columns={"subject": subject, "body": body},
        table="notifications",
        text=(subject, body),
    )


@hostile_settings
@given(title=TEXT, content=TEXT, tags=ARRAY, sentiment=MAYBE)
async def test_journals_add_entry(
    *,
    aconn: Conn,
    guard: Guard,
    world: World,
    title: str,
    content: str,
    tags: list[str],
    sentiment: str | None,
) -> None:
    guard.tally["examples"] += 1
    journal = await journals.get_journal_by_agent(aconn, world.agent)
    if journal is None:
        journal = await journals.get_or_create_journal(aconn, world.agent)
        guard.wrote("journals")
    columns: dict[str, Any] = {
        "title": title,
        "content": content,
        "tags": tags,
        "sentiment": sentiment,
    }
    await created(
        guard,
        "journal entry",
        lambda: JournalEntryCreate(
            journal_id=journal.id, type=JournalEntryType.LEARNING, **columns
        ),
        partial(journals.add_entry, aconn),
        partial(journals.get_entry, aconn),
        columns=columns,
        table="journal_entries",
        text=tuple(columns.values()),
    )


@hostile_settings
@given(title=TEXT, slug=SLUG, problem=TEXT, solution=TEXT)
async def test_pitches_propose(
    *, aconn: Conn, guard: Guard, world: World, title: str, slug: str, problem: str, solution: str
) -> None:
    guard.tally["examples"] += 1
    columns: dict[str, Any] = {
        "title": title,
        "slug": slug,
        "problem": problem,
        "proposed_solution": solution,
    }
    await created(
        guard,
        "pitch",
        lambda: PitchCreate(**columns, target_cells=[Team.BACKEND], created_by=world.agent),
        partial(pitches.propose_pitch, aconn),
        partial(pitches.get_pitch, aconn),
        columns=columns,
        table="pitches",
        slug=slug,
        text=tuple(columns.values()),
    )


# -- channels ----------------------------------------------------------------------------------

CHANNEL_NAME = st.one_of(*[st.from_regex(r"#?[a-z0-9-]{1,60}", fullmatch=True)] * 3, SHORT)


@BELOW_060
@hostile_settings
@given(
    name=CHANNEL_NAME,
    slug=SLUG,
    description=MAYBE,
    topic=MAYBE,
    new_name=CHANNEL_NAME,
    new_description=MAYBE,
    group_name=TEXT,
    session_config=JSON_OBJECT,
)
async def test_channels_create_update_and_groups(
    *,
    aconn: Conn,
    guard: Guard,
    world: World,
    name: str,
    slug: str,
    description: str | None,
    topic: str | None,
    new_name: str,
    new_description: str | None,
    group_name: str,
    session_config: dict[str, Any],
) -> None:
    guard.tally["examples"] += 1
    assert world.channel is not None
    get = partial(channels.get_channel, aconn)
    target = world.channel.id
    columns: dict[str, Any] = {
        "name": name,
        "slug": slug,
        "description": description,
        "topic": topic,
    }
    made = await created(
        guard,
        "channel",
        lambda: ChannelCreate(**columns, type=ChannelType.CELL),
        partial(channels.create_channel, aconn),
        get,
        columns=columns,
        table="channels",
        slug=slug,
        text=tuple(columns.values()),
    )
    if made is not None:
        target = made.id

    columns = {"name": new_name, "description": new_description}
    await updated(
        guard,
        "channel",
        target,
        lambda: ChannelUpdate(**columns),
        partial(channels.update_channel, aconn),
        get=get,
        columns=columns,
        table="channels",
    )

    await created(
        guard,
        "group",
        lambda: GroupCreate(
            name=group_name, channel_id=target, default_session_config=session_config
        ),
        partial(channels.create_group, aconn),
        partial(channels.get_group, aconn),
        columns={"name": group_name, "default_session_config": session_config},
        table="groups",
    )


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
