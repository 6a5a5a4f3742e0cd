"""roboco_sql.repos.review_findings against a real database: the append-only findings ledger."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.review_finding import (
    FindingOrigin,
    FindingSeverity,
    FindingStatus,
    ReviewFindingCreate,
)
from roboco_sql.repos import review_findings as rf
from tests.fix_rows import make_agent, make_task

Conn = AsyncConnection[Any]


def finding(severity: FindingSeverity = FindingSeverity.MAJOR, **kw: Any) -> ReviewFindingCreate:
    fields: dict[str, Any] = {
        "severity": severity,
        "expected": "GET /health returns 200",
        "actual": "returns 500 when the pool is empty",
        **kw,
    }
    return ReviewFindingCreate.model_validate(fields)


async def setup(conn: Conn) -> tuple[uuid.UUID, uuid.UUID]:
    qa = await make_agent(conn, "qa-1")
    return await make_task(conn, qa), await make_task(conn, qa)


async def test_add_in_order_and_list_newest_round_first(conn: Conn) -> None:
    task, other = await setup(conn)
    first = await rf.add_review_findings(
        conn, task, [finding(file="api/health.py", line=3)], origin=FindingOrigin.QA, round=1
    )
    batch = [finding(FindingSeverity.BLOCKER), finding(FindingSeverity.NIT, fix="rename x")]
    second = await rf.add_review_findings(
        conn, task, batch, origin=FindingOrigin.PR_GATE, round=2, author_slug="gate"
    )
    assert [f.id for f in second] == [b.id for b in batch]
    assert all(f.status == FindingStatus.OPEN and f.round == 2 for f in second)
    assert first[0].file == "api/health.py" and first[0].line == 3
    listed = await rf.list_task_findings(conn, task)
    assert [f.round for f in listed] == [2, 2, 1]
    assert await rf.list_task_findings(conn, other) == []
    assert await rf.add_review_findings(conn, task, [], origin=FindingOrigin.QA, round=3) == []


async def test_bad_input_is_refused(conn: Conn) -> None:
    task, _ = await setup(conn)
    with pytest.raises(pydantic.ValidationError):
        finding(file="/etc/passwd")
    with pytest.raises(pydantic.ValidationError):
        finding(expected="x" * 301)
    with pytest.raises(ValidationError, match="round"):
        await rf.add_review_findings(conn, task, [finding()], origin=FindingOrigin.QA, round=0)
    with pytest.raises(ValueError):
        await rf.add_review_findings(conn, task, [finding()], origin="nobody", round=1)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="tasks"):
        async with conn.transaction():
            await rf.add_review_findings(
                conn, uuid.uuid4(), [finding()], origin=FindingOrigin.QA, round=1
            )
    with pytest.raises(ValidationError, match="ref"):
        await rf.address_finding(conn, task, "%")


async def test_address_by_unambiguous_prefix_then_verify_by_origin(conn: Conn) -> None:
    task, other = await setup(conn)
    a, b = (
        finding(id=uuid.UUID("aaaa1111-0000-4000-8000-000000000001")),
        finding(id=uuid.UUID("aaaa2222-0000-4000-8000-000000000002")),
    )
    await rf.add_review_findings(conn, task, [a, b], origin=FindingOrigin.QA, round=1)
    assert await rf.address_finding(conn, task, "aaaa") is None  # ambiguous: nothing guessed
    assert await rf.address_finding(conn, other, "AAAA1111") is None  # not that task's
    done = await rf.address_finding(conn, task, " AAAA1111 ", commit="abc123", note="n" * 400)
    assert done is not None and done.id == a.id and done.status == FindingStatus.ADDRESSED
    assert done.addressed_by_commit == "abc123" and done.resolution_note == "n" * 300
    assert await rf.address_finding(conn, task, "aaaa1111") is None  # no longer open
    assert await rf.verify_addressed_findings(conn, task, origin=FindingOrigin.PR_GATE) == 0
    assert await rf.verify_addressed_findings(conn, task, origin=FindingOrigin.QA) == 1
    statuses = {f.id: f.status for f in await rf.list_task_findings(conn, task)}
    assert statuses == {a.id: "verified", b.id: "open"}
    assert await rf.verify_findings(conn, [b.id, uuid.uuid4()]) == 1
    assert await rf.verify_findings(conn, []) == 0


async def test_waive_counts_and_queues(conn: Conn) -> None:
    task, other = await setup(conn)
    rows = await rf.add_review_findings(
        conn,
        task,
        [finding(FindingSeverity.MINOR, file="a.py"), finding(FindingSeverity.MINOR, file="a.py")],
        origin=FindingOrigin.PM,
        round=1,
    )
    await rf.add_review_findings(
        conn,
        other,
        [finding(FindingSeverity.BLOCKER, file="a.py")],
        origin=FindingOrigin.CEO,
        round=1,
    )
    with pytest.raises(ValidationError, match="note"):
        await rf.waive_finding(conn, rows[0].id, "  ")
    assert await rf.waive_finding(conn, rows[0].id, "not worth it") is True
    assert await rf.waive_finding(conn, uuid.uuid4(), "x") is False
    assert await rf.waive_finding(conn, rows[1].id, "same") is True

    counts = await rf.finding_status_counts(conn, task)
    assert [(c.origin, c.status, c.count) for c in counts] == [("pm", "waived", 2)]
    files = await rf.recurring_finding_files(conn, min_count=3)
    assert [(f.file, f.count) for f in files] == [("a.py", 3)]
    waived = await rf.recurring_finding_files(conn, waived_minor=True)
    assert [(f.file, f.count) for f in waived] == [("a.py", 2)]
    assert await rf.recurring_finding_files(conn, min_count=4) == []
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    assert await rf.count_findings(conn, status=FindingStatus.WAIVED, since=week_ago) == 2
    assert await rf.count_findings(conn, status=FindingStatus.WAIVED, until=week_ago) == 0
    open_ = await rf.list_open_findings(conn)
    assert [f.severity for f in open_] == ["blocker"]
    sev = await rf.open_findings_by_severity(conn)
    assert [(s.severity, s.count) for s in sev] == [("blocker", 1)]


async def test_open_queue_puts_blockers_first(conn: Conn) -> None:
    task, _ = await setup(conn)
    await rf.add_review_findings(
        conn,
        task,
        [
            finding(FindingSeverity.NIT),
            finding(FindingSeverity.BLOCKER),
            finding(FindingSeverity.MAJOR),
        ],
        origin=FindingOrigin.QA,
        round=1,
    )
    assert [f.severity for f in await rf.list_open_findings(conn)] == ["blocker", "major", "nit"]


async def test_escaped_defects_are_addressed_blockers_on_completed_tasks(conn: Conn) -> None:
    qa = await make_agent(conn, "qa-1")
    done = await make_task(conn, qa, status="completed")
    live = await make_task(conn, qa)
    await conn.execute("UPDATE tasks SET completed_at = now() WHERE id = %s", (done,))
    for task in (done, live):
        rows = await rf.add_review_findings(
            conn, task, [finding(FindingSeverity.BLOCKER)], origin=FindingOrigin.PR_GATE, round=1
        )
        await rf.address_finding(conn, task, str(rows[0].id))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    escaped = await rf.escaped_defects_since(conn, since)
    assert [(e.task_id, e.origin) for e in escaped] == [(done, "pr_gate")]
    with pytest.raises(ValidationError):
        await rf.escaped_defects_since(conn, dt.datetime(2026, 1, 1))
