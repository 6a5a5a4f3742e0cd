"""Repositories: five calls against raw psycopg (the floor) and SQLAlchemy's async ORM; bulk load.

On a database the runner migrated and filled through the repositories (27 agents, a project,
5,000 tasks across statuses, a channel, group and session holding 10,000 messages; ANALYZEd),
each call is timed in the same run, the cases interleaved sample by sample:

- repository: ``roboco_sql.repos.<aggregate>.<function>(conn, ...)``, Pydantic models back
  (trusted rows, the default: ROBOCO_SQL_VALIDATE_ROWS unset), on one autocommit connection;
- raw psycopg: the same statement text (the named query's compiled SQL) with the same
  parameters through ``AsyncConnection.execute`` on a raw cursor, tuple rows: the floor;
- SQLAlchemy ORM: 2.x async over asyncpg, classes by ``automap_base()`` reflection of the same
  tables (no hand-written models), the idiomatic call (``session.get``, ``select(...).limit``,
  ``session.add`` + ``commit``), one session per call, on two engines: one in AUTOCOMMIT (no
  BEGIN/COMMIT of its own, like the repository's autocommit connection) and one at its default,
  as RoboCo runs it (BEGIN ... COMMIT, or ROLLBACK at session close for reads).

The database runs with ``synchronous_commit = off`` (set on it alone; fsync stays on): a
commit does not wait for its WAL flush, so the write figures measure the layers rather than the
flush latency of a shared disk, which varied from 0.5 to 3 ms between samples here. Every kind
commits the same way; the ORM's extra commits (autocommit engine, post message) cost less than
they would with a durable wait.

Each figure is the median over samples of the time per call (a sample is CALLS[call] calls,
fewer for the slower calls so that samples stay short and alternate often). How
many statements each case sends per call is counted by the server's log and noted.

Targets: repository <= 1.25x raw psycopg; the ORM slower than the repository on every call and
at least 2x on single-row calls, judged on the ORM's configuration that reaches the same
outcome with the fewest statements and commits (decided per call, before measuring): the
autocommit engine for the reads and create task (one statement, like the repository), the
default engine for post message (its INSERT and three counter UPDATEs need one transaction to
be atomic, as the repository's single statement is). The other configuration is reported too.

Bulk: 10,000 messages into another session of the same group, every method also moving the
session, group and channel counters: ``post_messages`` (COPY, then one counter UPDATE, in one
transaction) against ``executemany`` of a plain INSERT of the same columns then the same
counter UPDATE (one transaction, psycopg pipelines the batch) and a loop of ``post_message``
(each message committed with its counters, as messages arrive); rows/s, and the process's peak
RSS during each run (``ctx.track_rss()``).

Not measured here: transition and claim_next (roboco_sql/repos/transitions.py and claims.py
arrived while this suite was written; claim throughput is bench_claims).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Any

from psycopg import AsyncConnection, AsyncRawCursor, sql
from psycopg.rows import TupleRow
from psycopg.types.json import Json
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.automap import automap_base

from bench.harness import BenchError, Context, Database, Figure, LoggedStatement, Sample, Target
from roboco_sql import queries
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.models.agent import AgentCreate
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import (
    AgentRole,
    ChannelType,
    Complexity,
    MessageType,
    TaskNature,
    TaskStatus,
    TaskType,
    Team,
)
from roboco_sql.models.messaging import ChannelCreate, GroupCreate, MessageCreate, SessionCreate
from roboco_sql.models.project import ProjectCreate
from roboco_sql.models.task import MAX_TASK_DEPTH, TaskCreate
from roboco_sql.repos import agents, channels, messages, projects, sessions, tasks

SAMPLES = 21  # many short samples: this machine is shared, its load comes in bursts
CALLS = {  # calls per sample
    "get task by id": 60,
    "list 50 tasks by status": 20,
    "list 100 recent messages": 30,
    "create task": 60,
    "post message": 30,
}
BULK = 10_000
BULK_RUNS = 3
TASKS = 5_000
MESSAGES = 10_000
SEED = 20_240_901

REPO, RAW, ORM, ORM_TX = (
    "repository",
    "raw psycopg",
    "SQLAlchemy ORM (autocommit engine)",
    "SQLAlchemy ORM (default engine)",
)
KINDS = (REPO, RAW, ORM, ORM_TX)
_APP = {REPO: "repo", RAW: "raw", ORM: "orm", ORM_TX: "ormtx"}

# 27 agents as a RoboCo company has them: the board, the PMs and three cells.
ROSTER: tuple[tuple[AgentRole, Team | None, int], ...] = (
    (AgentRole.CEO, Team.BOARD, 1),
    (AgentRole.PRODUCT_OWNER, Team.BOARD, 1),
    (AgentRole.HEAD_MARKETING, Team.MARKETING, 1),
    (AgentRole.AUDITOR, Team.BOARD, 1),
    (AgentRole.MAIN_PM, Team.MAIN_PM, 1),
    (AgentRole.SYSTEM, Team.SYSTEM, 1),
    (AgentRole.SECRETARY, Team.BOARD, 1),
    (AgentRole.PROMPTER, Team.SYSTEM, 1),
    (AgentRole.PR_REVIEWER, Team.BOARD, 1),
    *(
        (role, team, n)
        for team in (Team.BACKEND, Team.FRONTEND, Team.UX_UI)
        for role, n in (
            (AgentRole.CELL_PM, 1),
            (AgentRole.DEVELOPER, 3),
            (AgentRole.QA, 1),
            (AgentRole.DOCUMENTER, 1),
        )
    ),
)
# How 5,000 tasks of a running company spread over the board.
STATUS_WEIGHTS: dict[TaskStatus, int] = {
    TaskStatus.COMPLETED: 40,
    TaskStatus.PENDING: 14,
    TaskStatus.BACKLOG: 10,
    TaskStatus.IN_PROGRESS: 8,
    TaskStatus.CANCELLED: 6,
    TaskStatus.AWAITING_QA: 4,
    TaskStatus.CLAIMED: 3,
    TaskStatus.BLOCKED: 3,
    TaskStatus.NEEDS_REVISION: 3,
    TaskStatus.AWAITING_PM_REVIEW: 2,
    TaskStatus.AWAITING_DOCUMENTATION: 2,
    TaskStatus.AWAITING_PR_REVIEW: 2,
    TaskStatus.VERIFYING: 1,
    TaskStatus.PAUSED: 1,
    TaskStatus.AWAITING_CEO_APPROVAL: 1,
}
LIST_STATUSES = (
    TaskStatus.PENDING,
    TaskStatus.IN_PROGRESS,
    TaskStatus.COMPLETED,
    TaskStatus.BACKLOG,
    TaskStatus.AWAITING_QA,
)
MESSAGE_WEIGHTS: dict[MessageType, int] = {
    MessageType.DIALOGUE: 45,
    MessageType.REASONING: 20,
    MessageType.TECHNICAL: 15,
    MessageType.ACTION: 10,
    MessageType.DECISION: 7,
    MessageType.BLOCKER: 3,
}

_Q = queries.load()
_GET_TASK = _Q["tasks.get_task"]
_LIST_TASKS = _Q["tasks.list_tasks"]
_CREATE_TASK = _Q["tasks.create_task"]
_POST = _Q["messages.post_message"]
_LIST_MESSAGES = _Q["messages.list_session_messages"]

_VOCABULARY = (
    "the api endpoint returns cached state for each agent so the orchestrator can route work "
    "without polling migration schema index query latency review test coverage failing build "
    "handoff acceptance criteria branch commit merge request deploy staging rollback session "
    "token budget prompt context window retry backoff queue worker claim heartbeat timeout"
)
_WORDS = _VOCABULARY.split()


def _text(rng: random.Random, lo: int, hi: int) -> str:
    n = rng.randint(lo, hi)
    out: list[str] = []
    size = 0
    while size < n:
        word = rng.choice(_WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:n]


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# -- the data --------------------------------------------------------------------------------------


@dataclass
class World:
    """What the figures read and write: ids of the populated rows."""

    agent_ids: list[uuid.UUID]
    ceo_id: uuid.UUID
    project_id: uuid.UUID
    channel_id: uuid.UUID
    group_id: uuid.UUID
    session_id: uuid.UUID
    bulk_session_id: uuid.UUID
    task_ids: list[uuid.UUID]
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))

    def new_task(self) -> TaskCreate:
        rng = self.rng
        return TaskCreate(
            title=_text(rng, 30, 90),
            description=_text(rng, 200, 900),
            acceptance_criteria=[_text(rng, 40, 120) for _ in range(rng.randint(2, 4))],
            priority=rng.randint(0, 3),
            task_type=TaskType.CODE,
            nature=TaskNature.TECHNICAL,
            estimated_complexity=rng.choice(list(Complexity)),
            team=Team.BACKEND,
            project_id=self.project_id,
            created_by=self.ceo_id,
            assigned_to=rng.choice(self.agent_ids),
        )

    def new_message(self, session_id: uuid.UUID | None = None) -> MessageCreate:
        rng = self.rng
        mentions = rng.sample(self.agent_ids, rng.choice((0, 0, 0, 1, 2)))
        return MessageCreate(
            agent_id=rng.choice(self.agent_ids),
            channel_id=self.channel_id,
            group_id=self.group_id,
            session_id=session_id or self.session_id,
            type=_weighted(rng, MESSAGE_WEIGHTS),
            content=_text(rng, 60, 1200),
            mentions=mentions,
            task_id=rng.choice(self.task_ids) if rng.random() < 0.3 else None,
        )


async def _populate(conn: AsyncConnection[TupleRow]) -> World:
    rng = random.Random(SEED)
    now = utcnow()
    agent_ids: list[uuid.UUID] = []
    async with conn.transaction():
        for role, team, count in ROSTER:
            for i in range(count):
                slug = f"{role.value}-{team.value if team else 'all'}-{i}".replace("_", "-")
                agent = await agents.create_agent(
                    conn,
                    AgentCreate(
                        name=slug,
                        slug=slug,
                        role=role,
                        team=team,
                        system_prompt=_text(rng, 1500, 4000),
                        capabilities=["code", "review"] if role is AgentRole.DEVELOPER else [],
                    ),
                )
                agent_ids.append(agent.id)
        ceo_id = agent_ids[0]
        project = await projects.create_project(
            conn,
            ProjectCreate(
                name="roboco-web",
                slug="roboco-web",
                git_url="https://example.invalid/roboco/web.git",
                assigned_cell=Team.BACKEND,
                created_by=ceo_id,
            ),
        )
        channel = await channels.create_channel(
            conn,
            ChannelCreate(
                name="backend-cell", slug="backend-cell", type=ChannelType.CELL, members=agent_ids
            ),
        )
        group = await channels.create_group(
            conn, GroupCreate(name="backend devs", channel_id=channel.id, members=agent_ids)
        )
        unbounded = SessionCreate(
            group_id=group.id, max_time_window=None, max_message_count=None, max_content_length=None
        )
        session = await sessions.open_session(conn, unbounded)
        bulk = await sessions.open_session(conn, unbounded.model_copy(update={"id": uuid.uuid4()}))
        world = World(
            agent_ids, ceo_id, project.id, channel.id, group.id, session.id, bulk.id, [], rng
        )
        for i in range(TASKS):
            data = world.new_task().model_copy(
                update={
                    "status": _weighted(rng, STATUS_WEIGHTS),
                    "created_at": now - dt.timedelta(days=120) * (1 - i / TASKS),
                    "team": rng.choice((Team.BACKEND, Team.FRONTEND, Team.UX_UI)),
                }
            )
            world.task_ids.append((await tasks.create_task(conn, data)).id)
    start = now - dt.timedelta(days=10)
    batch = [
        world.new_message().model_copy(
            update={"timestamp": start + dt.timedelta(seconds=80 * i), "created_at": now}
        )
        for i in range(MESSAGES)
    ]
    await messages.post_messages(conn, batch)
    await conn.execute("VACUUM ANALYZE")
    return world


# -- the clients -----------------------------------------------------------------------------------


@dataclass
class Clients:
    """One client of each kind, on its own connection(s)."""

    repo: AsyncConnection[TupleRow]
    raw: AsyncConnection[TupleRow]
    orm: async_sessionmaker[AsyncSession]
    orm_tx: async_sessionmaker[AsyncSession]
    engines: tuple[AsyncEngine, ...]

    @classmethod
    async def open(cls, url: str, tag: str = "") -> Clients:
        def app(kind: str) -> str:
            return f"bench_{_APP[kind]}{tag}"

        repo = await AsyncConnection.connect(
            url, autocommit=True, connect_timeout=10, application_name=app(REPO)
        )
        raw = await AsyncConnection.connect(
            url,
            autocommit=True,
            connect_timeout=10,
            application_name=app(RAW),
            cursor_factory=AsyncRawCursor,
        )
        sa_url = make_url(url).set(drivername="postgresql+asyncpg")
        orm_engine = create_async_engine(
            sa_url,
            isolation_level="AUTOCOMMIT",
            pool_size=1,
            max_overflow=0,
            connect_args={"server_settings": {"application_name": app(ORM)}},
        )
        tx_engine = create_async_engine(
            sa_url,
            pool_size=1,
            max_overflow=0,
            connect_args={"server_settings": {"application_name": app(ORM_TX)}},
        )
        return cls(
            repo,
            raw,
            async_sessionmaker(orm_engine, expire_on_commit=False),
            async_sessionmaker(tx_engine, expire_on_commit=False),
            (orm_engine, tx_engine),
        )

    def session(self, kind: str) -> async_sessionmaker[AsyncSession]:
        return self.orm_tx if kind == ORM_TX else self.orm

    async def close(self) -> None:
        await self.repo.close()
        await self.raw.close()
        for engine in self.engines:
            await engine.dispose()


@dataclass(frozen=True)
class Orm:
    """The reflected classes (automap: one class per table, named after it)."""

    Task: Any
    Message: Any
    Session: Any
    Group: Any
    Channel: Any

    @classmethod
    async def reflect(cls, engine: AsyncEngine) -> Orm:
        base: Any = automap_base()
        async with engine.connect() as conn:
            await conn.run_sync(lambda sync_conn: base.prepare(autoload_with=sync_conn))
        c = base.classes
        return cls(c.tasks, c.messages, c.sessions, c.groups, c.channels)


# -- the calls, each kind ----------------------------------------------------------------------

Case = Callable[[Clients, Any], Awaitable[Any]]

_TASK_ARGS = itemgetter(*_CREATE_TASK.params)
_POST_ARGS = itemgetter(*_POST.params)


def _list_tasks_args(status: TaskStatus) -> tuple[object, ...]:
    return _LIST_TASKS.args(
        statuses=[status],
        team=None,
        project_id=None,
        product_id=None,
        assigned_to=None,
        created_by=None,
        parent_task_id=None,
        after_priority=None,
        after_created_at=None,
        after_id=None,
        limit=50,
    )


_LIST_TASKS_ARGS = {s: _list_tasks_args(s) for s in LIST_STATUSES}


def _task_columns(data: TaskCreate) -> dict[str, Any]:
    """The row the repository's INSERT writes: the input plus RoboCo's starting values."""
    return {
        **vars(data),
        "docs_complete": False,
        "pr_created": False,
        "board_review_complete": False,
        "blocker_ids": [],
        "completed_dependency_ids": [],
        "checkpoints": [],
        "progress_updates": [],
        "commits": [],
        "documents": [],
        "self_verified": False,
        "acceptance_criteria_status": [],
        "qa_evidence_inspected": False,
    }


def make_cases(orm: Orm) -> dict[str, dict[str, Case]]:
    """For each call, what each kind runs for one input."""
    T, M = orm.Task, orm.Message
    S, G, C = orm.Session, orm.Group, orm.Channel

    # get task by id
    async def get_repo(c: Clients, task_id: uuid.UUID) -> Any:
        return await tasks.get_task(c.repo, task_id)

    async def get_raw(c: Clients, task_id: uuid.UUID) -> Any:
        cur = await c.raw.execute(_GET_TASK.sql, (task_id,))
        return await cur.fetchone()

    async def get_orm(c: Clients, task_id: uuid.UUID, kind: str) -> Any:
        async with c.session(kind)() as s:
            return await s.get(T, task_id)

    # list 50 tasks by status
    async def list_repo(c: Clients, status: TaskStatus) -> Any:
        return await tasks.list_tasks(c.repo, status=status, limit=50)

    async def list_raw(c: Clients, status: TaskStatus) -> Any:
        cur = await c.raw.execute(_LIST_TASKS.sql, _LIST_TASKS_ARGS[status])
        return await cur.fetchall()

    async def list_orm(c: Clients, status: TaskStatus, kind: str) -> Any:
        stmt = (
            select(T)
            .where(T.status == status)
            .order_by(T.priority, T.created_at.desc(), T.id.desc())
            .limit(50)
        )
        async with c.session(kind)() as s:
            return (await s.scalars(stmt)).all()

    # list 100 recent messages of a session
    async def msgs_repo(c: Clients, session_id: uuid.UUID) -> Any:
        return await messages.list_messages(c.repo, session_id, limit=100)

    async def msgs_raw(c: Clients, session_id: uuid.UUID) -> Any:
        cur = await c.raw.execute(_LIST_MESSAGES.sql, (session_id, None, None, 100))
        return await cur.fetchall()

    async def msgs_orm(c: Clients, session_id: uuid.UUID, kind: str) -> Any:
        stmt = (
            select(M)
            .where(M.session_id == session_id)
            .order_by(M.timestamp.desc(), M.id.desc())
            .limit(100)
        )
        async with c.session(kind)() as s:
            return (await s.scalars(stmt)).all()

    # create task
    async def create_repo(c: Clients, data: TaskCreate) -> Any:
        return await tasks.create_task(c.repo, data)

    async def create_raw(c: Clients, data: TaskCreate) -> Any:
        args = _TASK_ARGS({**vars(data), "max_depth": MAX_TASK_DEPTH})
        cur = await c.raw.execute(_CREATE_TASK.sql, args)
        return await cur.fetchone()

    async def create_orm(c: Clients, data: TaskCreate, kind: str) -> Any:
        task = T(**_task_columns(data))
        async with c.session(kind)() as s:
            s.add(task)
            await s.commit()
        return task

    # post message (the message and its session, group and channel counters)
    async def post_repo(c: Clients, msg: MessageCreate) -> Any:
        return await messages.post_message(c.repo, msg)

    async def post_raw(c: Clients, msg: MessageCreate) -> Any:
        cur = await c.raw.execute(_POST.sql, _POST_ARGS(vars(msg)))
        return await cur.fetchone()

    async def post_orm(c: Clients, msg: MessageCreate, kind: str) -> Any:
        row = M(**vars(msg), edited_at=None, edit_history=[])
        at = msg.timestamp
        no_sync = {"synchronize_session": False}
        async with c.session(kind)() as s:
            s.add(row)
            await s.execute(
                update(S)
                .where(S.id == msg.session_id)
                .values(
                    message_count=S.message_count + 1,
                    total_content_length=S.total_content_length + msg.content_length,
                    last_activity_at=func.greatest(S.last_activity_at, at),
                )
                .execution_options(**no_sync)
            )
            await s.execute(
                update(G)
                .where(G.id == msg.group_id)
                .values(
                    total_messages=G.total_messages + 1,
                    last_activity=func.greatest(G.last_activity, at),
                )
                .execution_options(**no_sync)
            )
            await s.execute(
                update(C)
                .where(C.id == msg.channel_id)
                .values(
                    message_count=C.message_count + 1,
                    last_activity=func.greatest(C.last_activity, at),
                )
                .execution_options(**no_sync)
            )
            await s.commit()
        return row

    def kinds(repo: Case, raw: Case, orm_case: Callable[..., Awaitable[Any]]) -> dict[str, Case]:
        return {
            REPO: repo,
            RAW: raw,
            ORM: partial(_kw, orm_case, ORM),
            ORM_TX: partial(_kw, orm_case, ORM_TX),
        }

    return {
        "get task by id": kinds(get_repo, get_raw, get_orm),
        "list 50 tasks by status": kinds(list_repo, list_raw, list_orm),
        "list 100 recent messages": kinds(msgs_repo, msgs_raw, msgs_orm),
        "create task": kinds(create_repo, create_raw, create_orm),
        "post message": kinds(post_repo, post_raw, post_orm),
    }


async def _kw(fn: Callable[..., Awaitable[Any]], kind: str, c: Clients, arg: Any) -> Any:
    return await fn(c, arg, kind)


SINGLE_ROW = {"get task by id", "create task", "post message"}
# The ORM configuration the targets judge (see the module docstring).
ORM_TARGETED = {
    "get task by id": ORM,
    "list 50 tasks by status": ORM,
    "list 100 recent messages": ORM,
    "create task": ORM,
    "post message": ORM_TX,
}


def make_inputs(world: World) -> dict[str, Callable[[int], list[Any]]]:
    rng = random.Random(SEED + 1)

    def ids(n: int) -> list[uuid.UUID]:
        return rng.choices(world.task_ids, k=n)

    def statuses(n: int) -> list[TaskStatus]:
        return [LIST_STATUSES[i % len(LIST_STATUSES)] for i in range(n)]

    return {
        "get task by id": ids,
        "list 50 tasks by status": statuses,
        "list 100 recent messages": lambda n: [world.session_id] * n,
        "create task": lambda n: [world.new_task() for _ in range(n)],
        "post message": lambda n: [world.new_message() for _ in range(n)],
    }


def _key(result: Any) -> Any:
    """What two kinds' results must agree on: the id, or the ids in order."""
    if isinstance(result, list):
        return [_key(r) for r in result]
    return result[0] if isinstance(result, tuple) else result.id


