"""roboco_sql.repos.task_notes against a real database: the task's work log, plan, notes, flags,
documents and orchestration markers, each one statement safe under concurrent writers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import JsonObject
from roboco_sql.models.task import (
    MARKER_SHAPES,
    NOTE_MIRRORS,
    NOTES_TRIM_MARK,
    DocRef,
    Marker,
    MarkerShape,
    NoteSection,
    Task,
)
from roboco_sql.repos import task_notes as notes
from roboco_sql.repos import tasks
from tests.test_repo_tasks import seed_agent, seed_project, task_input

Conn = AsyncConnection[Any]


@pytest.fixture
async def made(conn: Conn) -> tuple[Task, uuid.UUID]:
    """A committed task and its developer, so other connections see them."""
    agent = await seed_agent(conn, "be-dev-1")
    project = await seed_project(conn, agent)
    task = await tasks.create_task(conn, task_input(agent, project_id=project))
    await conn.commit()
    return task, agent


async def fetch(conn: Conn, task_id: uuid.UUID) -> Task:
    task = await tasks.get_task(conn, task_id)
    assert task is not None
    return task


# -- the work log ------------------------------------------------------------------------------


async def test_progress_entries_append_in_order(conn: Conn, made: tuple[Task, uuid.UUID]) -> None:
    task, agent = made
    first = await notes.add_progress(conn, task.id, agent, "schema drafted", 10)
    second = await notes.add_progress(conn, task.id, agent, "endpoint wired")
    assert [e["message"] for e in second.progress_updates] == [  # type: ignore[call-overload,index]
        "schema drafted",
        "endpoint wired",
    ]
    entry = first.progress_updates[0]
    assert isinstance(entry, dict)
    assert set(entry) == {"timestamp", "agent_id", "message", "percentage"}
    assert (entry["agent_id"], entry["percentage"]) == (str(agent), 10)
    assert second.progress_updates[1]["percentage"] is None  # type: ignore[call-overload,index]
    assert second.updated_at is not None and task.updated_at is None
    assert await fetch(conn, task.id) == second


async def test_checkpoints_are_numbered_and_commits_linked(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, agent = made
    await notes.add_checkpoint(conn, task.id, agent, "half way", remaining_work=["tests"])
    after = await notes.add_checkpoint(
        conn, task.id, agent, "almost", remaining_work=[], notes="one flaky test"
    )
    ids = [c["id"] for c in after.checkpoints]  # type: ignore[call-overload,index]
    assert ids == [str(uuid.UUID(int=0)), str(uuid.UUID(int=1))]  # RoboCo's numbering
    assert after.checkpoints[0]["remaining_work"] == ["tests"]  # type: ignore[call-overload,index]
    assert after.checkpoints[1]["notes"] == "one flaky test"  # type: ignore[call-overload,index]

    linked = await notes.add_commit(conn, task.id, "a1b2c3d", "feat: login", agent)
    anonymous = await notes.add_commit(conn, task.id, "e" * 40, "chore: bump")
    assert linked.commits[0] == {
        "hash": "a1b2c3d",
        "message": "feat: login",
        "timestamp": linked.commits[0]["timestamp"],  # type: ignore[call-overload,index]
        "author_agent_id": str(agent),
    }
    assert anonymous.commits[1]["author_agent_id"] is None  # type: ignore[call-overload,index]
    with pytest.raises(ValidationError, match="hash must be 7 to 40 characters"):
        await notes.add_commit(conn, task.id, "abc", "too short")


async def test_work_log_input_is_refused_before_sql(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, agent = made
    with pytest.raises(ValidationError, match="percentage must be an integer from 0 to 100"):
        await notes.add_progress(conn, task.id, agent, "over", 101)
    with pytest.raises(ValidationError, match="message contains a NUL"):
        await notes.add_progress(conn, task.id, agent, "bad\x00byte")
    with pytest.raises(ValidationError, match="remaining_work must be a list of strings"):
        await notes.add_checkpoint(conn, task.id, agent, "x", remaining_work="tests")
    with pytest.raises(ValidationError, match="agent_id must be a UUID"):
        await notes.add_progress(conn, task.id, str(agent), "x")  # type: ignore[arg-type]
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"task {missing} not found"):
        await notes.add_progress(conn, missing, agent, "x")
    assert (await fetch(conn, task.id)).progress_updates == []


# -- concurrency: every append is one statement on the locked row -------------------------------


Append = Callable[[Conn, uuid.UUID, uuid.UUID, int], Coroutine[Any, Any, object]]

APPENDS: dict[str, tuple[Append, Callable[[Task], object]]] = {
    "progress": (
        lambda c, t, a, i: notes.add_progress(c, t, a, f"step {i}"),
        lambda t: len(t.progress_updates),
    ),
    "checkpoint": (
        lambda c, t, a, i: notes.add_checkpoint(c, t, a, f"state {i}", remaining_work=[]),
        lambda t: len({c["id"] for c in t.checkpoints}),  # type: ignore[call-overload,index]
    ),
    "commit": (
        lambda c, t, a, i: notes.add_commit(c, t, f"{i:07x}", f"commit {i}", a),
        lambda t: len(t.commits),
    ),
    "document": (
        lambda c, t, a, i: notes.attach_document(
            c, t, DocRef(path=f"docs/{i}.md", title=f"doc {i}", doc_type="guide")
        ),
        lambda t: len(t.documents),
    ),
    "plan_progress": (
        lambda c, t, a, i: notes.record_plan_progress(c, t, a, f"plan step {i}"),
        lambda t: len(t.progress_updates),
    ),
    "plan_steps": (  # each writer completes a different step of a two-step plan
        lambda c, t, a, i: notes.record_plan_progress(c, t, a, f"did s{i}", plan_step=f"s{i}"),
        lambda t: sum(1 for s in t.plan["sub_tasks"] if s.get("completed")),  # type: ignore[index,union-attr,misc]
    ),
    "transition_note": (
        lambda c, t, a, i: notes.set_transition_note(c, t, f"event_{i}", f"note {i}"),
        lambda t: len(t.orchestration_markers["transition_notes"]),  # type: ignore[arg-type,index]
    ),
    "marker": (
        lambda c, t, a, i: notes.set_marker(
            c, t, [Marker.SELF_HEAL_FP, Marker.X_DRAFT_BODY][i % 2], f"value {i}"
        ),
        lambda t: len(t.orchestration_markers or {}),
    ),
    "block_flips": (
        lambda c, t, a, i: notes.bump_block_flip_count(c, t),
        lambda t: t.orchestration_markers["block_flip_count"]["count"],  # type: ignore[call-overload,index]
    ),
}


async def test_two_writers_appending_at_once_both_survive(
    conn: Conn, db_url: str, made: tuple[Task, uuid.UUID]
) -> None:
    """For each kind of append: writer A appends and holds its transaction open; writer B's
    append waits on the row, then lands on top of A's once A commits, so both survive."""
    first, agent = made
    for kind, (append, count) in APPENDS.items():
        task = await tasks.create_task(
            conn, task_input(agent, project_id=first.project_id, title=f"race {kind}")
        )
        if kind == "plan_steps":
            await notes.set_plan(conn, task.id, plan_with(2))
        await conn.commit()
        async with (
            await psycopg.AsyncConnection.connect(db_url) as a,
            await psycopg.AsyncConnection.connect(db_url) as b,
        ):
            await append(a, task.id, agent, 0)  # A's transaction is open, the row locked
            b_pid = b.info.backend_pid
            writer_b = asyncio.create_task(append(b, task.id, agent, 1))
            for _ in range(500):  # until B is seen waiting for A's row lock
                cur = await conn.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (b_pid,)
                )
                row = await cur.fetchone()
                await conn.rollback()
                if row is not None and row[0] == "Lock":
                    break
                await asyncio.sleep(0.01)
            else:
                pytest.fail(f"{kind}: writer B never waited for writer A's lock")
            await a.commit()
            await writer_b
            await b.commit()
        after = await fetch(conn, task.id)
        assert count(after) == 2, kind
        if kind == "plan_steps":  # the later entry saw both steps done
            assert [e["percentage"] for e in after.progress_updates] == [50, 100]  # type: ignore[call-overload,index]


