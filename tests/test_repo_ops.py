"""roboco_sql.repos handoffs, waiting, audit and gateway against a real database."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound
from roboco_sql.models.audit import AuditLogCreate, AuditLogEntry, AuditSeverity
from roboco_sql.models.enums import HandoffStatus
from roboco_sql.models.gateway import GatewayDecision, GatewayTrigger, GatewayTriggerCreate
from roboco_sql.models.handoff import Handoff, HandoffCreate
from roboco_sql.models.waiting import WaitingFor, WaitingRecord, WaitingRecordCreate
from roboco_sql.repos import audit, gateway, handoffs, tasks, waiting
from tests.fix_tasks import keyset_pages
from tests.test_repo_tasks import scalar, seed_agent, seed_project, task_input

Conn = AsyncConnection[Any]
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
async def world(conn: Conn) -> dict[str, uuid.UUID]:
    agent = await seed_agent(conn, "be-dev-1")
    project = await seed_project(conn, agent)
    first = await tasks.create_task(conn, task_input(agent, project_id=project))
    second = await tasks.create_task(conn, task_input(agent, project_id=project))
    return {"agent": agent, "project": project, "task": first.id, "task2": second.id}


async def count(conn: Conn, table: str) -> int:
    return int(await scalar(conn, f"SELECT count(*) FROM {table}"))


# -- handoffs --------------------------------------------------------------------------------


async def test_handoff_create_get(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    data = HandoffCreate(
        task_id=world["task"],
        summary="Login endpoint done; docs needed for the cookie flags.",
        new_functionality=["POST /login"],
        commits=[{"hash": "abcdef1", "message": "add login"}],
        gotchas=["cookie is httpOnly"],
        key_decisions=[{"decision": "sessions over JWT", "why": "revocation"}],
        dev_notes_location="docs/dev/login.md",
    )
    made = await handoffs.create_handoff(conn, data)
    assert made.id == data.id and made.task_id == world["task"]
    assert made.status is HandoffStatus.PENDING
    assert made.new_functionality == ["POST /login"] and made.breaking_changes == []
    assert made.commits == [{"hash": "abcdef1", "message": "add login"}]
    assert made.key_decisions == [{"decision": "sessions over JWT", "why": "revocation"}]
    assert made.required_docs == [] and made.questions == []
    assert made.claimed_at is None and made.updated_at is None and made.documenter_notes is None
    assert await handoffs.get_handoff(conn, data.id) == made
    assert await handoffs.get_handoff_for_task(conn, world["task"]) == made
    assert await handoffs.get_handoff(conn, uuid.uuid4()) is None
    assert await handoffs.get_handoff_for_task(conn, world["task2"]) is None


async def test_handoff_errors(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    await handoffs.create_handoff(conn, HandoffCreate(task_id=world["task"], summary="one"))
    with pytest.raises(Conflict, match=rf"handoff with task_id={world['task']} already exists"):
        async with conn.transaction():
            await handoffs.create_handoff(conn, HandoffCreate(task_id=world["task"], summary="two"))
    with pytest.raises(NotFound, match="handoff: no tasks row with task_id="):
        async with conn.transaction():
            await handoffs.create_handoff(conn, HandoffCreate(task_id=uuid.uuid4(), summary="x"))
    with pytest.raises(NotFound, match="handoff: no agents row with assigned_to="):
        async with conn.transaction():
            await handoffs.create_handoff(
                conn,
                HandoffCreate(task_id=world["task2"], summary="x", assigned_to=uuid.uuid4()),
            )
    with pytest.raises(pydantic.ValidationError):
        HandoffCreate(task_id=world["task2"], summary="")
    assert await count(conn, "handoffs") == 1


async def test_handoff_list(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    doc = await seed_agent(conn, "be-doc")
    made: list[Handoff] = []
    for i in range(5):
        t = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
        made.append(
            await handoffs.create_handoff(
                conn,
                HandoffCreate(
                    task_id=t.id,
                    summary=f"handoff {i}",
                    status=HandoffStatus.CLAIMED if i % 2 else HandoffStatus.PENDING,
                    assigned_to=doc if i % 2 else None,
                    created_at=T0 + dt.timedelta(minutes=i // 2),
                ),
            )
        )
    oldest_first = [h.id for h in sorted(made, key=lambda h: (h.created_at, h.id))]
    pending = [h for h in oldest_first if h in {m.id for m in made[0::2]}]
    assert [h.id for h in await handoffs.list_handoffs(conn, status=HandoffStatus.PENDING)] == (
        pending
    )
    assert {h.id for h in await handoffs.list_handoffs(conn, assigned_to=doc)} == {
        made[1].id,
        made[3].id,
    }
    pages = await keyset_pages(lambda after: handoffs.list_handoffs(conn, after=after, limit=2))
    assert [h.id for page in pages for h in page] == oldest_first


# -- waiting records -------------------------------------------------------------------------


async def test_waiting_set_replaces_get_list_delete(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    async def put(agent_id: str, waiting_for: WaitingFor, **kw: Any) -> WaitingRecord:
        data = WaitingRecordCreate(agent_id=agent_id, waiting_for=waiting_for, **kw)
        return await waiting.set_waiting_record(conn, data)

    first = await put(
        "be-dev-1",
        WaitingFor.QA_RESULT,
        task_id=world["task"],
        waiting_since=T0,
        context={"attempt": 1, "notes": ["a"]},
    )
    assert first.waiting_for == "qa_result" and first.context == {"attempt": 1, "notes": ["a"]}
    assert await waiting.get_waiting_record(conn, "be-dev-1") == first
    # one record per agent: setting again replaces it
    second = await put("be-dev-1", WaitingFor.ANSWER, waiting_since=T0 + dt.timedelta(1))
    assert second.id != first.id and second.task_id is None and second.context == {}
    assert await waiting.get_waiting_record(conn, "be-dev-1") == second
    other = await put("be-qa", WaitingFor.ASSIGNMENT, task_id=world["task"], waiting_since=T0)
    assert await count(conn, "waiting_records") == 2
    assert await waiting.list_waiting_records(conn) == [other, second]  # longest waiting first
    assert await waiting.list_waiting_records(conn, waiting_for=WaitingFor.ANSWER) == [second]
    assert await waiting.list_waiting_records(conn, task_id=world["task"]) == [other]

    await waiting.delete_waiting_record(conn, "be-dev-1")
    assert await waiting.get_waiting_record(conn, "be-dev-1") is None
    with pytest.raises(NotFound, match="waiting record of agent 'be-dev-1' not found"):
        await waiting.delete_waiting_record(conn, "be-dev-1")
    # the task going away leaves the record, pointing at nothing
    await tasks.delete_task(conn, world["task"])
    kept = await waiting.get_waiting_record(conn, "be-qa")
    assert kept is not None and kept.task_id is None


async def test_waiting_errors(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    with pytest.raises(NotFound, match="waiting record: no tasks row with task_id="):
        async with conn.transaction():
            await waiting.set_waiting_record(
                conn,
                WaitingRecordCreate(
                    agent_id="be-dev-1", task_id=uuid.uuid4(), waiting_for=WaitingFor.ANSWER
                ),
            )
    taken = await waiting.set_waiting_record(
        conn, WaitingRecordCreate(agent_id="be-qa", waiting_for=WaitingFor.ANSWER)
    )
    with pytest.raises(Conflict, match=rf"waiting record with id={taken.id} already exists"):
        async with conn.transaction():
            await waiting.set_waiting_record(
                conn,
                WaitingRecordCreate(id=taken.id, agent_id="be-pm", waiting_for=WaitingFor.ANSWER),
            )
    for bad in ({"waiting_for": "coffee"}, {"agent_id": ""}, {"agent_id": "x" * 65}):
        with pytest.raises(pydantic.ValidationError):
            WaitingRecordCreate.model_validate({"agent_id": "a", "waiting_for": "answer", **bad})
    assert await count(conn, "waiting_records") == 1


# -- audit log -------------------------------------------------------------------------------


async def test_audit_append_get(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    data = AuditLogCreate(
        event_type="task.claimed",
        agent_id=world["agent"],
        target_type="task",
        target_id=world["task"],
        details={"from_status": "pending", "to_status": "claimed", "nested": {"k": [1, 2]}},
    )
    entry = await audit.append_audit_event(conn, data)
    assert entry.id == data.id and entry.severity == "info"
    assert entry.details == {
        "from_status": "pending",
        "to_status": "claimed",
        "nested": {"k": [1, 2]},
    }
    assert entry.timestamp == data.timestamp
    assert await audit.get_audit_event(conn, data.id) == entry
    assert await audit.get_audit_event(conn, uuid.uuid4()) is None
    with pytest.raises(NotFound, match="audit event: no agents row with agent_id="):
        async with conn.transaction():
            await audit.append_audit_event(
                conn, AuditLogCreate(event_type="task.claimed", agent_id=uuid.uuid4())
            )
    with pytest.raises(Conflict, match=rf"audit event with id={data.id} already exists"):
        async with conn.transaction():
            await audit.append_audit_event(conn, data)
    for bad in ({"event_type": ""}, {"severity": "fatal"}, {"target_type": "t" * 41}):
        with pytest.raises(pydantic.ValidationError):
            AuditLogCreate.model_validate({"event_type": "x", **bad})
    assert await count(conn, "audit_log") == 1


async def test_audit_list_by_entity_and_actor(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    pm = await seed_agent(conn, "be-pm")
    made: list[AuditLogEntry] = []
    rows: list[tuple[str, uuid.UUID | None, uuid.UUID, AuditSeverity, dict[str, Any]]] = [
        ("task.claimed", world["agent"], world["task"], AuditSeverity.INFO, {}),
        ("task.in_progress", world["agent"], world["task"], AuditSeverity.INFO, {}),
        (
            "gateway.rejected",
            world["agent"],
            world["task"],
            AuditSeverity.WARNING,
            {"reason": "tracing_gap"},
        ),
        ("task.cancelled", pm, world["task2"], AuditSeverity.ERROR, {"reason": "dup"}),
        ("task.claimed", None, world["task2"], AuditSeverity.INFO, {}),
    ]
    for i, (kind, actor, target, severity, details) in enumerate(rows):
        made.append(
            await audit.append_audit_event(
                conn,
                AuditLogCreate(
                    event_type=kind,
                    agent_id=actor,
                    target_type="task",
                    target_id=target,
                    severity=severity,
                    details=details,
                    timestamp=T0 + dt.timedelta(minutes=i // 2),
                ),
            )
        )

    async def ids(**kw: Any) -> list[uuid.UUID]:
        return [e.id for e in await audit.list_audit_log(conn, **kw)]

    newest_first = [e.id for e in sorted(made, key=lambda e: (e.timestamp, e.id), reverse=True)]
    assert await ids() == newest_first
    by_task = [i for i in newest_first if i in {m.id for m in made[:3]}]
    assert await ids(target_type="task", target_id=world["task"]) == by_task
    assert await ids(target_type="project") == []
    assert set(await ids(agent_id=pm)) == {made[3].id}
    assert set(await ids(event_type="task.claimed")) == {made[0].id, made[4].id}
    assert set(await ids(severities=[AuditSeverity.WARNING, AuditSeverity.ERROR])) == {
        made[2].id,
        made[3].id,
    }
    assert set(await ids(since=T0 + dt.timedelta(minutes=1))) == {m.id for m in made[2:]}
    assert await ids(
        agent_id=world["agent"], target_id=world["task"], details_contain={"reason": "tracing_gap"}
    ) == [made[2].id]
    pages = await keyset_pages(lambda before: audit.list_audit_log(conn, before=before, limit=2))
    assert [e.id for page in pages for e in page] == newest_first


# -- gateway triggers ------------------------------------------------------------------------


async def test_gateway_record_get_errors(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    data = GatewayTriggerCreate(
        trigger_kind="task_status",
        trigger_id="evt-1",
        task_id=world["task"],
        target_role="developer",
        decision=GatewayDecision.SPAWN,
        decision_reason="pending task with no active claimant",
    )
    made = await gateway.record_gateway_trigger(conn, data)
    assert made.decision == "spawn" and made.task_id == world["task"]
    assert await gateway.get_gateway_trigger(conn, data.id) == made
    assert await gateway.get_gateway_trigger(conn, uuid.uuid4()) is None
    with pytest.raises(NotFound, match="gateway trigger: no tasks row with task_id="):
        async with conn.transaction():
            await gateway.record_gateway_trigger(
                conn, data.model_copy(update={"id": uuid.uuid4(), "task_id": uuid.uuid4()})
            )
    with pytest.raises(Conflict, match=rf"gateway trigger with id={data.id} already exists"):
        async with conn.transaction():
            await gateway.record_gateway_trigger(conn, data)
    for bad in ({"decision": "maybe"}, {"decision_reason": "r" * 201}, {"trigger_kind": ""}):
        with pytest.raises(pydantic.ValidationError):
            GatewayTriggerCreate.model_validate(
                {
                    "trigger_kind": "k",
                    "target_role": "qa",
                    "decision": GatewayDecision.DROP,
                    "decision_reason": "r",
                    **bad,
                }
            )
    assert await count(conn, "gateway_triggers") == 1


async def test_gateway_list_and_count(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    made: list[GatewayTrigger] = []
    plan = [
        (world["task"], "developer", GatewayDecision.SPAWN),
        (world["task"], "developer", GatewayDecision.QUEUE),
        (world["task"], "qa", GatewayDecision.SPAWN),
        (world["task2"], "developer", GatewayDecision.SPAWN),
        (None, "developer", GatewayDecision.DROP),
    ]
    for i, (task_id, role, decision) in enumerate(plan):
        made.append(
            await gateway.record_gateway_trigger(
                conn,
                GatewayTriggerCreate(
                    trigger_kind="task_status" if task_id else "timer",
                    task_id=task_id,
                    target_role=role,
                    decision=decision,
                    decision_reason=f"case {i}",
                    created_at=T0 + dt.timedelta(minutes=i // 2),
                ),
            )
        )

    async def ids(**kw: Any) -> set[uuid.UUID]:
        return {t.id for t in await gateway.list_gateway_triggers(conn, **kw)}

    assert await ids(task_id=world["task"]) == {m.id for m in made[:3]}
    assert await ids(trigger_kind="timer") == {made[4].id}
    assert await ids(decision=GatewayDecision.SPAWN, target_role="developer") == {
        made[0].id,
        made[3].id,
    }
    assert await ids(since=T0 + dt.timedelta(minutes=2)) == {made[4].id}
    newest_first = [t.id for t in sorted(made, key=lambda t: (t.created_at, t.id), reverse=True)]
    pages = await keyset_pages(
        lambda before: gateway.list_gateway_triggers(conn, before=before, limit=2)
    )
    assert [t.id for page in pages for t in page] == newest_first

    spawn = GatewayDecision.SPAWN
    assert await gateway.count_gateway_triggers(conn, since=T0, task_id=world["task"]) == 3
    assert (
        await gateway.count_gateway_triggers(conn, since=T0, task_id=world["task"], decision=spawn)
        == 2
    )
    assert (
        await gateway.count_gateway_triggers(
            conn, since=T0 + dt.timedelta(minutes=1), target_role="developer", decision=spawn
        )
        == 1
    )
    assert await gateway.count_gateway_triggers(conn, since=T0 + dt.timedelta(days=1)) == 0
