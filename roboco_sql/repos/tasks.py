"""Tasks: create, read, the board's filtered lists, edits (the generic patch, sibling order,
ownership and the hand-over of a live claim), deletes, and the scope rule (the optional
task_scope_check addition).

Status is not written here: it moves only through the lifecycle state machine.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from psycopg import AsyncConnection
from psycopg import errors as pgerr
from psycopg.rows import scalar_row
from psycopg.types.json import Json

from roboco_sql import queries
from roboco_sql.errors import ConfigError, NotFound, TransitionRefused, ValidationError
from roboco_sql.models.base import utcnow
from roboco_sql.models.enums import CELL_TEAMS, AgentRole, TaskStatus, TaskType, Team
from roboco_sql.models.task import MAX_TASK_DEPTH, Task, TaskCreate, TaskUpdate
from roboco_sql.repos import agents
from roboco_sql.repos._checks import enums_arg, optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._keyset import keyset
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._task_common import existing_task, one_task, task_not_found, written_task

__all__ = [
    "create_task",
    "delete_task",
    "get_task",
    "heal_criteria_ids",
    "list_tasks",
    "reassign",
    "reassign_active_claim",
    "scope_violations",
    "set_sequence",
    "update_task",
    "validate_scope",
]

_Q = queries.load()
_CREATE = _Q["tasks.create_task"]
_GET = _Q["tasks.get_task"]
_LIST = _Q["tasks.list_tasks"]
_UPDATE = _Q["tasks.update_task"]
_DELETE = _Q["tasks.delete_task"]
_SCOPE_VIOLATIONS = _Q["tasks.task_scope_violations"]
_VALIDATE_SCOPE = _Q["tasks.validate_task_scope"]
_SET_SEQUENCE = _Q["tasks.set_task_sequence"]
_REASSIGN = _Q["tasks.reassign_task"]
_HAND_OVER = _Q["tasks.hand_over_claim"]

_ROW = model_row(Task)
_UPDATABLE = TaskUpdate.columns()
_JSON_COLUMNS = ("plan", "notes_structured", "progress_updates", "checkpoints", "commits")


async def create_task(conn: AsyncConnection[Any], data: TaskCreate) -> Task:
    """Insert a new task with its starting values; one round trip, parent depth included.

    A missing parent, project, product or agent is NotFound naming it; a parent chain already
    MAX_TASK_DEPTH deep (or cyclic) is a ValidationError, and nothing is written.
    """
    params = {**vars(data)}  # every field (no extras: its __dict__ is all) is a parameter
    markers = params["orchestration_markers"]
    params["orchestration_markers"] = None if markers is None else Json(markers)
    with translated("task"):
        task = await queries.fetch_one(conn, _CREATE, _ROW, **params, max_depth=MAX_TASK_DEPTH)
    if task is None:
        raise ValidationError(
            f"task: parent task {data.parent_task_id} is already at MAX_TASK_DEPTH="
            f"{MAX_TASK_DEPTH} (or its parent chain loops); create a sibling instead"
        )
    return task


async def get_task(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Task | None:
    """One task by id, or None."""
    return await one_task(conn, _GET, id=task_id)


async def list_tasks(
    conn: AsyncConnection[Any],
    *,
    status: TaskStatus | Collection[TaskStatus] | None = None,
    team: Team | None = None,
    project_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    assigned_to: uuid.UUID | None = None,
    created_by: uuid.UUID | None = None,
    parent_task_id: uuid.UUID | None = None,
    after: Task | None = None,
    limit: int = 50,
) -> list[Task]:
    """Tasks matching every filter given, in board order (priority, then newest first).

    ``status`` takes one status or several. For the next page pass the last task of this one
    as ``after``.
    """
    return await queries.fetch_all(
        conn,
        _LIST,
        _ROW,
        statuses=None if status is None else enums_arg("status", TaskStatus, status),
        team=optional_enum_arg("team", Team, team),
        project_id=project_id,
        product_id=product_id,
        assigned_to=assigned_to,
        created_by=created_by,
        parent_task_id=parent_task_id,
        **keyset("after", after, Task, "priority", "created_at", "id"),
        limit=checked_limit(limit),
    )


async def update_task(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    data: TaskUpdate,
) -> Task:
    """Write the fields the update set; NotFound when there is no such task.

    An empty update changes nothing (updated_at included) and returns the task as it is.
    """
    changes = data.changes()
    if not changes:
        return await existing_task(conn, task_id)
    params = patch_params(changes, _UPDATABLE, json=_JSON_COLUMNS)
    return await written_task(conn, _UPDATE, task_id, updated_at=utcnow(), **params)


async def heal_criteria_ids(conn: AsyncConnection[Any], task_id: uuid.UUID) -> Task:
    """Pair acceptance_criteria_ids 1:1 with the criteria again on a row where they drifted
    (RoboCo's self_heal_ac_ids): the criteria are rewritten onto themselves, so each keeps the
    id its text had and the rest get fresh ones. A row already 1:1 (or without criteria) is
    returned as it is."""
    task = await existing_task(conn, task_id)
    criteria = task.acceptance_criteria
    if not criteria or len(task.acceptance_criteria_ids) == len(criteria):
        return task
    return await update_task(conn, task_id, TaskUpdate(acceptance_criteria=criteria))


async def set_sequence(conn: AsyncConnection[Any], task_id: uuid.UUID, sequence: int) -> Task:
    """Set the task's order among its siblings (lower first; the claim gate and the sibling
    lists read it). The value it already has changes nothing, updated_at included."""
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise ValidationError(f"sequence must be a non-negative integer, not {sequence!r}")
    return await written_task(conn, _SET_SEQUENCE, task_id, sequence=sequence, now=utcnow())


# -- who may own a task (RoboCo's reassign backstops) ------------------------------------------

_BOARD_ROLES = frozenset({AgentRole.PRODUCT_OWNER, AgentRole.HEAD_MARKETING, AgentRole.AUDITOR})
# what a cell agent builds; a board role has no verb for it
_CELL_WORK = frozenset({TaskType.CODE, TaskType.DOCUMENTATION, TaskType.DESIGN})
# a cell's own non-code work under a parent belongs to the cell's PM
_CELL_PM_WORK = frozenset(
    {
        TaskType.PLANNING,
        TaskType.RESEARCH,
        TaskType.ADMINISTRATIVE,
        TaskType.DOCUMENTATION,
        TaskType.DESIGN,
    }
)
# review hand-offs go to the reviewer named, whatever the task's kind
_REVIEW_HANDOFFS = frozenset(
    {TaskStatus.AWAITING_QA, TaskStatus.AWAITING_DOCUMENTATION, TaskStatus.AWAITING_PR_REVIEW}
)


def _board_cannot_own(task: Task) -> bool:
    """Cell work, a cell's coordination under a parent, or a Main PM coordination task."""
    descendant = task.parent_task_id is not None
    return (
        descendant and (task.task_type in _CELL_WORK or task.team in CELL_TEAMS)
    ) or task.team is Team.MAIN_PM