# -- the run -------------------------------------------------------------------------------------


class Loop:
    """One event loop for the suite; the harness's timed callables run coroutines on it."""

    def __init__(self) -> None:
        self._runner = asyncio.Runner()

    def run(self, coro: Awaitable[Any]) -> Any:
        return self._runner.run(coro)  # type: ignore[arg-type]

    def close(self) -> None:
        self._runner.close()


async def _calls(case: Case, clients: Clients, inputs: list[Any]) -> None:
    for arg in inputs:
        await case(clients, arg)


def _per_call(sample: Sample, calls: int) -> list[float]:
    return [s / calls * 1e6 for s in sample.seconds]


def _figure(
    name: str, values: list[float], baseline: str | None, target: Target | None, note: str
) -> Figure:
    return Figure(
        name, statistics.median(values), "us", len(values), values, baseline, target, note
    )


def run(ctx: Context) -> list[Figure]:
    loop = Loop()
    try:
        return _run(ctx, loop)
    finally:
        loop.close()


def _run(ctx: Context, loop: Loop) -> list[Figure]:
    load_start = os.getloadavg()
    seconds: dict[str, float] = {}
    lap = time.perf_counter()
    db = ctx.new_database("repos")
    migrate(db.url, load_chain())
    # Writes then measure the layers, not this shared disk's fsync (see the module docstring).
    ctx.server.execute(
        sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(db.name))
    )

    def split(label: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        seconds[label] = round(now - lap, 1)
        lap = now

    split("migrate")
    clients: Clients = loop.run(Clients.open(db.url))
    try:
        world: World = loop.run(_populate(clients.repo))
        split("populate")
        orm: Orm = loop.run(Orm.reflect(clients.engines[0]))
        cases = make_cases(orm)
        inputs = make_inputs(world)
        loop.run(_check(clients, cases, inputs))
        statements = _count_statements(ctx, loop, db, cases, inputs)
        split("reflect, check, count statements")
        # The harness collects garbage before every timed run; with the setup's objects
        # frozen that takes microseconds instead of ~35 ms (about 450 runs here).
        gc.collect()
        gc.freeze()

        figures: list[Figure] = []
        samples = ctx.runs(SAMPLES)
        for call, by_kind in cases.items():
            timed = ctx.compare(
                {
                    kind: (lambda batch, case=case: loop.run(_calls(case, clients, batch)))
                    for kind, case in by_kind.items()
                },
                runs=samples,
                warmup=1,
                setup=partial(inputs[call], CALLS[call]),
            )
            per_call = {kind: _per_call(sample, CALLS[call]) for kind, sample in timed.items()}
            sent = statements[call]
            orm_target = (
                Target(">=", 2.0, on="ratio")
                if call in SINGLE_ROW
                else Target(">", 1.0, on="ratio")
            )
            targets = {k: orm_target if k == ORM_TARGETED[call] else None for k in (ORM, ORM_TX)}
            figures += [
                _figure(f"{call}: {RAW}", per_call[RAW], None, None, sent[RAW]),
                _figure(
                    f"{call}: {REPO}",
                    per_call[REPO],
                    f"{call}: {RAW}",
                    Target("<=", 1.25, on="ratio"),
                    sent[REPO],
                ),
                *(
                    _figure(f"{call}: {k}", per_call[k], f"{call}: {REPO}", targets[k], sent[k])
                    for k in (ORM, ORM_TX)
                ),
            ]
            split(call)
        loop.run(_check_counters(clients, world.session_id))
        figures += _bulk(ctx, loop, clients, world)
        split("bulk")
    finally:
        gc.unfreeze()
        loop.run(clients.close())

    ctx.note(
        "data",
        {
            "agents": len(world.agent_ids),
            "tasks": TASKS,
            "task_statuses": {s.value: w for s, w in STATUS_WEIGHTS.items()},
            "messages_in_session": MESSAGES,
            "list_statuses": [s.value for s in LIST_STATUSES],
            "after_populate": "VACUUM ANALYZE",
            "writes_grow_tables": "create task and post message add rows as they are timed "
            "(reads are timed first; bulk runs go to another session)",
        },
    )
    ctx.note(
        "method",
        {
            "calls_per_sample": CALLS,
            "samples": samples,
            "warmup_samples": 1,
            "unit": "microseconds per call (sample time / calls), median of samples",
            "interleaving": "the four kinds alternate sample by sample (A B C D, D C B A, ...)",
            "synchronous_commit": "off for the suite's database (ALTER DATABASE), fsync on",
            "gc": "objects alive after setup frozen (gc.freeze) so the harness's gc.collect() "
            "before each run is quick; collections inside timed runs happen as usual",
            "inputs": "built untimed before each sample (compare setup): ids, TaskCreate, "
            "MessageCreate",
            "repository": "roboco_sql.repos functions on one psycopg AsyncConnection, "
            "autocommit, trusted row factories (ROBOCO_SQL_VALIDATE_ROWS="
            f"{os.environ.get('ROBOCO_SQL_VALIDATE_ROWS', '')!r})",
            "raw_psycopg": "AsyncConnection(autocommit, cursor_factory=AsyncRawCursor)"
            ".execute(query.sql, params) + fetchone/fetchall, tuple rows",
            "orm": "SQLAlchemy async ORM over asyncpg, automap_base().prepare(autoload_with=...) "
            "via run_sync; async_sessionmaker(expire_on_commit=False), one session per call; "
            "pool_size=1; autocommit engine: isolation_level=AUTOCOMMIT (no BEGIN/COMMIT); "
            "default engine: each call inside BEGIN ... COMMIT (writes) or ROLLBACK (reads, "
            "at session close)",
            "orm_targeted": ORM_TARGETED,
            "orm_post_message": "session.add(message) + three UPDATE ... SET counter = counter "
            "+ 1 (ORM-enabled update(), synchronize_session=False) + commit: the same rows the "
            "repository's one statement writes",
            "orm_create_task": "session.add(Task(**columns)) with every NOT NULL column set "
            "(no RETURNING needed) + commit; the repository's statement also returns the row",
            "statements_per_call": "server log (log_statement=all) for fresh clients making 3 "
            "calls minus 1 call, halved",
        },
    )
    ctx.note("statements_per_call", statements)
    ctx.note("seconds", seconds)
    ctx.note(
        "lifecycle",
        "transition and claim_next single-call latency not measured here: "
        "roboco_sql/repos/transitions.py and claims.py arrived while this suite was written "
        "(claim throughput is bench_claims)",
    )
    ctx.note(
        "load_avg",
        {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in os.getloadavg()]},
    )
    return figures


