"""A task's annotations: the work log (progress, checkpoints, commits), the plan, structured
notes, criterion status, review flags, proactive context, documents and orchestration markers.

These are RoboCo's per-step writes on the gateway's verb path. Each is one statement
(sql/queries/task_notes.sql) that changes the row it reads, so concurrent writers never lose
each other's entries; nothing here reads a document into Python to write it back. Entries
carry RoboCo's shapes and ISO-8601 timestamps. The caller owns the transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.types.json import Json
from pydantic import JsonValue

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.base import JsonObject, unstorable, utcnow
from roboco_sql.models.task import (
    NOTE_COLUMNS,
    NOTE_MIRRORS,
    NOTES_CAP,
    NOTES_TRIM_MARK,
    DocRef,
    Marker,
    NoteSection,
    Task,
    json_texts,
    marker_value,
)
from roboco_sql.repos._task_common import task_not_found, written_task

__all__ = [
    "PlanProgress",
    "add_checkpoint",
    "add_commit",
    "add_progress",
    "append_note",
    "attach_document",
    "bump_block_flip_count",
    "bump_oscillation_strikes",
    "clear_marker",
    "clear_markers",
    "clear_stalled",
    "mark_block_flip_notified",
    "mark_board_review_complete",
    "mark_evidence_inspected",
    "mark_oscillation_tripped",
    "mark_stalled",
    "mark_supersede_pr_closed",
    "record_plan_progress",
    "record_section_note",
    "set_acceptance_criteria_status",
    "set_escalation",
    "set_marker",
    "set_markers",
    "set_plan",
    "set_proactive_context",
    "set_release_execute_outcome",
    "set_transition_note",
]

_Q = queries.load()
Conn = AsyncConnection[Any]
T = TypeVar("T")


def _text(name: str, value: object, *, empty: bool = False) -> str:
    """A text parameter checked before any SQL: a str, storable, and non-empty unless allowed."""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {type(value).__name__}")
    if not empty and not value.strip():
        raise ValidationError(f"{name} must not be empty")
    reason = unstorable(value)
    if reason is not None:
        raise ValidationError(f"{name} {reason}")
    return value


def _uuid(name: str, value: object) -> uuid.UUID:
    if not isinstance(value, uuid.UUID):
        raise ValidationError(f"{name} must be a UUID, not {type(value).__name__}")
    return value


def _percent(name: str, value: object) -> None:
    if value is not None and (
        not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100
    ):
        raise ValidationError(f"{name} must be an integer from 0 to 100 or None, not {value!r}")


def _json(name: str, value: object) -> JsonValue:
    """A JSON document parameter: only what json can encode, and text jsonb can store."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} is not a JSON document: {exc}") from None
    for text in json_texts(value):
        reason = unstorable(text)
        if reason is not None:
            raise ValidationError(f"{name} {reason}")
    return value  # type: ignore[return-value]  # json.dumps accepted it


async def _write(conn: Conn, name: str, task_id: uuid.UUID, **params: object) -> Task:
    """Run one of the task-row writes, stamped now; NotFound when there is no such task."""
    _uuid("task_id", task_id)
    return await written_task(conn, _Q[f"task_notes.{name}"], task_id, now=utcnow(), **params)


async def _scalar(
    conn: Conn, name: str, task_id: uuid.UUID, type_: type[T], **params: object
) -> T | None:
    """Run one of the writes that answer a value (None: it wrote nothing), stamped now."""
    _uuid("task_id", task_id)
    query = _Q[f"task_notes.{name}"]
    return await queries.fetch_scalar(conn, query, type_, id=task_id, now=utcnow(), **params)


async def _counted(conn: Conn, name: str, task_id: uuid.UUID, **params: object) -> int:
    """Run one of the counter bumps; the new count, NotFound when there is no such task."""
    count = await _scalar(conn, name, task_id, int, **params)
    if count is None:
        raise task_not_found(task_id)
    return count


def _now_iso() -> str:
    return utcnow().isoformat()


# -- the work log ------------------------------------------------------------------------------


