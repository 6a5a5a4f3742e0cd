"""Repositories: five calls against raw psycopg (the floor) and SQLAlchemy's async ORM.

On a database the runner migrated to head and filled by the repositories (27 agents, a
project, 5,000 tasks across statuses, an A2A conversation between a developer and its cell PM
holding 10,000 messages; ANALYZEd), each call is timed in the same run, the cases interleaved
sample by sample:

- repository: ``roboco_sql.repos.<aggregate>.<function>(conn, ...)``, Pydantic models back
  (trusted rows, the default: ROBOCO_SQL_VALIDATE_ROWS unset), on one autocommit connection;
- raw psycopg: the same statement text (the named query's compiled SQL) with the same
  parameters through ``AsyncConnection.execute`` on a raw cursor, tuple rows: the floor;
- SQLAlchemy ORM: 2.x async, classes by ``automap_base()`` reflection of the same tables (no
  hand-written models), the idiomatic call (``session.get``, ``select(...).limit``,
  ``session.add`` + ``commit``), one session per call, through two drivers, asyncpg and
  psycopg (``postgresql+psycopg``, the driver the repository uses), each on two engines: one
  in AUTOCOMMIT (no BEGIN/COMMIT of its own, like the repository's autocommit connection) and
  one at its default, as RoboCo runs it (BEGIN ... COMMIT, or ROLLBACK at session close).

Messages: RoboCo's 060 drops the channel/group/session messaging tables, so at head the only
message table is ``a2a_messages``; "list 100 A2A messages" and "post A2A message" are
``repos.a2a.list_messages`` and ``repos.a2a.add_message`` (the message and its conversation's
counters in one statement). The earlier session-messages figures (and their COPY bulk load)
needed the 059 chain and are not measured any more.

The database runs with ``synchronous_commit = off`` (set on it alone; fsync stays on): a
commit does not wait for its WAL flush, so the write figures measure the layers rather than the
flush latency of a shared disk. Every kind commits the same way; the ORM's extra commits cost
less than they would with a durable wait.

Each figure is the median over samples of the time per call (a sample is CALLS[call] calls).
How many statements each case sends per call is counted by the server's log and noted.

Targets: repository <= 1.25x raw psycopg; the ORM slower than the repository on every call and
at least 2x on single-row calls, judged on the ORM's configuration that reaches the same
outcome with the fewest statements and commits (decided per call, before measuring, the same
for both drivers): the autocommit engine for the reads and create task (one statement, like the
repository), the default engine for post message (its INSERT and counter UPDATE need one
transaction to be atomic, as the repository's single statement is).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Any

from psycopg import AsyncConnection, AsyncRawCursor, sql
from psycopg.rows import TupleRow
from sqlalchemy import case, func, select, update
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
from roboco_sql.models.a2a import A2AConversationCreate, A2AMessageCreate
from roboco_sql.models.agent import AgentCreate
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import (
    A2AMessageKind,
    AgentRole,
    Complexity,
    TaskNature,
    TaskStatus,
    TaskType,
    Team,
)
from roboco_sql.models.project import ProjectCreate
from roboco_sql.models.task import MAX_TASK_DEPTH, TaskCreate
from roboco_sql.repos import a2a, agents, projects, tasks

SAMPLES = 15  # many short samples: this machine is shared, its load comes in bursts
LIST_MESSAGES = "list 100 A2A messages"
POST_MESSAGE = "post A2A message"
CALLS = {  # calls per sample
    "get task by id": 60,
    "list 50 tasks by status": 20,
    LIST_MESSAGES: 30,
    "create task": 60,
    POST_MESSAGE: 30,
}
TASKS = 5_000
MESSAGES = 10_000
SEED = 20_240_901

REPO, RAW = "repository", "raw psycopg"
ORM, ORM_TX = (
    "SQLAlchemy ORM asyncpg (autocommit engine)",
    "SQLAlchemy ORM asyncpg (default engine)",
)
ORM_PG, ORM_PG_TX = (
    "SQLAlchemy ORM psycopg (autocommit engine)",
    "SQLAlchemy ORM psycopg (default engine)",
)
ORMS = (ORM, ORM_TX, ORM_PG, ORM_PG_TX)
KINDS = (REPO, RAW, *ORMS)
_APP = {
    REPO: "repo",
    RAW: "raw",
    ORM: "orm",
    ORM_TX: "ormtx",
    ORM_PG: "ormpg",
    ORM_PG_TX: "ormpgtx",
}
# the same engine configuration on the other driver
_DRIVER_TWIN = {ORM: ORM_PG, ORM_TX: ORM_PG_TX}

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
ROSTER_PM = 9  # the backend cell's PM, then its first developer, in ROSTER order
ROSTER_DEV = 10
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
MESSAGE_WEIGHTS: dict[A2AMessageKind, int] = {
    A2AMessageKind.MESSAGE: 80,
    A2AMessageKind.REQUEST: 10,
    A2AMessageKind.RESPONSE: 8,
    A2AMessageKind.SYSTEM: 2,
}

_Q = queries.load()
_GET_TASK = _Q["tasks.get_task"]
_LIST_TASKS = _Q["tasks.list_tasks"]
_CREATE_TASK = _Q["tasks.create_task"]
_POST = _Q["a2a.add_a2a_message"]
_LIST_MESSAGES = _Q["a2a.list_a2a_messages"]

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
    conversation_id: uuid.UUID
    pair: tuple[str, str]  # the conversation's two agent slugs
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

    def new_message(self) -> A2AMessageCreate:
        rng = self.rng
        return A2AMessageCreate(
            conversation_id=self.conversation_id,
            from_agent=rng.choice(self.pair),
            content=_text(rng, 60, 1200),
            message_kind=_weighted(rng, MESSAGE_WEIGHTS),
            requires_response=rng.random() < 0.2,
        )


async def _populate(conn: AsyncConnection[TupleRow]) -> World:
    rng = random.Random(SEED)
    now = utcnow()
    agent_ids: list[uuid.UUID] = []
    slugs: list[str] = []
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
                slugs.append(agent.slug)
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
        # a developer and its cell PM: the busiest pair of a cell
        pair = (slugs[ROSTER_DEV], slugs[ROSTER_PM])
        conversation = await a2a.create_conversation(
            conn, A2AConversationCreate(agent_a=min(pair), agent_b=max(pair), topic="handoff")
        )
        world = World(agent_ids, ceo_id, project.id, conversation.id, pair, [], rng)
        # the repositories' own statements, pipelined (executemany): fast to fill, same rows
        batch = [
            world.new_task().model_copy(
                update={
                    "status": _weighted(rng, STATUS_WEIGHTS),
                    "created_at": now - dt.timedelta(days=120) * (1 - i / TASKS),
                    "team": rng.choice((Team.BACKEND, Team.FRONTEND, Team.UX_UI)),
                }
            )
            for i in range(TASKS)
        ]
        async with AsyncRawCursor(conn) as cur:
            await cur.executemany(
                _CREATE_TASK.sql,
                [_TASK_ARGS({**vars(d), "max_depth": MAX_TASK_DEPTH}) for d in batch],
            )
        world.task_ids.extend(d.id for d in batch)
    start = now - dt.timedelta(days=10)
    messages = [
        world.new_message().model_copy(update={"created_at": start + dt.timedelta(seconds=80 * i)})
        for i in range(MESSAGES)
    ]
    async with conn.transaction(), AsyncRawCursor(conn) as cur:
        await cur.executemany(_POST.sql, [_POST_ARGS(vars(m)) for m in messages])
    await conn.execute("VACUUM ANALYZE")
    return world


# -- the clients -----------------------------------------------------------------------------------


@dataclass
class Clients:
    """One client of each kind, on its own connection(s)."""

    repo: AsyncConnection[TupleRow]
    raw: AsyncConnection[TupleRow]
    sessions: dict[str, async_sessionmaker[AsyncSession]]
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
        engines: dict[str, AsyncEngine] = {}
        for kind in ORMS:
            psycopg_driver = kind in (ORM_PG, ORM_PG_TX)
            driver = "postgresql+psycopg" if psycopg_driver else "postgresql+asyncpg"
            extra: dict[str, Any] = {}
            if kind in (ORM, ORM_PG):
                extra["isolation_level"] = "AUTOCOMMIT"
            connect_args: dict[str, Any] = (
                {"application_name": app(kind)}
                if psycopg_driver
                else {"server_settings": {"application_name": app(kind)}}
            )
            engines[kind] = create_async_engine(
                make_url(url).set(drivername=driver),
                pool_size=1,
                max_overflow=0,
                connect_args=connect_args,
                **extra,
            )
        return cls(
            repo,
            raw,
            {k: async_sessionmaker(e, expire_on_commit=False) for k, e in engines.items()},
            tuple(engines.values()),
        )

    def session(self, kind: str) -> async_sessionmaker[AsyncSession]:
        return self.sessions[kind]

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
    Conversation: Any

    @classmethod
    async def reflect(cls, engine: AsyncEngine) -> Orm:
        base: Any = automap_base()
        async with engine.connect() as conn:
            await conn.run_sync(lambda sync_conn: base.prepare(autoload_with=sync_conn))
        c = base.classes
        return cls(c.tasks, c.a2a_messages, c.a2a_conversations)


# -- the calls, each kind ----------------------------------------------------------------------

Case = Callable[[Clients, Any], Awaitable[Any]]

_TASK_ARGS = itemgetter(*_CREATE_TASK.params)
_POST_ARGS = itemgetter(*_POST.params)


def _list_tasks_args(status: TaskStatus) -> tuple[object, ...]:
    """What ``list_tasks(status=status, limit=50)`` binds: no other filter, no cursor."""
    return _LIST_TASKS.args(
        {**dict.fromkeys(_LIST_TASKS.params), "statuses": [status], "limit": 50}
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
    T, M, C = orm.Task, orm.Message, orm.Conversation

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

    # list the 100 newest messages of an A2A conversation
    async def msgs_repo(c: Clients, conversation_id: uuid.UUID) -> Any:
        return await a2a.list_messages(c.repo, conversation_id, limit=100)

    async def msgs_raw(c: Clients, conversation_id: uuid.UUID) -> Any:
        args = _LIST_MESSAGES.args(
            conversation_id=conversation_id, before_at=None, before_id=None, limit=100
        )
        cur = await c.raw.execute(_LIST_MESSAGES.sql, args)
        return await cur.fetchall()

    async def msgs_orm(c: Clients, conversation_id: uuid.UUID, kind: str) -> Any:
        stmt = (
            select(M)
            .where(M.conversation_id == conversation_id)
            .order_by(M.created_at.desc(), M.id.desc())
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

    # post an A2A message (the message and its conversation's counters)
    async def post_repo(c: Clients, msg: A2AMessageCreate) -> Any:
        return await a2a.add_message(c.repo, msg)

    async def post_raw(c: Clients, msg: A2AMessageCreate) -> Any:
        cur = await c.raw.execute(_POST.sql, _POST_ARGS(vars(msg)))
        return await cur.fetchone()

    async def post_orm(c: Clients, msg: A2AMessageCreate, kind: str) -> Any:
        row = M(**vars(msg), read_at=None, edited_at=None, edit_history=[])
        at, sender = msg.created_at, msg.from_agent
        async with c.session(kind)() as s:
            s.add(row)
            await s.execute(
                update(C)
                .where(C.id == msg.conversation_id)
                .values(
                    message_count=C.message_count + 1,
                    last_message_at=func.greatest(C.last_message_at, at),
                    updated_at=func.greatest(C.updated_at, at),
                    unread_by_a=C.unread_by_a + case((C.agent_a == sender, 0), else_=1),
                    unread_by_b=C.unread_by_b + case((C.agent_b == sender, 0), else_=1),
                )
                .execution_options(synchronize_session=False)
            )
            await s.commit()
        return row

    def kinds(repo: Case, raw: Case, orm_case: Callable[..., Awaitable[Any]]) -> dict[str, Case]:
        return {REPO: repo, RAW: raw, **{k: partial(_kw, orm_case, k) for k in ORMS}}

    return {
        "get task by id": kinds(get_repo, get_raw, get_orm),
        "list 50 tasks by status": kinds(list_repo, list_raw, list_orm),
        LIST_MESSAGES: kinds(msgs_repo, msgs_raw, msgs_orm),
        "create task": kinds(create_repo, create_raw, create_orm),
        POST_MESSAGE: kinds(post_repo, post_raw, post_orm),
    }


async def _kw(fn: Callable[..., Awaitable[Any]], kind: str, c: Clients, arg: Any) -> Any:
    return await fn(c, arg, kind)


SINGLE_ROW = {"get task by id", "create task", POST_MESSAGE}
# The ORM configuration the targets judge (see the module docstring).
ORM_TARGETED = {
    "get task by id": ORM,
    "list 50 tasks by status": ORM,
    LIST_MESSAGES: ORM,
    "create task": ORM,
    POST_MESSAGE: ORM_TX,
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
        LIST_MESSAGES: lambda n: [world.conversation_id] * n,
        "create task": lambda n: [world.new_task() for _ in range(n)],
        POST_MESSAGE: lambda n: [world.new_message() for _ in range(n)],
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
    return Figure.median_of(name, values, "us", baseline=baseline, target=target, note=note)


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
            targeted = {ORM_TARGETED[call], _DRIVER_TWIN[ORM_TARGETED[call]]}
            targets = {k: orm_target if k in targeted else None for k in ORMS}
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
                    for k in ORMS
                ),
            ]
            split(call)
        loop.run(_check_counters(clients, world.conversation_id))
    finally:
        gc.unfreeze()
        loop.run(clients.close())

    ctx.note(
        "data",
        {
            "agents": len(world.agent_ids),
            "tasks": TASKS,
            "task_statuses": {s.value: w for s, w in STATUS_WEIGHTS.items()},
            "messages_in_conversation": MESSAGES,
            "list_statuses": [s.value for s in LIST_STATUSES],
            "after_populate": "VACUUM ANALYZE",
            "writes_grow_tables": "create task and post A2A message add rows as they are timed "
            "(reads are timed first)",
        },
    )
    ctx.note(
        "method",
        {
            "calls_per_sample": CALLS,
            "samples": samples,
            "warmup_samples": 1,
            "unit": "microseconds per call (sample time / calls), median of samples",
            "interleaving": "the six kinds alternate sample by sample (A B C ..., ... C B A)",
            "synchronous_commit": "off for the suite's database (ALTER DATABASE), fsync on",
            "gc": "objects alive after setup frozen (gc.freeze) so the harness's gc.collect() "
            "before each run is quick; collections inside timed runs happen as usual",
            "inputs": "built untimed before each sample (compare setup): ids, TaskCreate, "
            "A2AMessageCreate",
            "repository": "roboco_sql.repos functions on one psycopg AsyncConnection, "
            "autocommit, trusted row factories (ROBOCO_SQL_VALIDATE_ROWS="
            f"{os.environ.get('ROBOCO_SQL_VALIDATE_ROWS', '')!r})",
            "raw_psycopg": "AsyncConnection(autocommit, cursor_factory=AsyncRawCursor)"
            ".execute(query.sql, params) + fetchone/fetchall, tuple rows",
            "orm": "SQLAlchemy async ORM over asyncpg and over psycopg (postgresql+psycopg, the "
            "driver the repository uses), one engine pair each; "
            "automap_base().prepare(autoload_with=...) via run_sync; "
            "async_sessionmaker(expire_on_commit=False), one session per call; "
            "pool_size=1; autocommit engine: isolation_level=AUTOCOMMIT (no BEGIN/COMMIT); "
            "default engine: each call inside BEGIN ... COMMIT (writes) or ROLLBACK (reads, "
            "at session close)",
            "orm_targeted": ORM_TARGETED,
            "orm_post_message": "session.add(message) + one UPDATE of the conversation's "
            "counters (message_count, last_message_at, updated_at, the other side's unread; "
            "ORM-enabled update(), synchronize_session=False) + commit: the same rows the "
            "repository's one statement writes",
            "messages_at_head": "RoboCo's 060 drops the channel/group/session messages tables, "
            "so at head the only message table is a2a_messages: the list and post figures use "
            "an A2A conversation (repos.a2a.list_messages / add_message), the path a database "
            "at head serves; the session messages of the 059 chain are no longer measured, "
            "nor their COPY bulk load (A2A has no bulk path)",
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
        if call in ("create task", POST_MESSAGE):
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


async def _check_counters(clients: Clients, conversation_id: uuid.UUID) -> None:
    """After posting through every kind, the conversation's counter equals its messages."""
    cur = await clients.raw.execute(
        "SELECT c.message_count, (SELECT count(*) FROM a2a_messages m"
        " WHERE m.conversation_id = c.id) FROM a2a_conversations c WHERE c.id = $1",
        (conversation_id,),
    )
    row = await cur.fetchone()
    if row is None or row[0] != row[1]:
        raise BenchError(f"conversation counter {row and row[0]} != messages {row and row[1]}")


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
