"""The day from start to end, phase by phase, each timed and reported as it ends:
boot, board, planning, workday, knowledge, wrap-up."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from psycopg_pool import AsyncConnectionPool

from roboco_sql import bootstrap
from roboco_sql.boot import init_db
from roboco_sql.config import Settings, describe
from roboco_sql.crypto import SecretBox, generate_key
from roboco_sql.db import connection, open_pool, resolve_url
from roboco_sql.errors import RobocoSQLError
from roboco_sql.migrate.runner import MigrationReport
from roboco_sql.models.agent import Agent
from roboco_sql.repos import agents

from .board import board
from .cast import CELLS, CREW, FATES, planned
from .day import Day
from .earlier import close_interrupted_days, earlier_tokens, next_day
from .knowledge import boot_rag, knowledge
from .planning import plan
from .report import DayReport
from .talk import autocommit
from .workday import run_workday
from .wrapup import wrap_up

Echo = Callable[[str], None]


class _Clock:
    """Times the phases: each ends with its line (and notes) in the report and on ``say``."""

    def __init__(self, report: DayReport, say: Echo) -> None:
        self.report = report
        self.say = say
        self.since = time.perf_counter()

    def phase(self, name: str, what: str, *notes: str) -> None:
        took = time.perf_counter() - self.since
        self.report.phases.append((name, took, what, list(notes)))
        for line in self.report.phase_lines(name, took, what, notes):
            self.say(line)
        self.since = time.perf_counter()


async def run_day(
    url: str | None = None,
    *,
    scale: int = 1,
    settings: Settings | None = None,
    migrations_dir: Path | None = None,
    echo: Echo | None = None,
    timeout: float | None = None,
) -> DayReport:
    """Run one workday on the database at ``url`` (default: the configured one, else the
    embedded server) and return its report; ``echo`` gets the report's lines as phases end.

    The encryption key is ROBOCO_ENCRYPTION_KEY; without one the day runs under an ephemeral
    key it announces (its tokens will not open on a later day, which that day reports).
    Raises when the day cannot finish (a task still open after ``timeout`` seconds).
    """
    if scale < 1:
        raise RobocoSQLError(f"scale must be at least 1, got {scale}")
    settings = settings or Settings.from_env()
    say: Echo = echo or (lambda _line: None)
    began = time.perf_counter()
    target = url or resolve_url(settings, announce=None)
    where = (
        f"the embedded server in {settings.data_dir}"
        if url is None and settings.uses_embedded
        else describe(target)
    )
    report = DayReport(day=0, scale=scale, server=where)
    clock = _Clock(report, say)
    migration = await init_db(url, settings=settings, migrations_dir=migrations_dir)
    pool = await open_pool(target, settings, min_size=2, max_size=len(CREW) + 4)
    try:
        staff = await _boot(pool, settings, migration, where, clock)
        day = await _open_board(pool, settings, staff, clock)
        async with connection(pool) as conn, autocommit(conn):
            deps, standup = await plan(conn, day, scale)
        clock.phase(
            "planning",
            f"main-pm: {scale} feature{'s' if scale > 1 else ''} -> {scale * len(CELLS)} cell "
            f"tasks -> {scale * len(FATES)} subtasks + {scale * len(CELLS)} spikes, {deps} "
            "dependencies",
            f"a standup of {standup} A2A messages to main-pm",
        )
        crew = await run_workday(day, timeout if timeout is not None else 120.0 + 30.0 * scale)
        c = report.counts
        clock.phase(
            "workday",
            f"{crew} agents at once: {c['transitions']} transitions, {c['claims']} "
            f"claims, {c['revisions']} sent back, {c['escalations']} escalated",
        )
        clock.phase("knowledge", *await knowledge(day))
        clock.phase("wrap-up", await wrap_up(day))
    finally:
        await pool.close()
    report.seconds = time.perf_counter() - began
    for line in ["", *report.summary_lines()]:
        say(line)
    return report


async def _boot(
    pool: AsyncConnectionPool,
    settings: Settings,
    migration: MigrationReport,
    where: str,
    clock: _Clock,
) -> dict[str, Agent]:
    """As the orchestrator boots, then db-init's seed and the RAG tables; which day this is,
    and what an interrupted earlier one left open. Returns the staff by slug."""
    report = clock.report
    async with connection(pool) as conn, autocommit(conn):
        await bootstrap.seed(conn)  # db-init's rows; the schema is at head already
    rag_note = await boot_rag(pool, settings, report)
    async with connection(pool) as conn, autocommit(conn):
        report.day = await next_day(conn)
        version = conn.info.server_version
        staff = {a.slug: a for a in await agents.list_agents(conn, limit=1000)}
        report.interrupted_tasks_cancelled = await close_interrupted_days(conn, staff["ceo"])
    report.server = f"PostgreSQL {version // 10000}.{version % 10000}, {where}"
    clock.say(report.header())
    applied = len(migration.applied)
    notes = [f"RAG is off: {report.rag.removeprefix('off: ')}; the day goes on without it"]
    if report.interrupted_tasks_cancelled:
        notes.append(
            f"cancelled {report.interrupted_tasks_cancelled} task(s) an interrupted "
            "earlier day left open"
        )
    clock.phase(
        "boot",
        f"schema at {migration.to_revision}{f' (+{applied})' if applied else ''}; db-init: "
        f"{len(staff)} agents; {rag_note}",
        *notes[0 if not report.rag_enabled else 1 :],
    )
    return staff


async def _open_board(
    pool: AsyncConnectionPool, settings: Settings, staff: dict[str, Agent], clock: _Clock
) -> Day:
    """The day's key (the configured one, else one made for this run), what it opens of the
    earlier days' tokens, then the board's pitch and provisioning."""
    report = clock.report
    report.started_at = dt.datetime.now(dt.UTC)
    notes = []
    if settings.encryption_key.strip():
        box = SecretBox.from_settings(settings)
        box.check()
        report.key = "ROBOCO_ENCRYPTION_KEY"
    else:
        box = SecretBox(generate_key())
        report.key = "ephemeral"
        notes.append("ROBOCO_ENCRYPTION_KEY is unset: the tokens use a key made for this run")
    day = Day(pool, report, box, staff)
    report.planned = planned(report.scale)
    async with connection(pool) as conn, autocommit(conn):
        readable, unreadable = await earlier_tokens(conn, box, day.slug)
        report.earlier_tokens_readable, report.earlier_tokens_unreadable = readable, unreadable
        await board(conn, day)
    if readable:
        notes.append(f"earlier days: {readable} token(s) open with today's key")
    if unreadable:
        notes += [
            f"earlier days: {unreadable} token(s) do NOT open with today's key: they were",
            "written under another one (ROBOCO_ENCRYPTION_KEY=new,old would read both)",
        ]
    clock.phase(
        "board",
        f"pitch {day.slug} approved: product + 3 projects, tokens encrypted and read back",
        *notes,
    )
    return day
