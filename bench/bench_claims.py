"""Claims: claim_next throughput for 1, 2, 4 and 8 workers, SKIP LOCKED against plain FOR UPDATE.

A queue of QUEUE pending tasks (one project, random priorities, distinct ages) is built once in
a migrated database, which is then copied (CREATE DATABASE ... TEMPLATE, untimed) for every
run. A run drains its copy: ``workers`` asyncio tasks, each on its own autocommit connection
(opened before the clock starts), claim until the queue is empty; the figure is tasks claimed
per second of wall time, median over the runs, the cases interleaved run by run.

- SKIP LOCKED: ``claims.claim_task``, the statement ``roboco_sql.repos.claims.claim_next`` runs
  (claim, branch name, work session, audit row in one statement), with the parameters it
  passes for a backend developer.
- plain FOR UPDATE: the same statement text with ``SKIP LOCKED`` removed, so a worker that
  reaches a row another worker holds waits for that commit, rechecks the row and moves on.

Two scenarios: the claim alone (autocommit, so a row stays locked for one statement), and the
claim followed by ``transitions.transition(..., in_progress)`` in the same transaction (the row
stays locked for three round trips, as in a service transaction that claims and then works).

Both lockings run through ``queries.fetch_one`` with trusted rows (ROBOCO_SQL_VALIDATE_ROWS
unset), so they differ only in the locking clause. After every run each task must be claimed
exactly once (and audited once), or the suite fails. Connections run with
``synchronous_commit = off`` (fsync stays on) so the figures measure lock contention rather than
the flush latency of a shared disk; the machine has 2 cores, on which the server and this one
client process run.

Target: SKIP LOCKED throughput rises from 1 to 2 workers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import time
import uuid
from typing import Any

import psycopg
from psycopg import AsyncConnection

from bench.harness import BenchError, Context, Database, Figure, Sample, Target
from roboco_sql import queries
from roboco_sql.lifecycle import CLAIMABLE_BY_ROLE, MAX_DEPTH, PR_REVIEW_SOURCES
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.models.enums import AgentRole, TaskStatus, Team
from roboco_sql.models.task import Task
from roboco_sql.queries import Query
from roboco_sql.repos import transitions
from roboco_sql.repos._rows import model_row
from roboco_sql.repos.transitions import Actor

QUEUE = 1000
RUNS = 5
WORKERS = (1, 2, 4, 8)
SKIP = "SKIP LOCKED"
PLAIN = "plain FOR UPDATE"
ALONE = "claim"
WITH_START = "claim + start, one transaction"

_ROW = model_row(Task)
Case = tuple[str, str, int]  # scenario, locking, workers


def run(ctx: Context) -> list[Figure]:
    skip_q = queries.load()["claims.claim_task"]
    if skip_q.sql.count("FOR UPDATE SKIP LOCKED") != 2:
        raise BenchError("claims.claim_task no longer takes its rows FOR UPDATE SKIP LOCKED")
    plain_q = dataclasses.replace(
        skip_q, sql=skip_q.sql.replace("FOR UPDATE SKIP LOCKED", "FOR UPDATE")
    )
    locking = {SKIP: skip_q, PLAIN: plain_q}
    template, agents = _template(ctx)
    order: list[Case] = [
        (scenario, kind, n) for scenario in (ALONE, WITH_START) for kind in locking for n in WORKERS
    ]
    seconds: dict[Case, list[float]] = {c: [] for c in order}
    for round_no in range(1 + ctx.runs(RUNS)):  # round 0 warms up
        for case in order if round_no % 2 == 0 else order[::-1]:
            scenario, kind, n = case
            db = ctx.new_database("claims", template=template.name)
            try:
                took = asyncio.run(_drain(db, locking[kind], agents[:n], scenario == WITH_START))
            finally:
                ctx.drop_database(db)
            if round_no:
                seconds[case].append(took)
    ctx.note(
        "setup",
        {
            "queue": f"{QUEUE} pending backend tasks, one project, priorities 0-3 at random",
            "worker": "asyncio task, own autocommit connection, claims until none is left",
            ALONE: "claim_next's statement alone (autocommit: the row lock lasts one statement)",
            WITH_START: "the claim, then transitions.transition(..., in_progress) in the same "
            "transaction (the row lock lasts three round trips, as in a service transaction)",
            "each_run": "on a fresh copy of the queue (CREATE DATABASE ... TEMPLATE, untimed)",
            "synchronous_commit": "off on the workers' connections, fsync on",
            "plain_for_update": "claims.claim_task with 'FOR UPDATE SKIP LOCKED' -> 'FOR UPDATE'",
        },
    )
    figures = []
    for scenario, kind, n in order:
        if kind == PLAIN:
            baseline: str | None = _name(scenario, SKIP, n)
        else:
            baseline = _name(scenario, SKIP, 1) if n > 1 else None
        target = Target(">", 1.0, on="ratio") if (kind, n) == (SKIP, 2) else None
        figures.append(
            Sample(tuple(seconds[(scenario, kind, n)])).figure(
                _name(scenario, kind, n), baseline=baseline, target=target, per_second=QUEUE
            )
        )
    return figures


def _name(scenario: str, kind: str, workers: int) -> str:
    return f"{scenario}, {workers} worker{'s' if workers > 1 else ''}: {kind}"


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


def _params(agent_id: uuid.UUID) -> dict[str, Any]:
    """What claim_next passes for a backend developer."""
    return {
        "task_id": None,
        "statuses": sorted(CLAIMABLE_BY_ROLE[AgentRole.DEVELOPER]),
        "any_team": False,
        "team": "backend",
        "agent_id": agent_id,
        "agent_role": AgentRole.DEVELOPER,
        "self_review": False,
        "open_session": True,
        "session_id": uuid.uuid4(),
        "max_depth": MAX_DEPTH,
        "pr_review_sources": sorted(PR_REVIEW_SOURCES),
    }


async def _drain(db: Database, q: Query, agents: list[uuid.UUID], start_too: bool) -> float:
    """Seconds for len(agents) workers to claim the whole queue (each task started in the
    claim's transaction when start_too); checks that each task went exactly once."""
    conns = [await AsyncConnection.connect(db.url, autocommit=True) for _ in agents]
    try:
        for c in conns:
            await c.execute("SET synchronous_commit = off")
        claimed: list[uuid.UUID] = []

        async def claim(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> bool:
            task = await queries.fetch_one(conn, q, _ROW, **_params(agent_id))
            if task is None:
                return False
            if start_too:
                actor = Actor(agent_id, AgentRole.DEVELOPER, Team.BACKEND)
                await transitions.transition(conn, task.id, TaskStatus.IN_PROGRESS, actor)
            claimed.append(task.id)
            return True

        async def worker(conn: AsyncConnection[Any], agent_id: uuid.UUID) -> None:
            while True:
                if start_too:
                    async with conn.transaction():
                        more = await claim(conn, agent_id)
                else:
                    more = await claim(conn, agent_id)
                if not more:
                    return

        start = time.perf_counter()
        await asyncio.gather(*(worker(c, a) for c, a in zip(conns, agents, strict=True)))
        took = time.perf_counter() - start
        cur = await conns[0].execute(
            "SELECT count(*) FILTER (WHERE status IN ('claimed', 'in_progress')),"
            " (SELECT count(*) FROM audit_log WHERE event_type = 'task.claimed') FROM tasks"
        )
        row = await cur.fetchone()
    finally:
        for c in conns:
            await c.close()
    if len(claimed) != QUEUE or len(set(claimed)) != QUEUE or row != (QUEUE, QUEUE):
        raise BenchError(
            f"{len(agents)} workers claimed {len(claimed)} rows ({len(set(claimed))} distinct),"
            f" the table shows {row}; expected each of {QUEUE} tasks once"
        )
    return took