async def test_many_writers_lose_no_progress_entry(
    conn: Conn, db_url: str, made: tuple[Task, uuid.UUID]
) -> None:
    task, agent = made

    async def writer(n: int) -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as c:
            for i in range(5):
                await notes.add_progress(c, task.id, agent, f"w{n}-{i}")

    await asyncio.gather(*(writer(n) for n in range(8)))
    logged = (await fetch(conn, task.id)).progress_updates
    assert sorted(e["message"] for e in logged) == sorted(  # type: ignore[call-overload,index,type-var]
        f"w{n}-{i}" for n in range(8) for i in range(5)
    )


# -- the plan ----------------------------------------------------------------------------------


def plan_with(count: int) -> dict[str, Any]:
    steps = [{"id": f"s{i}", "title": f"step {i}", "order": i + 10} for i in range(count)]
    return {"approach": "small steps", "sub_tasks": steps}


async def test_plan_progress_is_derived_from_the_checklist(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, agent = made
    await notes.set_plan(conn, task.id, plan_with(4))
    by_id = await notes.record_plan_progress(conn, task.id, agent, "first", plan_step="s0")
    assert (by_id.percentage, by_id.step_resolved) == (25, True)
    by_order = await notes.record_plan_progress(conn, task.id, agent, "second", plan_step="11")
    by_position = await notes.record_plan_progress(conn, task.id, agent, "third", plan_step=" 3 ")
    assert (by_order.percentage, by_position.percentage) == (50, 75)
    narrative = await notes.record_plan_progress(
        conn, task.id, agent, "just a note", fallback_percentage=5
    )
    assert (narrative.percentage, narrative.step_resolved) == (75, None)  # never regresses
    missed = await notes.record_plan_progress(conn, task.id, agent, "?", plan_step="s9")
    assert (missed.percentage, missed.step_resolved) == (75, False)
    assert missed.valid_steps == ["s0", "s1", "s2", "s3"]
    steps = missed.task.plan["sub_tasks"]  # type: ignore[index]
    assert [s.get("completed", False) for s in steps] == [True, True, True, False]  # type: ignore[union-attr]
    assert missed.task.plan["approach"] == "small steps"  # type: ignore[index]
    logged = [(e["message"], e["percentage"]) for e in missed.task.progress_updates]  # type: ignore[call-overload,index]
    assert logged == [("first", 25), ("second", 50), ("third", 75), ("just a note", 75), ("?", 75)]


async def test_plan_progress_rounds_as_python_and_falls_back_without_a_checklist(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, agent = made
    none = await notes.record_plan_progress(
        conn, task.id, agent, "no plan yet", plan_step="1", fallback_percentage=40
    )
    assert (none.percentage, none.step_resolved, none.task.plan) == (40, False, None)
    await notes.set_plan(conn, task.id, plan_with(8))
    one = await notes.record_plan_progress(conn, task.id, agent, "1/8", plan_step="1")
    assert one.percentage == round(1 / 8 * 100) == 12  # half to even, not 13
    for step in ("2", "3"):
        three = await notes.record_plan_progress(conn, task.id, agent, "n/8", plan_step=step)
    assert three.percentage == round(3 / 8 * 100) == 38


async def test_set_plan_wraps_text_and_never_drops_an_approach(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, _ = made
    text = await notes.set_plan(conn, task.id, "just do it")
    assert text.plan == {"text": "just do it"}
    rich = await notes.set_plan(conn, task.id, plan_with(2))
    assert rich.plan == plan_with(2)
    kept = await notes.set_plan(conn, task.id, {"text": "re-entry plan"})
    assert kept == rich  # not written at all, updated_at included
    replaced = await notes.set_plan(conn, task.id, {"approach": "another way"})
    assert replaced.plan == {"approach": "another way"}
    with pytest.raises(ValidationError, match="plan must be a string or a JSON object"):
        await notes.set_plan(conn, task.id, ["a list"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="plan is not a JSON document"):
        await notes.set_plan(conn, task.id, {"when": object()})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="plan contains a NUL"):
        await notes.set_plan(conn, task.id, {"approach": ["a\x00b"]})
    with pytest.raises(ValidationError, match="plan contains a lone surrogate"):
        await notes.set_plan(conn, task.id, {"\ud800": "key"})
    assert (await fetch(conn, task.id)).plan == {"approach": "another way"}


def deep(levels: int) -> dict[str, Any]:
    """A JSON object nested ``levels`` deep: {"k": {"k": ... {}}}."""
    doc: dict[str, Any] = {}
    for _ in range(levels - 1):
        doc = {"k": doc}
    return doc


async def test_json_documents_past_the_limits_are_refused_by_name(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    """Every JSON argument of the task's writes, markers included, goes through one check
    (depth 64, 8 MiB, no NaN): 1000-deep JSON is a ValidationError naming the parameter, not a
    RecursionError, and nothing is written."""
    task, agent = made
    await notes.set_plan(conn, task.id, deep(64))  # the deepest JSON taken
    before = await fetch(conn, task.id)
    nested = r"is JSON nested deeper than 64 levels$"
    with pytest.raises(ValidationError, match=rf"^plan {nested}"):
        await notes.set_plan(conn, task.id, deep(1000))
    with pytest.raises(ValidationError, match=rf"^plan {nested}"):
        await notes.set_plan(conn, task.id, deep(65))
    with pytest.raises(ValidationError, match=rf"^body {nested}"):
        await notes.record_section_note(conn, task.id, "qa", deep(1000), "QA")
    with pytest.raises(ValidationError, match=rf"^status {nested}"):
        await notes.set_acceptance_criteria_status(
            conn, task.id, [{"criterion": "c1", "evidence": deep(1000)}]
        )
    with pytest.raises(ValidationError, match=rf"^context {nested}"):
        await notes.set_proactive_context(conn, task.id, agent, deep(1000))
    with pytest.raises(ValidationError, match=rf"^markers {nested}"):
        await notes.set_marker(conn, task.id, Marker.ESCALATION, deep(1000))
    with pytest.raises(ValidationError, match=r"^plan holds nan in JSON"):
        await notes.set_plan(conn, task.id, {"estimate": float("nan")})
    with pytest.raises(ValidationError, match=r"^plan is JSON larger than 8388608 characters$"):
        await notes.set_plan(conn, task.id, {"approach": "x" * (8 * 1024 * 1024 + 1)})
    assert await fetch(conn, task.id) == before


# -- notes, criteria, review flags, proactive context, documents -------------------------------


async def test_section_notes_keep_the_structure_and_mirror_the_text(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, _ = made
    await notes.record_section_note(conn, task.id, "qa", {"verdict": "pass"}, "QA: pass")
    dev = await notes.record_section_note(
        conn, task.id, NoteSection.DEVELOPER, {"summary": "done"}, "## Done"
    )
    assert dev.dev_notes == "## Done" and dev.qa_notes == "QA: pass"
    structured = dev.notes_structured or {}
    assert set(structured) == {"qa", "developer"}
    assert structured["developer"]["summary"] == "done"  # type: ignore[index,call-overload]
    assert "written_at" in structured["developer"]  # type: ignore[operator]
    again = await notes.record_section_note(conn, task.id, "developer", {"summary": "v2"}, "v2")
    assert again.notes_structured["developer"]["summary"] == "v2"  # type: ignore[index,call-overload]
    assert again.notes_structured["qa"] == structured["qa"]  # type: ignore[index]
    described = await notes.record_section_note(
        conn, task.id, "task_description", {"goal": "login"}, None
    )
    assert described.notes_structured["task_description"]["goal"] == "login"  # type: ignore[index,call-overload]
    assert NOTE_MIRRORS[NoteSection.PM_REVIEW] == "pm_notes"
    pm = await notes.record_section_note(conn, task.id, "pm_review", {"ok": True}, "PM ok")
    assert pm.pm_notes == "PM ok"
    with pytest.raises(ValidationError, match="section must be one of"):
        await notes.record_section_note(conn, task.id, "poem", {}, "x")
    with pytest.raises(ValidationError, match="mirrors into dev_notes; give its text"):
        await notes.record_section_note(conn, task.id, "developer", {}, None)
    with pytest.raises(ValidationError, match="has no text column"):
        await notes.record_section_note(conn, task.id, "task_description", {}, "text")


async def test_criteria_status_and_review_flags(conn: Conn, made: tuple[Task, uuid.UUID]) -> None:
    task, _ = made
    status: list[JsonObject] = [
        {"criterion": "returns 200", "addressed": True, "artifact_ref": "a1b2c3d"},
        {"criterion": "sets a cookie", "addressed": False, "artifact_ref": None},
    ]
    first = await notes.set_acceptance_criteria_status(conn, task.id, status)
    assert first.acceptance_criteria_status == status
    second = await notes.set_acceptance_criteria_status(conn, task.id, status[:1])
    assert second.acceptance_criteria_status == status[:1]  # replaced whole
    with pytest.raises(ValidationError, match=r"status\[0\] must be an object"):
        await notes.set_acceptance_criteria_status(conn, task.id, [{"addressed": True}])

    inspected = await notes.mark_evidence_inspected(conn, task.id)
    assert inspected.qa_evidence_inspected and not task.qa_evidence_inspected
    assert await notes.mark_board_review_complete(conn, task.id) is True
    assert await notes.mark_board_review_complete(conn, task.id) is False  # already set
    assert await notes.mark_board_review_complete(conn, uuid.uuid4()) is False
    reviewed = await fetch(conn, task.id)
    assert reviewed.board_review_complete and reviewed.status is task.status


async def test_proactive_context_lands_only_while_the_claimant_owns_it(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, agent = made
    context: JsonObject = {"similar_tasks": [{"id": "t1"}], "relevant_learnings": []}
    assert await notes.set_proactive_context(conn, task.id, agent, context) is False  # unowned
    await tasks.reassign(conn, task.id, agent)
    assert await notes.set_proactive_context(conn, task.id, agent, context) is True
    assert (await fetch(conn, task.id)).proactive_context == context
    other = await seed_agent(conn, "be-dev-2")
    assert await notes.set_proactive_context(conn, task.id, other, {"x": 1}) is False
    assert await notes.set_proactive_context(conn, uuid.uuid4(), agent, {"x": 1}) is False
    assert (await fetch(conn, task.id)).proactive_context == context


async def test_documents_replace_by_path_or_append(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, _ = made
    api = DocRef(path="docs/api.md", title="API", doc_type="api", created_by="be-doc")
    await notes.attach_document(conn, task.id, api)
    await notes.attach_document(conn, task.id, DocRef(path="README.md", title="R", doc_type="x"))
    updated = DocRef(path="docs/api.md", title="API v2", doc_type="api", updated_by="be-doc")
    after = await notes.attach_document(conn, task.id, updated)
    assert [d["path"] for d in after.documents] == ["docs/api.md", "README.md"]  # type: ignore[call-overload,index]
    assert after.documents[0] == updated.model_dump()
    with pytest.raises(ValidationError, match="doc must be a DocRef"):
        await notes.attach_document(conn, task.id, {"path": "x"})  # type: ignore[arg-type]


# -- orchestration markers ---------------------------------------------------------------------

SAMPLES: dict[MarkerShape, Any] = {
    MarkerShape.TEXT: "abc1234",
    MarkerShape.AGENT: uuid.UUID(int=7),
    MarkerShape.FLAG: True,
    MarkerShape.COUNT: 2,
    MarkerShape.EPOCH: 1_780_000_000.5,
    MarkerShape.OBJECT: {"items": [{"id": "i1", "status": "proposed"}]},
    MarkerShape.TEXT_LIST: ["backend", "frontend"],
    MarkerShape.OBJECT_LIST: [{"id": "c1", "text": "hi"}],
}
STORED = {**SAMPLES, MarkerShape.AGENT: str(uuid.UUID(int=7))}
WRONG: dict[MarkerShape, Any] = {
    MarkerShape.TEXT: 5,
    MarkerShape.AGENT: "not-an-id",
    MarkerShape.FLAG: False,
    MarkerShape.COUNT: -1,
    MarkerShape.EPOCH: float("nan"),
    MarkerShape.OBJECT: ["x"],
    MarkerShape.TEXT_LIST: [1],
    MarkerShape.OBJECT_LIST: ["x"],
}


def test_every_roboco_marker_key_has_a_shape() -> None:
    assert set(MARKER_SHAPES) == set(Marker)
    assert len(Marker) == 55  # the constants of RoboCo v0.29.0's markers.py


async def test_every_marker_sets_and_clears_alone(conn: Conn, made: tuple[Task, uuid.UUID]) -> None:
    task, _ = made
    await notes.set_marker(conn, task.id, Marker.DISMISSED, True)
    for key in Marker:
        shape = MARKER_SHAPES[key]
        written = await notes.set_marker(conn, task.id, key, SAMPLES[shape])
        assert (written.orchestration_markers or {})[key] == STORED[shape], key
        assert (written.orchestration_markers or {}).get(Marker.DISMISSED) is True  # others stay
        with pytest.raises(ValidationError, match=f"marker {key} takes"):
            await notes.set_marker(conn, task.id, key, WRONG[shape])
        cleared = await notes.clear_marker(conn, task.id, key)
        expected = None if key is Marker.DISMISSED else {"dismissed": True}
        assert cleared.orchestration_markers == expected, key
        if key is Marker.DISMISSED:
            await notes.set_marker(conn, task.id, Marker.DISMISSED, True)


async def test_clearing_the_last_marker_leaves_null_and_absent_keys_write_nothing(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, _ = made
    untouched = await notes.clear_marker(conn, task.id, Marker.BUDGET_BLOCKED)
    assert untouched == task  # no key: no write, updated_at included
    await notes.set_markers(conn, task.id, {Marker.PR_WAIVED: True, "branch_pending": True})
    both = await notes.clear_markers(conn, task.id, [Marker.PR_WAIVED, Marker.BRANCH_PENDING])
    assert both.orchestration_markers is None
    with pytest.raises(ValidationError, match="'mood' is not an orchestration marker"):
        await notes.set_marker(conn, task.id, "mood", "happy")
    with pytest.raises(ValidationError, match="keys: 'mood' is not an orchestration marker"):
        await notes.clear_markers(conn, task.id, ["mood"])
    with pytest.raises(NotFound):
        await notes.set_marker(conn, uuid.uuid4(), Marker.DISMISSED, True)


async def test_composite_markers(conn: Conn, made: tuple[Task, uuid.UUID]) -> None:
    task, _ = made
    esc = await notes.set_escalation(
        conn, task.id, from_slug="be-dev-1", to_slug="be-pm", reason="stuck"
    )
    assert (esc.orchestration_markers or {})["escalation"] == {
        "from": "be-dev-1",
        "to": "be-pm",
        "reason": "stuck",
    }
    outcome = await notes.set_release_execute_outcome(conn, task.id, "gate_failed", "")
    markers = outcome.orchestration_markers or {}
    assert (markers["release_execute_status"], markers["release_execute_detail"]) == (
        "gate_failed",
        "",
    )
    await notes.set_transition_note(conn, task.id, "completion", "shipped")
    await notes.set_transition_note(conn, task.id, "pr_waived", "report only")
    noted = await notes.set_transition_note(conn, task.id, "completion", "shipped twice")
    assert (noted.orchestration_markers or {})["transition_notes"] == {
        "completion": "shipped twice",
        "pr_waived": "report only",
    }


async def test_block_flip_and_oscillation_breakers(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, _ = made
    assert [await notes.bump_block_flip_count(conn, task.id) for _ in range(3)] == [1, 2, 3]
    notified = await notes.mark_block_flip_notified(conn, task.id)
    assert (notified.orchestration_markers or {})["block_flip_count"] == {
        "count": 3,
        "notified": True,
    }
    assert await notes.bump_block_flip_count(conn, task.id) == 4  # notified stays
    flips = (await fetch(conn, task.id)).orchestration_markers or {}
    assert flips["block_flip_count"] == {"count": 4, "notified": True}

    strikes = [
        await notes.bump_oscillation_strikes(conn, task.id, fp)
        for fp in ([3, 1, 0], [3, 1, 0], [3, 1, 0], [4, 1, 0], [4, 1, 0])
    ]
    assert strikes == [1, 2, 3, 1, 2]  # a changed fingerprint (progress) resets
    tripped = await notes.mark_oscillation_tripped(conn, task.id)
    assert (tripped.orchestration_markers or {})["oscillation_strikes"] == {
        "strikes": 2,
        "progress_fp": [4, 1, 0],
        "tripped": True,
    }
    assert await notes.bump_oscillation_strikes(conn, task.id, [4, 1, 0]) == 3
    kept = (await fetch(conn, task.id)).orchestration_markers or {}
    assert kept["oscillation_strikes"]["tripped"] is True  # type: ignore[index,call-overload]
    cleared = await notes.clear_marker(conn, task.id, Marker.OSCILLATION_STRIKES)
    assert set(cleared.orchestration_markers or {}) == {"block_flip_count"}
    with pytest.raises(ValidationError, match="progress_fp must be a list of integers"):
        await notes.bump_oscillation_strikes(conn, task.id, ["a"])  # type: ignore[list-item]
    with pytest.raises(NotFound):
        await notes.bump_block_flip_count(conn, uuid.uuid4())


async def test_appends_keep_the_stored_entries_byte_for_byte(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    """RoboCo's json columns may hold text jsonb refuses (a \\u0000 escape) or any key order:
    the work-log appends splice the new entry in and leave what is there as it was."""
    task, agent = made
    stored = '[{"message": "nul \\u0000 here", "z": 1, "a": 2}]'
    await conn.execute(
        "UPDATE tasks SET progress_updates = %s::json, checkpoints = %s::json, commits = %s::json"
        " WHERE id = %s",
        (stored, stored, "[ ]", task.id),
    )
    await notes.add_progress(conn, task.id, agent, "next")
    await notes.add_checkpoint(conn, task.id, agent, "saved", remaining_work=[])
    linked = await notes.add_commit(conn, task.id, "a1b2c3d", "m", agent)
    cur = await conn.execute(
        "SELECT progress_updates::text, checkpoints::text FROM tasks WHERE id = %s", (task.id,)
    )
    row = await cur.fetchone()
    assert row is not None
    assert all(text.startswith(stored[:-1] + ", {") for text in row)
    assert linked.progress_updates[1]["message"] == "next"  # type: ignore[call-overload,index]
    assert linked.checkpoints[1]["id"] == str(uuid.UUID(int=1))  # type: ignore[call-overload,index]
    assert [c["hash"] for c in linked.commits] == ["a1b2c3d"]  # type: ignore[call-overload,index]


# -- newer task writes: stalled mark, note appends, supersede close ----------------------------


async def test_stalled_mark_is_set_and_cleared(conn: Conn, made: tuple[Task, uuid.UUID]) -> None:
    task, _ = made
    stalled = await notes.mark_stalled(conn, task.id, "breaker_tripped")
    assert stalled.stalled_reason == "breaker_tripped" and stalled.stalled_since is not None
    assert await notes.clear_stalled(conn, task.id) is True
    cleared = await fetch(conn, task.id)
    assert (cleared.stalled_reason, cleared.stalled_since) == (None, None)
    assert await notes.clear_stalled(conn, task.id) is False  # not marked: not written
    assert await fetch(conn, task.id) == cleared
    with pytest.raises(ValidationError, match="reason must be at most 50 characters"):
        await notes.mark_stalled(conn, task.id, "x" * 51)


def capped_like_roboco(existing: str | None, addition: str, cap: int) -> str:
    """The rule RoboCo's capped append follows, restated for the test."""
    base = (existing or "").strip()
    joined = f"{base}\n\n{addition}" if base else addition
    if len(joined) <= cap:
        return joined
    return NOTES_TRIM_MARK + joined[len(joined) - (cap - len(NOTES_TRIM_MARK)) :]


async def test_note_appends_capped_and_raw(conn: Conn, made: tuple[Task, uuid.UUID]) -> None:
    task, _ = made
    first = await notes.append_note(conn, task.id, "dev_notes", "[BLOCKER] waiting on infra")
    assert first.dev_notes == "[BLOCKER] waiting on infra"
    await conn.execute("UPDATE tasks SET dev_notes = dev_notes || '  \n' WHERE id = %s", (task.id,))
    second = await notes.append_note(conn, task.id, "dev_notes", "[BASE] merged main")
    assert second.dev_notes == "[BLOCKER] waiting on infra\n\n[BASE] merged main"
    long = "y" * 70
    capped = await notes.append_note(conn, task.id, "dev_notes", long, cap=100)
    assert capped.dev_notes == capped_like_roboco(second.dev_notes, long, 100)
    assert len(capped.dev_notes or "") == 100  # the newest text kept, the oldest dropped
    assert (capped.dev_notes or "") == NOTES_TRIM_MARK + "y" * (100 - len(NOTES_TRIM_MARK))
    raw = await notes.append_note(conn, task.id, "pr_reviewer_notes", "\n\n[x] one", cap=None)
    raw = await notes.append_note(conn, task.id, "pr_reviewer_notes", "\n\n[x] two", cap=None)
    assert raw.pr_reviewer_notes == "\n\n[x] one\n\n[x] two"
    assert raw.dev_notes == capped.dev_notes  # other columns untouched
    with pytest.raises(ValidationError, match="column must be one of"):
        await notes.append_note(conn, task.id, "title", "x")
    with pytest.raises(ValidationError, match="cap must be an integer above"):
        await notes.append_note(conn, task.id, "dev_notes", "x", cap=10)


async def test_supersede_pr_closed_token_is_added_once(
    conn: Conn, made: tuple[Task, uuid.UUID]
) -> None:
    task, _ = made
    line = f"pr=42 review={uuid.UUID(int=1)} author=octo"
    await notes.set_marker(conn, task.id, Marker.EXTERNAL_PR_SUPERSEDE, line)
    closed = await notes.mark_supersede_pr_closed(conn, task.id)
    assert (closed.orchestration_markers or {})["external_pr_supersede"] == line + " closed=1"
    assert await notes.mark_supersede_pr_closed(conn, task.id) == closed  # once: not written
    bare = await tasks.create_task(
        conn, task_input(task.created_by, project_id=task.project_id, title="bare umbrella")
    )
    marked = await notes.mark_supersede_pr_closed(conn, bare.id)
    assert marked.orchestration_markers == {"external_pr_supersede": "closed=1"}
