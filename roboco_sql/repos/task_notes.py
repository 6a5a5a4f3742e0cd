"""A task's annotations: structured notes, criterion status, review flags, proactive context
and documents; the work log and the plan (_task_log) and the orchestration markers
(task_markers) are re-exported here, their public path.

These are RoboCo's per-step writes on the gateway's verb path. Each is one statement
(sql/queries/task_notes.sql) that changes the row it reads, so concurrent writers never lose
each other's entries; nothing here reads a document into Python to write it back. Entries
carry RoboCo's shapes and ISO-8601 timestamps. The caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from psycopg.types.json import Json

from roboco_sql.errors import ValidationError
from roboco_sql.models.base import JsonObject
from roboco_sql.models.task import (
    NOTE_COLUMNS,
    NOTE_MIRRORS,
    NOTES_CAP,
    NOTES_TRIM_MARK,
    DocRef,
    NoteSection,
    Task,
)
from roboco_sql.repos._checks import member
from roboco_sql.repos._task_log import (
    PlanProgress,
    add_checkpoint,
    add_commit,
    add_progress,
    record_plan_progress,
    set_plan,
)
from roboco_sql.repos._task_writes import (
    Conn,
    checked_json,
    checked_text,
    checked_uuid,
    now_iso,
    run_scalar,
    run_write,
)
from roboco_sql.repos.task_markers import (
    bump_block_flip_count,
    bump_oscillation_strikes,
    clear_marker,
    clear_markers,
    mark_block_flip_notified,
    mark_oscillation_tripped,
    mark_supersede_pr_closed,
    set_escalation,
    set_marker,
    set_markers,
    set_release_execute_outcome,
    set_transition_note,
)

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
    allowed = ", ".join(NoteSection)
    kind = member(NoteSection, section, f"section must be one of {allowed}, not {section!r}")
    if not isinstance(body, dict):
        raise ValidationError(f"body must be a JSON object, not {type(body).__name__}")
    mirror = NOTE_MIRRORS.get(kind)
    if mirror is None and rendered is not None:
        raise ValidationError(f"rendered: section {kind} has no text column to mirror into")
    if mirror is not None:
        if rendered is None:
            raise ValidationError(f"rendered: section {kind} mirrors into {mirror}; give its text")
        checked_text("rendered", rendered)
    stored = {**checked_json("body", body), "written_at": now_iso()}  # type: ignore[dict-item]
    return await run_write(
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
    document = checked_json("status", list(status))
    return await run_write(conn, "set_acceptance_criteria_status", task_id, status=Json(document))


async def mark_evidence_inspected(conn: Conn, task_id: uuid.UUID) -> Task:
    """QA inspected the evidence: qa_evidence_inspected becomes true."""
    return await run_write(conn, "mark_evidence_inspected", task_id)


async def mark_board_review_complete(conn: Conn, task_id: uuid.UUID) -> bool:
    """Flag a board task as reviewed; True only when this call flipped it (False: already
    flagged, or no such task, as RoboCo answers). Status is untouched."""
    return await run_scalar(conn, "mark_board_review_complete", task_id, uuid.UUID) is not None


async def set_proactive_context(
    conn: Conn, task_id: uuid.UUID, agent_id: uuid.UUID, context: JsonObject
) -> bool:
    """Store the knowledge gathered for a fresh claim, only while ``agent_id`` still owns the
    task; True when written, False when the claim moved on or the task is gone.

    RoboCo writes this from a background task after the claim commits: give it its own pooled
    connection (``pool.connection()``), not the request's.
    """
    checked_uuid("task_id", task_id)
    checked_uuid("agent_id", agent_id)
    if not isinstance(context, dict):
        raise ValidationError(f"context must be a JSON object, not {type(context).__name__}")
    document = Json(checked_json("context", context))
    written = await run_scalar(
        conn, "set_proactive_context", task_id, uuid.UUID, agent_id=agent_id, context=document
    )
    return written is not None


async def attach_document(conn: Conn, task_id: uuid.UUID, doc: DocRef) -> Task:
    """Record a document the task wrote: it replaces the entry with the same path, or is
    appended."""
    if not isinstance(doc, DocRef):
        raise ValidationError(f"doc must be a DocRef, not {type(doc).__name__}")
    return await run_write(
        conn, "attach_document", task_id, path=doc.path, doc=Json(doc.model_dump())
    )


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
    checked_text("addition", addition, empty=True)
    if cap is not None and (
        not isinstance(cap, int) or isinstance(cap, bool) or cap <= len(NOTES_TRIM_MARK)
    ):
        raise ValidationError(f"cap must be an integer above {len(NOTES_TRIM_MARK)} or None")
    return await run_write(
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
    checked_text("reason", reason)
    if len(reason) > 50:
        raise ValidationError(f"reason must be at most 50 characters, not {len(reason)}")
    return await run_write(conn, "mark_stalled", task_id, reason=reason)


async def clear_stalled(conn: Conn, task_id: uuid.UUID) -> bool:
    """Clear the stalled mark on forward progress; True when the task was marked (only then is
    it written), False otherwise or when there is no such task."""
    return await run_scalar(conn, "clear_stalled", task_id, uuid.UUID) is not None