async def _check(
    clients: Clients,
    cases: dict[str, dict[str, Case]],
    inputs: dict[str, Callable[[int], list[Any]]],
) -> None:
    """Every kind returns the same thing for the same read (writes: each must write its row)."""
    for call, by_kind in cases.items():
        if call in ("create task", "post message"):
            for kind, case in by_kind.items():
                arg = inputs[call](1)[0]
                result = await case(clients, arg)
                if _key(result) != arg.id:
                    raise BenchError(f"{call}: {kind} returned {_key(result)}, not {arg.id}")
            continue
        for arg in inputs[call](3):
            keys = {kind: _key(await case(clients, arg)) for kind, case in by_kind.items()}
            if any(k != keys[REPO] for k in keys.values()):
                raise BenchError(f"{call}: the kinds disagree for {arg}: {keys}")
            if isinstance(keys[REPO], list) and len(keys[REPO]) not in (50, 100):
                raise BenchError(f"{call}: {len(keys[REPO])} rows for {arg}")


async def _check_counters(clients: Clients, session_id: uuid.UUID) -> None:
    """After posting through every kind, the session's counter still equals its messages."""
    cur = await clients.raw.execute(
        "SELECT s.message_count, (SELECT count(*) FROM messages m WHERE m.session_id = s.id) "
        "FROM sessions s WHERE s.id = $1",
        (session_id,),
    )
    row = await cur.fetchone()
    if row is None or row[0] != row[1]:
        raise BenchError(f"session counter {row and row[0]} != messages {row and row[1]}")


