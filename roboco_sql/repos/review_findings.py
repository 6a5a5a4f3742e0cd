"""Review findings: the append-only ledger of revision feedback, and its status moves."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import class_row

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.review_finding import (
    EscapedDefect,
    FindingFileCount,
    FindingOrigin,
    FindingStatus,
    FindingStatusCount,
    ReviewFindingCreate,
    SeverityCount,
    TaskReviewFinding,
)
from roboco_sql.repos._checks import enum_arg, optional_enum_arg
from roboco_sql.repos._errors import translated
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._rows import model_row

__all__ = [
    "add_review_findings",
    "address_finding",
    "count_findings",
    "escaped_defects_since",
    "finding_status_counts",
    "list_open_findings",
    "list_task_findings",
    "open_findings_by_severity",
    "recurring_finding_files",
    "verify_addressed_findings",
    "verify_findings",
    "waive_finding",
]

_Q = queries.load()
_ADD = _Q["review_findings.add_review_findings"]
_LIST = _Q["review_findings.list_task_findings"]
_OPEN = _Q["review_findings.list_open_findings"]
_COUNTS = _Q["review_findings.finding_status_counts"]
_ADDRESS = _Q["review_findings.address_finding"]
_VERIFY = _Q["review_findings.verify_findings"]
_VERIFY_ADDRESSED = _Q["review_findings.verify_addressed_findings"]
_WAIVE = _Q["review_findings.waive_finding"]
_FILES = _Q["review_findings.recurring_finding_files"]
_ESCAPED = _Q["review_findings.escaped_defects_since"]
_COUNT = _Q["review_findings.count_findings"]
_BY_SEVERITY = _Q["review_findings.open_findings_by_severity"]

_ROW = model_row(TaskReviewFinding)
_REF = re.compile(r"^[0-9a-f-]{1,36}$")


async def add_review_findings(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    findings: Sequence[ReviewFindingCreate],
    *,
    origin: FindingOrigin,
    round: int,
    author_slug: str | None = None,
) -> list[TaskReviewFinding]:
    """Append the findings of one review (all open) in one statement, returned in the order
    given. NotFound for an unknown task; ValidationError for a round below 1 or a bad slug."""
    origin = enum_arg("origin", FindingOrigin, origin)
    if round < 1:
        raise ValidationError(f"round must be at least 1, not {round}")
    if author_slug is not None and not 1 <= len(author_slug) <= 64:
        raise ValidationError("author_slug must be 1 to 64 characters")
    if not findings:
        return []
    with translated("review finding"):
        rows = await queries.fetch_all(
            conn,
            _ADD,
            _ROW,
            task_id=task_id,
            origin=origin,
            round=round,
            author_slug=author_slug,
            ids=[f.id for f in findings],
            files=[f.file for f in findings],
            lines=[f.line for f in findings],
            severities=[f.severity.value for f in findings],
            criteria=[f.criterion for f in findings],
            expecteds=[f.expected for f in findings],
            actuals=[f.actual for f in findings],
            fixes=[f.fix for f in findings],
            evidences=[f.evidence for f in findings],
        )
    by_id = {row.id: row for row in rows}
    return [by_id[f.id] for f in findings]


async def list_task_findings(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    *,
    status: FindingStatus | None = None,
    limit: int = 500,
) -> list[TaskReviewFinding]:
    """A task's findings (of one status, or all), newest round first."""
    status = optional_enum_arg("status", FindingStatus, status)
    return await queries.fetch_all(
        conn, _LIST, _ROW, task_id=task_id, status=status, limit=checked_limit(limit)
    )


async def list_open_findings(
    conn: AsyncConnection[Any], *, limit: int = 20
) -> list[TaskReviewFinding]:
    """Open findings of every task, blockers first, then newest."""
    return await queries.fetch_all(conn, _OPEN, _ROW, limit=checked_limit(limit))


async def finding_status_counts(
    conn: AsyncConnection[Any], task_id: uuid.UUID
) -> list[FindingStatusCount]:
    """Counts per (origin, status) over the task's whole ledger."""
    return await queries.fetch_all(conn, _COUNTS, class_row(FindingStatusCount), task_id=task_id)


async def address_finding(
    conn: AsyncConnection[Any],
    task_id: uuid.UUID,
    ref: str,
    *,
    commit: str | None = None,
    note: str | None = None,
) -> TaskReviewFinding | None:
    """Mark one open finding of the task addressed, named by id or id prefix (as the agent saw
    it, e.g. the 8 characters of ``[F-1a2b3c4d]``). None when the prefix matches no open
    finding of this task or more than one: nothing is guessed."""
    ref = ref.strip().lower()
    if not _REF.fullmatch(ref):
        raise ValidationError(f"ref must be a finding id or a prefix of one, not {ref!r}")
    if commit is not None and len(commit) > 100:
        raise ValidationError("commit must be at most 100 characters")
    return await queries.fetch_one(
        conn, _ADDRESS, _ROW, task_id=task_id, ref=ref, commit=commit, note=note or None
    )


async def verify_findings(conn: AsyncConnection[Any], ids: Sequence[uuid.UUID]) -> int:
    """Stamp these findings verified; how many there were."""
    if not ids:
        return 0
    return await queries.execute_rows(conn, _VERIFY, ids=list(ids))


async def verify_addressed_findings(
    conn: AsyncConnection[Any], task_id: uuid.UUID, *, origin: FindingOrigin
) -> int:
    """A passed re-check by ``origin`` verifies every finding of its own it saw addressed."""
    return await queries.execute_rows(
        conn, _VERIFY_ADDRESSED, task_id=task_id, origin=enum_arg("origin", FindingOrigin, origin)
    )


async def waive_finding(conn: AsyncConnection[Any], finding_id: uuid.UUID, note: str) -> bool:
    """Waive one finding with a (required) note; False when there is no such finding."""
    if not note.strip():
        raise ValidationError("note is required to waive a finding")
    return await queries.execute_rows(conn, _WAIVE, id=finding_id, note=note) == 1


async def recurring_finding_files(
    conn: AsyncConnection[Any],
    *,
    min_count: int = 2,
    waived_minor: bool = False,
    limit: int = 10,
) -> list[FindingFileCount]:
    """Files named by at least min_count findings (only waived minor ones if asked)."""
    if min_count < 1:
        raise ValidationError(f"min_count must be at least 1, not {min_count}")
    return await queries.fetch_all(
        conn,
        _FILES,
        class_row(FindingFileCount),
        min_count=min_count,
        waived_minor=waived_minor,
        limit=checked_limit(limit),
    )


async def escaped_defects_since(
    conn: AsyncConnection[Any], since: dt.datetime
) -> list[EscapedDefect]:
    """(task, origin) of each blocker that shipped addressed but unverified since ``since``."""
    if since.tzinfo is None:
        raise ValidationError("since must be timezone-aware")
    return await queries.fetch_all(conn, _ESCAPED, class_row(EscapedDefect), since=since)


async def count_findings(
    conn: AsyncConnection[Any],
    *,
    status: FindingStatus | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> int:
    """Findings in a status created in [since, until) (RoboCo's weekly waived trend)."""
    status = optional_enum_arg("status", FindingStatus, status)
    n = await queries.fetch_scalar(conn, _COUNT, int, status=status, since=since, until=until)
    return n or 0


async def open_findings_by_severity(conn: AsyncConnection[Any]) -> list[SeverityCount]:
    """Open findings per severity, most first."""
    return await queries.fetch_all(conn, _BY_SEVERITY, class_row(SeverityCount))
