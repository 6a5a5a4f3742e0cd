"""Minimal parent rows (agent, project, task) inserted with plain SQL for repository tests of
tables that point at them, so those tests do not depend on other aggregates' repositories."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection

Conn = AsyncConnection[Any]


async def _inserted(conn: Conn, statement: str, values: tuple[object, ...]) -> uuid.UUID:
    """A fresh id, bound first to the INSERT `statement`, then `values`."""
    row_id = uuid.uuid4()
    await conn.execute(statement, (row_id, *values))
    return row_id


async def make_agent(
    conn: Conn, slug: str = "auditor-1", *, role: str = "auditor", team: str = "board"
) -> uuid.UUID:
    return await _inserted(
        conn,
        "INSERT INTO agents (id, name, slug, role, team, status, model_config, system_prompt,"
        " capabilities, permissions, metrics, created_at)"
        " VALUES (%s, %s, %s, %s, %s, 'active', '{}', '', '{}', '{}', '{}', now())",
        (slug.title(), slug, role, team),
    )


async def make_project(
    conn: Conn, created_by: uuid.UUID, slug: str = "api", cell: str = "backend"
) -> uuid.UUID:
    return await _inserted(
        conn,
        "INSERT INTO projects (id, name, slug, git_url, default_branch, protected_branches,"
        " assigned_cell, is_active, created_by, created_at)"
        " VALUES (%s, %s, %s, 'https://git.example/x.git', 'main', '{main}', %s, true, %s,"
        " now())",
        (slug.upper(), slug, cell, created_by),
    )


async def make_task(
    conn: Conn, created_by: uuid.UUID, project_id: uuid.UUID | None = None, status: str = "pending"
) -> uuid.UUID:
    return await _inserted(
        conn,
        "INSERT INTO tasks (id, title, description, acceptance_criteria,"
        " acceptance_criteria_status, status, priority, task_type, nature,"
        " estimated_complexity, team, project_id, created_by, dependency_ids, blocker_ids,"
        " progress_updates, checkpoints, commits, documents, self_verified, pr_created,"
        " docs_complete, qa_evidence_inspected, sequence, created_at)"
        " VALUES (%s, 'Add the health endpoint', 'Expose GET /health.',"
        " '{returns 200}', '[]', %s, 2, 'code', 'technical', 'low', 'backend', %s, %s,"
        " '{}', '{}', '[]', '[]', '[]', '[]', false, false, false, false, 0, now())",
        (status, project_id, created_by),
    )
