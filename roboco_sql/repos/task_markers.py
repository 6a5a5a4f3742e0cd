"""A task's orchestration markers: the keys RoboCo's orchestrator keeps on the row (escalation,
release outcome, transition notes, dismissals, ...) and the two breakers' counters (block/unblock
flips, escalate/unblock oscillation).

Each write is one statement of sql/queries/task_notes.sql that merges into the markers the row
holds, so concurrent writers keep each other's keys; values are checked against the shape
RoboCo's accessor writes (``MARKER_SHAPES``). The caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg.types.json import Json

from roboco_sql.errors import ValidationError
from roboco_sql.models.task import Marker, Task, marker_value
from roboco_sql.repos._task_writes import Conn, checked_text, run_counter, run_write
from roboco_sql.validate import check_json

__all__ = [
    "bump_block_flip_count",
    "bump_oscillation_strikes",
    "clear_marker",
    "clear_markers",
    "mark_block_flip_notified",
    "mark_oscillation_tripped",
    "mark_supersede_pr_closed",
    "set_escalation",
    "set_marker",
    "set_markers",
    "set_release_execute_outcome",
    "set_transition_note",
]


async def set_markers(conn: Conn, task_id: uuid.UUID, markers: Mapping[Marker | str, Any]) -> Task:
    """Set several orchestration markers at once (the other keys stay); each value is checked
    against the shape RoboCo's accessor for that key writes (``MARKER_SHAPES``)."""
    if not isinstance(markers, Mapping) or not markers:
        raise ValidationError("markers must be a non-empty mapping of marker keys to values")
    # nested values meet the JSON limits before marker_value's walk (it recurses); a scalar's
    # shape is marker_value's to judge, with the key in its message
    check_json("markers", [v for v in markers.values() if isinstance(v, Mapping | list | tuple)])
    try:
        values = {str(k): marker_value(str(k), v) for k, v in markers.items()}
    except ValueError as exc:
        raise ValidationError(f"markers: {exc}") from None
    return await run_write(conn, "set_markers", task_id, markers=Json(values))


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
    return await run_write(conn, "clear_markers", task_id, keys=names)


async def clear_marker(conn: Conn, task_id: uuid.UUID, key: Marker | str) -> Task:
    """Remove one marker key (RoboCo's clear_budget_blocked, clear_pr_waived, ...)."""
    return await clear_markers(conn, task_id, [key])


async def set_escalation(
    conn: Conn, task_id: uuid.UUID, *, from_slug: str, to_slug: str, reason: str
) -> Task:
    """The latest escalation of the task, ``{from, to, reason}`` (replaces the previous one)."""
    value = {
        "from": checked_text("from_slug", from_slug),
        "to": checked_text("to_slug", to_slug),
        "reason": checked_text("reason", reason, empty=True),
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
            Marker.RELEASE_EXECUTE_STATUS: checked_text("status", status),
            Marker.RELEASE_EXECUTE_DETAIL: checked_text("detail", detail, empty=True),
        },
    )


async def mark_supersede_pr_closed(conn: Conn, task_id: uuid.UUID) -> Task:
    """The contributor PR a supersede replaced is closed: ``closed=1`` joins the
    external_pr_supersede marker line once, so a repeat call changes nothing."""
    return await run_write(conn, "mark_supersede_pr_closed", task_id)


async def set_transition_note(conn: Conn, task_id: uuid.UUID, event: str, note: str) -> Task:
    """The PM/CEO note of one lifecycle event (completion, escalate_to_ceo, pr_waived, ...),
    kept beside the other events' notes in the transition_notes marker."""
    return await run_write(
        conn,
        "set_transition_note",
        task_id,
        event=checked_text("event", event),
        note=checked_text("note", note, empty=True),
    )


async def bump_block_flip_count(conn: Conn, task_id: uuid.UUID) -> int:
    """Count one more block/unblock flip of the task; the new count."""
    return await run_counter(conn, "bump_block_flip_count", task_id)


async def mark_block_flip_notified(conn: Conn, task_id: uuid.UUID) -> Task:
    """The CEO has been alerted about the task's block/unblock flips (the count stays)."""
    return await run_write(conn, "mark_block_flip_notified", task_id)


async def bump_oscillation_strikes(
    conn: Conn, task_id: uuid.UUID, progress_fp: Sequence[int]
) -> int:
    """Record one escalate/unblock round trip against a progress fingerprint; the new strike
    count: one more when the fingerprint is unchanged (or first), else 1."""
    if isinstance(progress_fp, str) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in progress_fp
    ):
        raise ValidationError("progress_fp must be a list of integers")
    return await run_counter(conn, "bump_oscillation_strikes", task_id, fp=Json(list(progress_fp)))


async def mark_oscillation_tripped(conn: Conn, task_id: uuid.UUID) -> Task:
    """Trip the escalate/unblock breaker (strikes and fingerprint stay)."""
    return await run_write(conn, "mark_oscillation_tripped", task_id)
