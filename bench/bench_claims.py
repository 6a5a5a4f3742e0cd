"""Claims: a contended queue, SKIP LOCKED (claim_next) against plain FOR UPDATE, 1-8 workers.

A queue of QUEUE pending tasks (one project, random priorities, distinct ages) is built once in
a migrated database, which is then copied (CREATE DATABASE ... TEMPLATE, untimed) for every
run. A run drains its copy: ``workers`` asyncio tasks, each on its own connection (opened before
the clock starts), take tasks until the queue is empty; the figure is tasks taken per second of
wall time, median over the runs, every case interleaved run by run.

What a worker does per task, in ONE transaction, so the claimed row stays locked throughout:
claim it, move it to in_progress (``transitions.transition``), then a short piece of work
(``asyncio.sleep(WORK_MS)``: the service's own call, e.g. opening the branch, while the
transaction is open) and commit. This is the case the locking clause decides:

- SKIP LOCKED: ``roboco_sql.repos.claims.claim_next`` itself; a worker passes over the rows
  others hold and takes the next, so workers proceed side by side;
- plain FOR UPDATE: the same statement (``claims.claim_task``) with ``SKIP LOCKED`` removed and
  claim_next's own parameters; every worker queues on the row at the head of the queue, waits
  for its holder's commit, rechecks it and moves on, so the workers take turns.

After every run each task must have been taken exactly once (and audited once), or the suite
fails. Connections run with ``synchronous_commit = off`` (fsync stays on) so the figures
measure lock contention rather than the flush latency of a shared disk; the server and this
one client process share the machine's cores.

Targets (issue 20): SKIP LOCKED at least 2x plain FOR UPDATE at 8 workers, and SKIP LOCKED
rising from 1 to 2 and from 2 to 4 workers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg import AsyncConnection

from bench.harness import BenchError, Context, Database, Figure, Sample, Target
from roboco_sql import queries
from roboco_sql.lifecycle import CLAIMABLE_BY_ROLE
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.models.enums import AgentRole, TaskStatus, Team
from roboco_sql.models.task import Task
from roboco_sql.queries import Query
from roboco_sql.repos import claims, transitions
from roboco_sql.repos._rows import model_row
from roboco_sql.repos.transitions import Actor

QUEUE = 240
RUNS = 3
WORK_MS = 5.0  # the work done inside the claim's transaction, row still locked
WORKERS = (1, 2, 4, 8)
SKIP = "SKIP LOCKED (claim_next)"
PLAIN = "plain FOR UPDATE"
SCENARIO = f"claim + start + {WORK_MS:g} ms work, one transaction"

_ROW = model_row(Task)
Case = tuple[str, int]  # locking, workers
Claim = Callable[[AsyncConnection[Any], Actor], Awaitable[Task | None]]


def run(ctx: Context) -> list[Figure]:
    skip_q = queries.load()["claims.claim_task"]
    if skip_q.sql.count("FOR UPDATE SKIP LOCKED") != 2:
        raise BenchError("claims.claim_task no longer takes its rows FOR UPDATE SKIP LOCKED")
    plain_q = dataclasses.replace(
        skip_q, sql=skip_q.sql.replace("FOR UPDATE SKIP LOCKED", "FOR UPDATE")
    )
    locking: dict[str, Claim] = {SKIP: claims.claim_next, PLAIN: _plain(plain_q)}
    template, agents = _template(ctx)
    order: list[Case] = [(kind, n) for kind in locking for n in WORKERS]
    seconds: dict[Case, list[float]] = {c: [] for c in order}
    for round_no in range(1 + ctx.runs(RUNS)):  # round 0 warms up
        for case in order if round_no % 2 == 0 else order[::-1]:
            kind, n = case
            db = ctx.new_database("claims", template=template.name)
            try:
                took = asyncio.run(_drain(db, locking[kind], agents[:n]))
            finally:
                ctx.drop_database(db)
            if round_no:
                seconds[case].append(took)
    ctx.note(
        "setup",
        {
            "queue": f"{QUEUE} pending backend tasks, one project, priorities 0-3 at random",
            "worker": "asyncio task on its own connection; per task one transaction: claim, "
            f"transition to in_progress, asyncio.sleep({WORK_MS / 1000:g}), commit; until "
            "nothing is left",
            "each_run": "on a fresh copy of the queue (CREATE DATABASE ... TEMPLATE, untimed)",
            "synchronous_commit": "off on the workers' connections, fsync on",
            SKIP: "roboco_sql.repos.claims.claim_next(conn, actor)",
            PLAIN: "claims.claim_task with 'FOR UPDATE SKIP LOCKED' -> 'FOR UPDATE', through "
            "queries.fetch_one with claim_next's parameters",
            "serial_bound": f"a queue taken in turns cannot beat 1000 / {WORK_MS:g} = "
            f"{1000 / WORK_MS:.0f} tasks/s however many workers wait",
        },
    )
    figures = []
    for kind, n in order:
        baseline: str | None = None
        target: Target | None = None
        if kind == PLAIN:
            baseline = _name(SKIP, n)
        elif n > 1:
            baseline = _name(SKIP, n // 2)  # each doubling against the one before
            target = Target(">", 1.0, on="ratio") if n <= 4 else None
        figures.append(
            Sample(tuple(seconds[(kind, n)])).figure(
                _name(kind, n), baseline=baseline, target=target, per_second=QUEUE
            )
        )
    # the goal, SKIP LOCKED >= 2x plain at 8 workers, as a figure of its own
    top = max(WORKERS)
    skip8 = next(f for f in figures if f.name == _name(SKIP, top))
    plain8 = next(f for f in figures if f.name == _name(PLAIN, top))
    figures.append(
        Figure(
            f"{SCENARIO}, {top} workers: SKIP LOCKED / plain FOR UPDATE",
            skip8.value / plain8.value,
            "x",
            target=Target(">=", 2.0),
        )
    )
    return figures


def _name(kind: str, workers: int) -> str:
    return f"{SCENARIO}, {workers} worker{'s' if workers > 1 else ''}: {kind}"


def _plain(q: Query) -> Claim:
    statuses = sorted(CLAIMABLE_BY_ROLE[AgentRole.DEVELOPER])

    async def claim(conn: AsyncConnection[Any], who: Actor) -> Task | None:
        return await queries.fetch_one(conn, q, _ROW, **claims._params(who, None, statuses))

    return claim


def _template(ctx: Context) -> tuple[Database, list[uuid.UUID]]:
    """A migrated database holding the queue, its project and eight backend developers."""
    db = ctx.new_database("claims_template")
    migrate(db.url, load_chain())
    rng = random.Random(QUEUE)
    agents = [uuid.uuid4() for _ in range(max(WORKERS) + 1)]
    creator, workers = agents[0], agents[1:]
    project = uuid.uuid4()
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with psycopg.connect(db.url) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO agents (id, name, slug, role, team, status, model_config,"
                " system_prompt, capabilities, permissions, metrics, created_at)"
                " VALUES (%s, %s, %s, 'developer', 'backend', 'offline', '{}', 'x', '{}', '{}',"
                " '{}', now())",
                [(a, f"dev {i}", f"be-dev-{i}") for i, a in enumerate(agents)],
            )
            cur.execute(
                "INSERT INTO projects (id, name, slug, git_url, default_branch,"
                " protected_branches, assigned_cell, created_by, is_active, created_at)"
                " VALUES (%s, 'p', 'p', 'https://example.com/p.git', 'main', '{main}',"
                " 'backend', %s, true, now())",
                (project, creator),
            )
            cur.executemany(
                "INSERT INTO tasks (id, title, description, acceptance_criteria, status,"
                " priority, task_type, nature, estimated_complexity, project_id, created_by,"
                " team, dependency_ids, blocker_ids, sequence, created_at, docs_complete,"
                " pr_created, checkpoints, progress_updates, commits, documents, self_verified,"
                " acceptance_criteria_status, qa_evidence_inspected)"
                " VALUES (%s, 'Task', 'A task waiting in the claim queue.', '{done}',"
                " 'pending', %s, 'code', 'technical', 'medium', %s, %s, 'backend', '{}', '{}', 0,"
                " %s, false, false, '[]', '[]', '[]', '[]', false, '[]', false)",
                [
                    (uuid.uuid4(), rng.randrange(4), project, creator, t0 + dt.timedelta(seconds=i))
                    for i in range(QUEUE)
                ],
            )
        conn.commit()
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return db, workers


async def _drain(db: Database, claim: Claim, agents: list[uuid.UUID]) -> float:
    """Seconds for len(agents) workers to take the whole queue; checks that each task went
    exactly once."""
    conns = [await AsyncConnection.connect(db.url, autocommit=True) for _ in agents]
    try:
        for c in conns:
            await c.execute("SET synchronous_commit = off")
        taken: list[uuid.UUID] = []

        async def worker(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> None:
            who = Actor(agent_id, AgentRole.DEVELOPER, Team.BACKEND)
            while True:
                async with conn.transaction():
                    task = await claim(conn, who)
                    if task is None:
                        return
                    await transitions.transition(conn, task.id, TaskStatus.IN_PROGRESS, who)
                    await asyncio.sleep(WORK_MS / 1000)
                taken.append(task.id)

        start = time.perf_counter()
        await asyncio.gather(*(worker(c, a) for c, a in zip(conns, agents, strict=True)))
        took = time.perf_counter() - start
        cur = await conns[0].execute(
            "SELECT count(*) FILTER (WHERE status = 'in_progress'),"
            " (SELECT count(*) FROM audit_log WHERE event_type = 'task.claimed') FROM tasks"
        )
        row = await cur.fetchone()
    finally:
        for c in conns:
            await c.close()
    if len(taken) != QUEUE or len(set(taken)) != QUEUE or row != (QUEUE, QUEUE):
        raise BenchError(
            f"{len(agents)} workers took {len(taken)} rows ({len(set(taken))} distinct),"
            f" the table shows {row}; expected each of {QUEUE} tasks once"
        )
    return took
