"""What earlier days left on the database: the next day's number, the open tasks an
interrupted day left (cancelled; anyone else's refuse the run), and their tokens (which today's
key may or may not open)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from roboco_sql.crypto import SecretBox
from roboco_sql.errors import Conflict, EncryptionError
from roboco_sql.lifecycle import TERMINAL
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import TaskStatus
from roboco_sql.models.task import Task
from roboco_sql.repos import pitches, products, projects, tasks, transitions

from .cast import CELLS, DEMO_PREFIX, OPEN_STATUSES, cell_slug
from .talk import Conn


async def next_day(conn: Conn) -> int:
    """One more than the highest demo day on the database (its product slugs say which), past
    any day number an interrupted run already took for its pitch or projects."""
    highest, after = 0, None
    while True:
        page = await products.list_products(conn, after_slug=after, limit=500)
        for product in page:
            match = re.fullmatch(rf"{DEMO_PREFIX}(\d+)", product.slug)
            if match:
                highest = max(highest, int(match.group(1)))
        if len(page) < 500:
            break
        after = page[-1].slug
    day = highest + 1
    while await pitches.get_pitch_by_slug(conn, f"{DEMO_PREFIX}{day}") or any(
        [
            await projects.get_project_by_slug(conn, f"{DEMO_PREFIX}{day}-{cell_slug(c)}")
            for c in CELLS
        ]
    ):
        day += 1
    return day


async def close_interrupted_days(conn: Conn, ceo: Agent) -> int:
    """Cancel open tasks an interrupted demo day left; refuse anyone else's open tasks."""
    demo_projects = {p.id for p in await _all_projects(conn) if p.slug.startswith(DEMO_PREFIX)}
    demo_products: set[uuid.UUID] = set()
    after_slug = None
    while True:
        page = await products.list_products(conn, after_slug=after_slug, limit=500)
        demo_products |= {p.id for p in page if p.slug.startswith(DEMO_PREFIX)}
        if len(page) < 500:
            break
        after_slug = page[-1].slug
    open_tasks: list[Task] = []
    after: Task | None = None
    while True:
        page_tasks = await tasks.list_tasks(conn, status=OPEN_STATUSES, after=after, limit=500)
        open_tasks += page_tasks
        if len(page_tasks) < 500:
            break
        after = page_tasks[-1]
    foreign = [
        t
        for t in open_tasks
        if t.project_id not in demo_projects and t.product_id not in demo_products
    ]
    if foreign:
        t = foreign[0]
        raise Conflict(
            f"the database has {len(foreign)} open task(s) the demo did not make (e.g. task "
            f"{t.id} '{t.title}', {t.status}); the demo drains the live claim queue, so run it "
            "on a database of its own"
        )
    cancelled = 0
    for task in sorted(open_tasks, key=lambda t: t.parent_task_id is not None):
        current = await tasks.get_task(conn, task.id)
        if current is None or current.status in TERMINAL:
            continue  # cancelled with its parent
        await transitions.transition(conn, task.id, TaskStatus.CANCELLED, ceo)
        cancelled += 1
    return cancelled


async def _all_projects(conn: Conn) -> list[Any]:
    found: list[Any] = []
    after = None
    while True:
        page = await projects.list_projects(conn, after_slug=after, limit=500)
        found += page
        if len(page) < 500:
            return found
        after = page[-1].slug


async def earlier_tokens(conn: Conn, box: SecretBox, today: str) -> tuple[int, int]:
    """How many tokens of earlier demo days today's key opens, and how many it does not."""
    readable = unreadable = 0
    for project in await _all_projects(conn):
        if not project.slug.startswith(DEMO_PREFIX) or project.slug.startswith(f"{today}-"):
            continue
        if not project.has_git_token:
            continue
        try:
            await projects.read_git_token(conn, project.id, box=box)
        except EncryptionError:
            unreadable += 1
        else:
            readable += 1
    return readable, unreadable