def _count_statements(
    ctx: Context,
    loop: Loop,
    db: Database,
    cases: dict[str, dict[str, Case]],
    inputs: dict[str, Callable[[int], list[Any]]],
) -> dict[str, dict[str, str]]:
    """Per call and kind, the statements one call sends (BEGIN/COMMIT included)."""
    out: dict[str, dict[str, str]] = {}
    for call, by_kind in cases.items():
        with ctx.server.statement_log(db.name) as log:
            loop.run(_logged_calls(db.url, by_kind, inputs[call]))
        out[call] = {kind: _describe_sent(log, _APP[kind]) for kind in by_kind}
    return out


async def _logged_calls(
    url: str, by_kind: dict[str, Case], make: Callable[[int], list[Any]]
) -> None:
    one, three = await Clients.open(url, "_1"), await Clients.open(url, "_3")
    try:
        for case in by_kind.values():
            await _calls(case, one, make(1))
            await _calls(case, three, make(3))
    finally:
        await one.close()
        await three.close()


def _describe_sent(log: list[LoggedStatement], app: str) -> str:
    one = [s for s in log if s.app == f"bench_{app}_1"]
    three = [s for s in log if s.app == f"bench_{app}_3"]
    per_call = (len(three) - len(one)) / 2
    verbs = [
        s.sql.split("*/")[-1].split()[0].upper().rstrip(";")
        for s in three[len(three) - int(per_call) :]
    ]
    count = f"{per_call:g}" if per_call != int(per_call) else str(int(per_call))
    return f"{count} statement(s)/call: {' '.join(verbs)}"