async def _owner_for(
    conn: AsyncConnection[Any], task: Task, requested: uuid.UUID | None
) -> tuple[uuid.UUID | None, str | None]:
    """The owner RoboCo would actually write for ``requested``, and a dev_notes line saying
    why when it differs.

    A board/advisory role never owns delivery or coordination work, and a Main PM never owns
    a Main-PM code task: both are TransitionRefused (RoboCo diverts them to the pool, a status
    override that belongs to the lifecycle). A cell's non-code subtask goes to that cell's PM
    (or to nobody while the cell has none), except for a review hand-off.
    """
    if requested is not None:
        agent = await agents.get_agent(conn, requested)
        if agent is None:
            raise NotFound(f"new_assignee: no agent {requested}")
        if agent.role in _BOARD_ROLES and _board_cannot_own(task):
            raise TransitionRefused(
                f"task {task.id}: {agent.slug} ({agent.role}) cannot own {task.team} "
                f"{task.task_type} work; release it to the pool for a cell agent instead"
            )
        if (
            agent.role is AgentRole.MAIN_PM
            and task.team is Team.MAIN_PM
            and task.task_type is TaskType.CODE
        ):
            raise TransitionRefused(
                f"task {task.id}: a Main PM cannot own a main_pm code task; hand it to a cell "
                "developer or release it to the pool"
            )
    if (
        task.status in _REVIEW_HANDOFFS
        or task.parent_task_id is None
        or task.team not in CELL_TEAMS
        or task.task_type not in _CELL_PM_WORK
    ):
        return requested, None
    found = await agents.list_agents(conn, role=AgentRole.CELL_PM, team=task.team, limit=1)
    if not found:
        note = (
            f"\n\n[owner redirected] {task.team} has no cell PM to own this {task.task_type} "
            f"subtask, so it waits unassigned (asked for {requested})."
        )
        return None, None if requested is None else note
    cell_pm = found[0]
    if cell_pm.id == requested:
        return requested, None
    note = (
        f"\n\n[owner redirected] a {task.team} {task.task_type} subtask is its cell PM's: "
        f"given to {cell_pm.slug} instead of {requested}."
    )
    return cell_pm.id, note


