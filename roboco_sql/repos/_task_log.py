"""A task's work log and plan: progress entries, recovery checkpoints, commits, the plan, and
progress whose percentage the plan's checklist derives (task_notes re-exports them all).

Each write is one statement appending to the row it reads (sql/queries/task_notes.sql), so
concurrent entries never lose each other; entries carry RoboCo's shapes and ISO-8601 times.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Json
from pydantic import JsonValue

from roboco_sql.errors import ValidationError
from roboco_sql.models.base import JsonObject
from roboco_sql.models.task import Task
from roboco_sql.repos._task_writes import (
    Conn,
    checked_json,
    checked_percent,
    checked_text,
    checked_uuid,
    now_iso,
    run_write,
)

__all__ = [
    "PlanProgress",
    "add_checkpoint",
    "add_commit",
    "add_progress",
    "record_plan_progress",
    "set_plan",
]


# -- the work log ------------------------------------------------------------------------------


async def add_progress(
    conn: Conn,
    task_id: uuid.UUID,
    agent_id: uuid.UUID,
    message: str,
    percentage: int | None = None,
) -> Task:
    """Append a progress entry ``{timestamp, agent_id, message, percentage}`` to the task."""
    checked_uuid("agent_id", agent_id)
    checked_text("message", message, empty=True)
    checked_percent("percentage", percentage)
    entry = {
        "timestamp": now_iso(),
        "agent_id": str(agent_id),
        "message": message,
        "percentage": percentage,
    }
    return await run_write(conn, "append_progress", task_id, entry=Json(entry))


async def add_checkpoint(
    conn: Conn,
    task_id: uuid.UUID,
    agent_id: uuid.UUID,
    state_summary: str,
    *,
    remaining_work: Sequence[str],
    notes: str | None = None,
) -> Task:
    """Append a recovery checkpoint; its ``id`` numbers it among the task's checkpoints (the
    uuid of integer 0, 1, ...), assigned in the statement so concurrent ones never share one."""
    checked_uuid("agent_id", agent_id)
    checked_text("state_summary", state_summary, empty=True)
    if isinstance(remaining_work, str):
        raise ValidationError("remaining_work must be a list of strings, not one string")
    work = [checked_text("remaining_work item", item, empty=True) for item in remaining_work]
    if notes is not None:
        checked_text("notes", notes, empty=True)
    entry = {
        "timestamp": now_iso(),
        "agent_id": str(agent_id),
        "state_summary": state_summary,
        "remaining_work": work,
        "notes": notes,
    }
    return await run_write(conn, "append_checkpoint", task_id, entry=Json(entry))


async def add_commit(
    conn: Conn,
    task_id: uuid.UUID,
    hash: str,  # RoboCo's name for it
    message: str,
    agent_id: uuid.UUID | None = None,
) -> Task:
    """Link a commit ``{hash, message, timestamp, author_agent_id}`` to the task.

    The hash is 7 to 40 characters, as RoboCo's CommitRef allows.
    """
    checked_text("hash", hash)
    if not 7 <= len(hash) <= 40:
        raise ValidationError(f"hash must be 7 to 40 characters, not {len(hash)}")
    checked_text("message", message, empty=True)
    if agent_id is not None:
        checked_uuid("agent_id", agent_id)
    entry = {
        "hash": hash,
        "message": message,
        "timestamp": now_iso(),
        "author_agent_id": None if agent_id is None else str(agent_id),
    }
    return await run_write(conn, "append_commit", task_id, entry=Json(entry))


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """What record_plan_progress did: the task as written, the percentage it logged, whether
    the requested step matched (None: none was asked), and the step refs a caller may use."""

    task: Task
    percentage: int | None
    step_resolved: bool | None
    valid_steps: list[str]


def _sub_tasks(plan: object) -> list[dict[str, Any]]:
    """The plan's checklist as RoboCo reads it: the object entries of plan.sub_tasks."""
    if not isinstance(plan, dict):
        return []
    steps = plan.get("sub_tasks")
    return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []


def _as_sql_text(value: object) -> str:
    """A JSON value as the statement's ``->>`` reads it (absent or null: 'None')."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _matches(step: dict[str, Any], position: int, ref: str) -> bool:
    return ref in (
        _as_sql_text(step.get("id")),
        _as_sql_text(step.get("order")),
        str(position),
    )


async def record_plan_progress(
    conn: Conn,
    task_id: uuid.UUID,
    agent_id: uuid.UUID,
    message: str,
    *,
    plan_step: str | None = None,
    fallback_percentage: int | None = None,
) -> PlanProgress:
    """Log progress whose percentage is derived from the plan's checklist, not claimed.

    ``plan_step`` (a sub_task id, its order, or its 1-based position) marks that step
    completed; the entry's percentage is completed/total of the checklist, or
    ``fallback_percentage`` when the plan has none. One statement: the step and the entry
    land together or not at all.
    """
    checked_uuid("agent_id", agent_id)
    checked_text("message", message, empty=True)
    ref = None if plan_step is None else checked_text("plan_step", str(plan_step)).strip()
    checked_percent("fallback_percentage", fallback_percentage)
    entry = {"timestamp": now_iso(), "agent_id": str(agent_id), "message": message}
    task = await run_write(
        conn,
        "record_plan_progress",
        task_id,
        entry=Json(entry),
        plan_step=ref,
        fallback=fallback_percentage,
    )
    steps = _sub_tasks(task.plan)
    logged = task.progress_updates[-1]
    percentage = logged.get("percentage") if isinstance(logged, dict) else None
    return PlanProgress(
        task=task,
        percentage=percentage if isinstance(percentage, int) else None,
        step_resolved=None
        if ref is None
        else any(_matches(s, i, ref) for i, s in enumerate(steps, 1)),
        valid_steps=[str(s.get("id") or s.get("order") or i) for i, s in enumerate(steps, 1)],
    )


async def set_plan(conn: Conn, task_id: uuid.UUID, plan: str | JsonObject) -> Task:
    """Write the task's plan (a string is stored as ``{"text": plan}``).

    As RoboCo, a stored plan with an ``approach`` is never replaced by one without: the task
    comes back unchanged instead.
    """
    if isinstance(plan, str):
        document: JsonValue = {"text": checked_text("plan", plan, empty=True)}
    elif isinstance(plan, dict):
        document = checked_json("plan", plan)
    else:
        raise ValidationError(f"plan must be a string or a JSON object, not {type(plan).__name__}")
    return await run_write(conn, "set_plan", task_id, plan=Json(document))