async def add_progress(
    conn: Conn,
    task_id: uuid.UUID,
    agent_id: uuid.UUID,
    message: str,
    percentage: int | None = None,
) -> Task:
    """Append a progress entry ``{timestamp, agent_id, message, percentage}`` to the task."""
    _uuid("agent_id", agent_id)
    _text("message", message, empty=True)
    _percent("percentage", percentage)
    entry = {
        "timestamp": _now_iso(),
        "agent_id": str(agent_id),
        "message": message,
        "percentage": percentage,
    }
    return await _write(conn, "append_progress", task_id, entry=Json(entry))


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
    _uuid("agent_id", agent_id)
    _text("state_summary", state_summary, empty=True)
    if isinstance(remaining_work, str):
        raise ValidationError("remaining_work must be a list of strings, not one string")
    work = [_text("remaining_work item", item, empty=True) for item in remaining_work]
    if notes is not None:
        _text("notes", notes, empty=True)
    entry = {
        "timestamp": _now_iso(),
        "agent_id": str(agent_id),
        "state_summary": state_summary,
        "remaining_work": work,
        "notes": notes,
    }
    return await _write(conn, "append_checkpoint", task_id, entry=Json(entry))


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
    _text("hash", hash)
    if not 7 <= len(hash) <= 40:
        raise ValidationError(f"hash must be 7 to 40 characters, not {len(hash)}")
    _text("message", message, empty=True)
    if agent_id is not None:
        _uuid("agent_id", agent_id)
    entry = {
        "hash": hash,
        "message": message,
        "timestamp": _now_iso(),
        "author_agent_id": None if agent_id is None else str(agent_id),
    }
    return await _write(conn, "append_commit", task_id, entry=Json(entry))


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
    _uuid("agent_id", agent_id)
    _text("message", message, empty=True)
    ref = None if plan_step is None else _text("plan_step", str(plan_step)).strip()
    _percent("fallback_percentage", fallback_percentage)
    entry = {"timestamp": _now_iso(), "agent_id": str(agent_id), "message": message}
    task = await _write(
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
        document: JsonValue = {"text": _text("plan", plan, empty=True)}
    elif isinstance(plan, dict):
        document = _json("plan", plan)
    else:
        raise ValidationError(f"plan must be a string or a JSON object, not {type(plan).__name__}")
    return await _write(conn, "set_plan", task_id, plan=Json(document))


# -- notes, criteria, review flags, proactive context, documents -------------------------------


async def record_section_note(
    conn: Conn,
    task_id: uuid.UUID,
    section: NoteSection | str,
    body: JsonObject,
    rendered: str | None,
) -> Task:
    """Store a validated structured note section and its rendered text in one write.

    ``body`` (the section's content, validated by the caller's content model) becomes
    ``notes_structured[section]`` with a ``written_at`` stamp; ``rendered`` (its markdown)
    goes to the section's text column (``NOTE_MIRRORS``: developer -> dev_notes, ...). A
    section without a text column (task_description) takes no ``rendered``.
    """
    try:
        kind = NoteSection(section)
    except ValueError:
        allowed = ", ".join(NoteSection)
        raise ValidationError(f"section must be one of {allowed}, not {section!r}") from None
    if not isinstance(body, dict):
        raise ValidationError(f"body must be a JSON object, not {type(body).__name__}")
    mirror = NOTE_MIRRORS.get(kind)
    if mirror is None and rendered is not None:
        raise ValidationError(f"rendered: section {kind} has no text column to mirror into")
    if mirror is not None:
        if rendered is None:
            raise ValidationError(f"rendered: section {kind} mirrors into {mirror}; give its text")
        _text("rendered", rendered)
    stored = {**_json("body", body), "written_at": _now_iso()}  # type: ignore[dict-item]
    return await _write(
        conn,
        "record_section_note",
        task_id,
        section=kind.value,
        body=Json(stored),
        mirror=mirror,
        rendered=rendered,
    )


async def set_acceptance_criteria_status(
    conn: Conn, task_id: uuid.UUID, status: Sequence[JsonObject]
) -> Task:
    """Replace the per-criterion status list whole; each entry an object naming its
    ``criterion`` (RoboCo adds ``addressed``, ``artifact_ref``, ``checked_at``)."""
    if isinstance(status, str | bytes) or not isinstance(status, Sequence):
        raise ValidationError("status must be a list of objects")
    for i, item in enumerate(status):
        if not isinstance(item, dict) or not isinstance(item.get("criterion"), str):
            raise ValidationError(f"status[{i}] must be an object with a string 'criterion'")
    document = _json("status", list(status))
    return await _write(conn, "set_acceptance_criteria_status", task_id, status=Json(document))


async def mark_evidence_inspected(conn: Conn, task_id: uuid.UUID) -> Task:
    """QA inspected the evidence: qa_evidence_inspected becomes true."""
    return await _write(conn, "mark_evidence_inspected", task_id)


async def mark_board_review_complete(conn: Conn, task_id: uuid.UUID) -> bool:
    """Flag a board task as reviewed; True only when this call flipped it (False: already
    flagged, or no such task, as RoboCo answers). Status is untouched."""
    return await _scalar(conn, "mark_board_review_complete", task_id, uuid.UUID) is not None


async def set_proactive_context(
    conn: Conn, task_id: uuid.UUID, agent_id: uuid.UUID, context: JsonObject
) -> bool:
    """Store the knowledge gathered for a fresh claim, only while ``agent_id`` still owns the
    task; True when written, False when the claim moved on or the task is gone.

    RoboCo writes this from a background task after the claim commits: give it its own pooled
    connection (``pool.connection()``), not the request's.
    """
    _uuid("task_id", task_id)
    _uuid("agent_id", agent_id)
    if not isinstance(context, dict):
        raise ValidationError(f"context must be a JSON object, not {type(context).__name__}")
    document = Json(_json("context", context))
    written = await _scalar(
        conn, "set_proactive_context", task_id, uuid.UUID, agent_id=agent_id, context=document
    )
    return written is not None


async def attach_document(conn: Conn, task_id: uuid.UUID, doc: DocRef) -> Task:
    """Record a document the task wrote: it replaces the entry with the same path, or is
    appended."""
    if not isinstance(doc, DocRef):
        raise ValidationError(f"doc must be a DocRef, not {type(doc).__name__}")
    return await _write(conn, "attach_document", task_id, path=doc.path, doc=Json(doc.model_dump()))


async def append_note(
    conn: Conn, task_id: uuid.UUID, column: str, addition: str, *, cap: int | None = NOTES_CAP
) -> Task:
    """Add text to a note column (dev_notes, qa_notes, ..., pm_notes) in one statement.

    With ``cap`` (RoboCo's 8000 by default) it is RoboCo's capped append: the stored text,
    trimmed, and ``addition`` are joined by a blank line, and past ``cap`` characters the
    oldest text is dropped behind ``NOTES_TRIM_MARK``. ``cap=None`` concatenates as it is
    (RoboCo's redirect and cancel lines, which carry their own leading blank line). Trimming
    covers ASCII whitespace, where Python's strip() also takes Unicode spaces.
    """
    if column not in NOTE_COLUMNS:
        allowed = ", ".join(sorted(NOTE_COLUMNS))
        raise ValidationError(f"column must be one of {allowed}, not {column!r}")
    _text("addition", addition, empty=True)
    if cap is not None and (
        not isinstance(cap, int) or isinstance(cap, bool) or cap <= len(NOTES_TRIM_MARK)
    ):
        raise ValidationError(f"cap must be an integer above {len(NOTES_TRIM_MARK)} or None")
    return await _write(
        conn,
        "append_note",
        task_id,
        column=column,
        addition=addition,
        cap=cap,
        mark=NOTES_TRIM_MARK,
    )


async def mark_stalled(conn: Conn, task_id: uuid.UUID, reason: str) -> Task:
    """Mark the task stalled (why the dispatcher gave up on it, since now), as RoboCo's respawn
    breaker does; RoboCo's reasons are ``breaker_tripped`` and ``notification_cap``."""
    _text("reason", reason)
    if len(reason) > 50:
        raise ValidationError(f"reason must be at most 50 characters, not {len(reason)}")
    return await _write(conn, "mark_stalled", task_id, reason=reason)


async def clear_stalled(conn: Conn, task_id: uuid.UUID) -> bool:
    """Clear the stalled mark on forward progress; True when the task was marked (only then is
    it written), False otherwise or when there is no such task."""
    return await _scalar(conn, "clear_stalled", task_id, uuid.UUID) is not None


# -- orchestration markers ---------------------------------------------------------------------


async def set_markers(conn: Conn, task_id: uuid.UUID, markers: Mapping[Marker | str, Any]) -> Task:
    """Set several orchestration markers at once (the other keys stay); each value is checked
    against the shape RoboCo's accessor for that key writes (``MARKER_SHAPES``)."""
    if not isinstance(markers, Mapping) or not markers:
        raise ValidationError("markers must be a non-empty mapping of marker keys to values")
    try:
        values = {str(k): marker_value(str(k), v) for k, v in markers.items()}
    except ValueError as exc:
        raise ValidationError(f"markers: {exc}") from None
    return await _write(conn, "set_markers", task_id, markers=Json(values))


async def set_marker(conn: Conn, task_id: uuid.UUID, key: Marker | str, value: Any) -> Task:
    """Set one orchestration marker, e.g. ``set_marker(conn, t, Marker.DISMISSED, True)``."""
    return await set_markers(conn, task_id, {key: value})


async def clear_markers(conn: Conn, task_id: uuid.UUID, keys: Sequence[Marker | str]) -> Task:
    """Remove marker keys; the column becomes NULL when none is left. A task holding none of
    them is left as it is."""
    if isinstance(keys, str) or not keys:
        raise ValidationError("keys must be a non-empty list of marker keys")
    names = []
    for key in keys:
        try:
            names.append(Marker(key).value)
        except ValueError:
            raise ValidationError(f"keys: {key!r} is not an orchestration marker") from None
    return await _write(conn, "clear_markers", task_id, keys=names)


async def clear_marker(conn: Conn, task_id: uuid.UUID, key: Marker | str) -> Task:
    """Remove one marker key (RoboCo's clear_budget_blocked, clear_pr_waived, ...)."""
    return await clear_markers(conn, task_id, [key])


async def set_escalation(
    conn: Conn, task_id: uuid.UUID, *, from_slug: str, to_slug: str, reason: str
) -> Task:
    """The latest escalation of the task, ``{from, to, reason}`` (replaces the previous one)."""
    value = {
        "from": _text("from_slug", from_slug),
        "to": _text("to_slug", to_slug),
        "reason": _text("reason", reason, empty=True),
    }
    return await set_markers(conn, task_id, {Marker.ESCALATION: value})


async def set_release_execute_outcome(
    conn: Conn, task_id: uuid.UUID, status: str, detail: str
) -> Task:
    """The outcome of the latest release execute: both markers in one write."""
    return await set_markers(
        conn,
        task_id,
        {
            Marker.RELEASE_EXECUTE_STATUS: _text("status", status),
            Marker.RELEASE_EXECUTE_DETAIL: _text("detail", detail, empty=True),
        },
    )


async def mark_supersede_pr_closed(conn: Conn, task_id: uuid.UUID) -> Task:
    """The contributor PR a supersede replaced is closed: ``closed=1`` joins the
    external_pr_supersede marker line once, so a repeat call changes nothing."""
    return await _write(conn, "mark_supersede_pr_closed", task_id)


async def set_transition_note(conn: Conn, task_id: uuid.UUID, event: str, note: str) -> Task:
    """The PM/CEO note of one lifecycle event (completion, escalate_to_ceo, pr_waived, ...),
    kept beside the other events' notes in the transition_notes marker."""
    return await _write(
        conn,
        "set_transition_note",
        task_id,
        event=_text("event", event),
        note=_text("note", note, empty=True),
    )


async def bump_block_flip_count(conn: Conn, task_id: uuid.UUID) -> int:
    """Count one more block/unblock flip of the task; the new count."""
    return await _counted(conn, "bump_block_flip_count", task_id)


async def mark_block_flip_notified(conn: Conn, task_id: uuid.UUID) -> Task:
    """The CEO has been alerted about the task's block/unblock flips (the count stays)."""
    return await _write(conn, "mark_block_flip_notified", task_id)


async def bump_oscillation_strikes(
    conn: Conn, task_id: uuid.UUID, progress_fp: Sequence[int]
) -> int:
    """Record one escalate/unblock round trip against a progress fingerprint; the new strike
    count: one more when the fingerprint is unchanged (or first), else 1."""
    if isinstance(progress_fp, str) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in progress_fp
    ):
        raise ValidationError("progress_fp must be a list of integers")
    return await _counted(conn, "bump_oscillation_strikes", task_id, fp=Json(list(progress_fp)))


async def mark_oscillation_tripped(conn: Conn, task_id: uuid.UUID) -> Task:
    """Trip the escalate/unblock breaker (strikes and fingerprint stay)."""
    return await _write(conn, "mark_oscillation_tripped", task_id)