async def reassign(
    conn: AsyncConnection[Any], task_id: uuid.UUID, new_assignee: uuid.UUID | None
) -> Task:
    """Hand the task to ``new_assignee`` (None: to nobody), writing assigned_to and claimed_by
    together; a live claim held by someone else is dropped. Status is untouched.

    RoboCo's backstops apply: a cell's non-code subtask goes to the cell's PM (a line in
    dev_notes says so), and a board role or a Main PM offered work it cannot own is refused
    (TransitionRefused). NotFound for a missing task or agent.
    """
    if new_assignee is not None and not isinstance(new_assignee, uuid.UUID):
        raise ValidationError(f"new_assignee must be a UUID or None, not {new_assignee!r}")
    current = await existing_task(conn, task_id)
    owner, note = await _owner_for(conn, current, new_assignee)
    return await written_task(conn, _REASSIGN, task_id, assignee=owner, note=note, now=utcnow())


async def reassign_active_claim(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    new_assignee: uuid.UUID,
    *,
    actor_id: uuid.UUID | None = None,
) -> Task:
    """Give a live (claimed / in_progress) claim to another agent without re-queueing it.

    One statement: the new agent becomes owner and live claimant with a fresh claimed_at and
    heartbeat, a stalled mark is cleared, the old claimant's agent row goes idle (if it was on
    this task) and the new one's active on it, and an audit row (``task.claim_handed_over``,
    by ``actor_id``) records it. Status, branch and work session stay with the task, as in
    RoboCo, and so do its ownership backstops (see :func:`reassign`). TransitionRefused when
    the task holds no live claim or the agent may not own it; NotFound for a missing task or
    agent.
    """
    if not isinstance(new_assignee, uuid.UUID):
        raise ValidationError(f"new_assignee must be a UUID, not {new_assignee!r}")
    if actor_id is not None and not isinstance(actor_id, uuid.UUID):
        raise ValidationError(f"actor_id must be a UUID or None, not {actor_id!r}")
    current = await existing_task(conn, task_id)
    if current.status in (TaskStatus.CLAIMED, TaskStatus.IN_PROGRESS):
        owner, note = await _owner_for(conn, current, new_assignee)
        with translated("task"):
            task = await queries.fetch_one(
                conn,
                _HAND_OVER,
                _ROW,
                id=task_id,
                assignee=owner,
                note=note,
                actor_id=actor_id,
                now=utcnow(),
            )
        if task is not None:
            return task
        current = await existing_task(conn, task_id)  # it changed meanwhile: say how
    raise TransitionRefused(
        f"task {task_id}: no live claim to hand over (status {current.status}; only a claimed "
        "or in_progress task can be reassigned this way)"
    )


async def delete_task(conn: AsyncConnection[Any], task_id: uuid.UUID) -> int:
    """Delete a task with all its descendants, in one statement; how many tasks went.

    NotFound when there is no such task.
    """
    deleted = await queries.execute_rows(conn, _DELETE, id=task_id)
    if deleted == 0:
        raise task_not_found(task_id)
    return deleted


async def scope_violations(conn: AsyncConnection[Any]) -> list[uuid.UUID]:
    """Tasks setting both or neither of project_id/product_id, oldest first.

    These keep rsql_tasks_scope NOT VALID (task_scope_check) and cannot be updated until
    their scope is fixed (e.g. update_task with TaskUpdate(project_id=..., product_id=None)).
    """
    return await queries.fetch_all(conn, _SCOPE_VIOLATIONS, scalar_row)


async def validate_scope(conn: AsyncConnection[Any]) -> None:
    """Validate rsql_tasks_scope after the operator fixed the rows scope_violations() lists.

    A no-op when already valid; a ValidationError, validating nothing, while any row still
    violates it; a ConfigError when the task_scope_check addition is not installed (the
    setting ROBOCO_DATABASE_ADDITIONS leaves it out, its default), so there is nothing to
    validate.
    """
    try:
        with translated("task"):
            await queries.execute(conn, _VALIDATE_SCOPE)
    except pgerr.UndefinedObject:  # no rsql_tasks_scope on this database
        raise ConfigError(
            "tasks: the task_scope_check addition is not installed, so there is no "
            "rsql_tasks_scope to validate; add it to ROBOCO_DATABASE_ADDITIONS and migrate"
        ) from None
    except ValidationError:
        raise ValidationError(
            "tasks: some rows still set both or neither of project_id/product_id, so "
            "rsql_tasks_scope stays NOT VALID; fix the rows scope_violations() lists first"
        ) from None
