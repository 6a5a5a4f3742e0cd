"""Task rows built directly in the state a case starts from, for the task flow tests and the
lifecycle tests that share them: seeded agents, projects and products, a World of one actor
per role, raw task INSERTs (batched), and the reads the cases check with."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from roboco_sql.models.enums import AgentRole, TaskStatus, Team
from roboco_sql.models.task import Task
from roboco_sql.repos import tasks
from roboco_sql.repos.transitions import Actor

Conn = AsyncConnection[Any]
RowT = TypeVar("RowT")
S = TaskStatus
R = AgentRole

# every git fact an edge can ask for, met
GIT_DONE: dict[str, Any] = {
    "branch_name": "feature/backend/abcdef12",
    "pr_number": 7,
    "pr_created": True,
    "docs_complete": True,
}


# -- seed rows -------------------------------------------------------------------------------


async def seed_agent(conn: Conn, role: AgentRole, team: Team | None) -> uuid.UUID:
    agent_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO agents (id, name, slug, role, team, status, model_config, system_prompt,"
        " capabilities, permissions, metrics, created_at)"
        " VALUES (%s, %s, %s, %s, %s, 'offline', '{}', 'x', '{}', '{}', '{}', now())",
        (agent_id, role.value, f"{role.value}-{agent_id.hex[:8]}", role, team),
    )
    return agent_id


async def seed_project(
    conn: Conn, creator: uuid.UUID, cell: Team = Team.BACKEND, default_branch: str = "main"
) -> uuid.UUID:
    project_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO projects (id, name, slug, git_url, default_branch, protected_branches,"
        " assigned_cell, created_by, is_active, created_at)"
        " VALUES (%s, 'p', %s, 'https://example.com/p.git', %s, '{main}', %s, %s, true, now())",
        (project_id, f"p-{project_id.hex[:8]}", default_branch, cell, creator),
    )
    return project_id


async def seed_product(conn: Conn, creator: uuid.UUID, cells: dict[Team, uuid.UUID]) -> uuid.UUID:
    product_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO products (id, name, slug, created_by, created_at)"
        " VALUES (%s, 'pr', %s, %s, now())",
        (product_id, f"pr-{product_id.hex[:8]}", creator),
    )
    for team, project_id in cells.items():
        await conn.execute(
            "INSERT INTO product_projects (id, product_id, team, project_id)"
            " VALUES (%s, %s, %s, %s)",
            (uuid.uuid4(), product_id, team, project_id),
        )
    return product_id


_COLUMNS = (
    "id",
    "status",
    "priority",
    "project_id",
    "product_id",
    "branch_name",
    "pr_number",
    "pr_created",
    "docs_complete",
    "created_by",
    "assigned_to",
    "claimed_by",
    "active_claimant_id",
    "last_heartbeat_at",
    "team",
    "parent_task_id",
    "dependency_ids",
    "completed_dependency_ids",
    "created_at",
    "source",
    "orchestration_markers",
)
_INSERT = (
    "INSERT INTO tasks (title, description, acceptance_criteria, task_type, nature,"
    " estimated_complexity, blocker_ids, sequence, checkpoints, progress_updates, commits,"
    " documents, self_verified, acceptance_criteria_status, qa_evidence_inspected, "
    + ", ".join(_COLUMNS)
    + ") VALUES ('Task', 'A task built directly in its state.', '{done}', 'code', 'technical',"
    " 'medium', '{}', 0, '[]', '[]', '[]', '[]', false, '[]', false, "
    + ", ".join(f"%({c})s" for c in _COLUMNS)
    + ")"
)


@dataclass(frozen=True, slots=True)
class Member(Actor):
    """A seeded agent acting: an Actor whose id is known (never the system's None)."""

    id: uuid.UUID


async def member(conn: Conn, role: AgentRole, team: Team) -> Member:
    """A new agent of role in team, as the Actor it acts as."""
    return Member(await seed_agent(conn, role, team), role, team)


@dataclass
class World:
    creator: uuid.UUID
    project: uuid.UUID
    agents: dict[AgentRole, Member]  # one per role, cell roles in backend

    def row(self, status: TaskStatus = S.PENDING, **kw: Any) -> dict[str, Any]:
        """One task row's values; unset columns get a pending backend task's."""
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "status": status,
            "priority": 2,
            "project_id": self.project,
            "product_id": None,
            "branch_name": None,
            "pr_number": None,
            "pr_created": False,
            "docs_complete": False,
            "created_by": self.creator,
            "assigned_to": None,
            "claimed_by": None,
            "active_claimant_id": None,
            "last_heartbeat_at": None,
            "team": Team.BACKEND,
            "parent_task_id": None,
            "dependency_ids": [],
            "completed_dependency_ids": [],
            "created_at": dt.datetime.now(dt.UTC),
            "source": "manual",
            "orchestration_markers": None,
        }
        unknown = kw.keys() - values.keys()
        assert not unknown, unknown
        values.update(kw)
        return values


async def insert(conn: Conn, rows: Iterable[dict[str, Any]]) -> None:
    async with conn.cursor() as cur:
        await cur.executemany(_INSERT, [_adapt(r) for r in rows])


def _adapt(row: dict[str, Any]) -> dict[str, Any]:
    markers = row["orchestration_markers"]
    return {
        **row,
        "orchestration_markers": None if markers is None else psycopg.types.json.Json(markers),
    }


async def make(conn: Conn, w: World, status: TaskStatus = S.PENDING, **kw: Any) -> uuid.UUID:
    row = w.row(status, **kw)
    await insert(conn, [row])
    return uuid.UUID(str(row["id"]))


async def make_held(
    conn: Conn, w: World, status: TaskStatus, holder: uuid.UUID, **kw: Any
) -> uuid.UUID:
    """A task in `status` assigned to and claimed by `holder`."""
    return await make(conn, w, status, assigned_to=holder, claimed_by=holder, **kw)


async def get(conn: Conn, task_id: uuid.UUID) -> Task:
    task = await tasks.get_task(conn, task_id)
    assert task is not None
    return task


async def fetch(conn: Conn, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(sql, args)
        return await cur.fetchall()


async def audits(conn: Conn, task_id: uuid.UUID) -> list[dict[str, Any]]:
    return await fetch(
        conn,
        "SELECT event_type, agent_id, details FROM audit_log"
        " WHERE target_type = 'task' AND target_id = %s ORDER BY \"timestamp\", id",
        task_id,
    )


_CELL_ROLES = {R.DEVELOPER, R.QA, R.DOCUMENTER, R.CELL_PM, R.PR_REVIEWER}


def _team_of(role: AgentRole) -> Team:
    if role in _CELL_ROLES:
        return Team.BACKEND
    return {R.MAIN_PM: Team.MAIN_PM, R.SYSTEM: Team.SYSTEM}.get(role, Team.BOARD)


async def build_world(conn: Conn) -> World:
    """A creator, a backend project and one agent per role (cell roles in backend), committed."""
    creator = await seed_agent(conn, R.MAIN_PM, Team.MAIN_PM)
    agents = {role: await member(conn, role, _team_of(role)) for role in AgentRole}
    project = await seed_project(conn, creator)
    await conn.commit()
    return World(creator, project, agents)


async def keyset_pages(fetch: Callable[[RowT | None], Awaitable[list[RowT]]]) -> list[list[RowT]]:
    """Every page of a keyset-paged list: each fetched after the last row of the page before
    (None for the first), until one comes back empty."""
    pages: list[list[RowT]] = []
    last: RowT | None = None
    while page := await fetch(last):
        pages.append(page)
        last = page[-1]
    return pages