# -- bulk ------------------------------------------------------------------------------------------


_INSERT_COLUMNS = (*MessageCreate.model_fields, "edited_at", "edit_history")
_INSERT = (
    f"INSERT INTO messages ({', '.join(_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join(f'${n}' for n in range(1, len(_INSERT_COLUMNS) + 1))})"
)
_MESSAGE_FIELDS = itemgetter(*MessageCreate.model_fields)
_NO_EDITS = Json([])
_BUMP = _Q["messages.bump_message_counters"]


def _bulk(ctx: Context, loop: Loop, clients: Clients, world: World) -> list[Figure]:
    conn = clients.repo

    async def copy(batch: list[MessageCreate]) -> None:
        await messages.post_messages(conn, batch)

    async def executemany(batch: list[MessageCreate]) -> None:
        rows = [(*_MESSAGE_FIELDS(vars(m)), None, _NO_EDITS) for m in batch]
        async with conn.transaction():
            async with AsyncRawCursor(conn) as cur:
                await cur.executemany(_INSERT, rows)
            await queries.execute(conn, _BUMP, ids=[m.id for m in batch])

    async def one_by_one(batch: list[MessageCreate]) -> None:
        for m in batch:
            await messages.post_message(conn, m)

    methods = {
        "COPY (post_messages)": copy,
        "executemany": executemany,
        "loop of post_message": one_by_one,
    }
    peaks: dict[str, list[float]] = {name: [] for name in methods}
    growth: dict[str, list[float]] = {name: [] for name in methods}

    def timed(name: str, batch: list[MessageCreate]) -> None:
        with ctx.track_rss() as rss:
            before = _rss_mb()
            loop.run(methods[name](batch))
        peaks[name].append(rss.peak_mb)
        growth[name].append(rss.peak_mb - before)

    def make_batch() -> list[MessageCreate]:
        return [world.new_message(world.bulk_session_id) for _ in range(BULK)]

    samples = ctx.compare(
        {name: partial(timed, name) for name in methods},
        runs=ctx.runs(BULK_RUNS),
        warmup=0,
        setup=make_batch,
    )
    label = f"bulk {BULK:,} messages"
    base = f"{label}: executemany"
    figures: list[Figure] = []
    for name, sample in samples.items():
        fig = sample.figure(
            f"{label}: {name}",
            baseline=None if name == "executemany" else base,
            per_second=BULK,
        )
        fig.unit = "rows/s"
        figures.append(fig)
    for name in methods:
        grew = sorted(growth[name])[len(growth[name]) // 2]
        figures.append(
            Figure(
                f"{label}: {name}: peak RSS",
                max(peaks[name]),
                "MB",
                len(peaks[name]),
                peaks[name],
                note=f"whole process, peak over the runs; grew {grew:.1f} MB during a run "
                "(median), the batch of MessageCreate already built",
            )
        )
    loop.run(_check_counters(clients, world.bulk_session_id))
    ctx.note(
        "bulk",
        {
            "batch": f"{BULK} MessageCreate built untimed before each run (into another "
            "session of the same group); every method also moves the session, group and "
            "channel counters",
            "copy": "repos.messages.post_messages: one transaction, COPY ... FROM STDIN (text) "
            "+ one bump_message_counters UPDATE",
            "executemany": "one transaction, AsyncRawCursor.executemany of a plain INSERT of "
            "the same columns (psycopg pipelines it) + the same bump_message_counters UPDATE: "
            "the same work as COPY, loaded row by row",
            "loop": "await repos.messages.post_message(conn, m) 10,000 times on the "
            "autocommit connection: each message committed with its counters, as an "
            "orchestrator posting messages as they come",
            "rss_growth_mb": {name: [round(g, 1) for g in growth[name]] for name in methods},
        },
    )
    return figures


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")
