"""Repositories of the smaller aggregates, against a real database at head.

Token usage (spawn sessions, snapshots, daily roll-ups), the prompter (sessions, messages,
task drafts), secretary directives, the conventions cache and findings, indexed documents.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypedDict

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.models.base import JsonObject
from roboco_sql.models.conventions import (
    ConventionsStatus,
    ProjectConventionFindingCreate,
    ProjectConventionsCacheCreate,
    RuleLevel,
)
from roboco_sql.models.enums import PrompterMessageRole, PrompterSessionStatus
from roboco_sql.models.knowledge import IndexedDocumentCreate, IndexType
from roboco_sql.models.prompter import (
    PrompterMessageCreate,
    PrompterSessionCreate,
    TaskDraftCreate,
    TaskDraftUpdate,
)
from roboco_sql.models.secretary import (
    DirectiveKind,
    DirectiveStatus,
    SecretaryDirectiveCreate,
    SecretaryDirectiveResolution,
)
from roboco_sql.models.usage import (
    AgentSpawnSessionCreate,
    AgentSpawnSessionEnd,
    DailyUsageRollupCreate,
    TokenUsageSnapshotCreate,
)
from roboco_sql.repos import conventions, indexed_documents, prompter, secretary, usage
from tests.fix_conn import count, refused
from tests.fix_rows import make_agent, make_project, make_task

Conn = AsyncConnection[Any]
T0 = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


class RollupKey(TypedDict):
    """The (agent, team, model) a daily roll-up is kept per."""

    agent_slug: str
    team: str
    model: str


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


# -- token usage -------------------------------------------------------------------------------


def spawn(slug: str = "dev-1", **kw: Any) -> AgentSpawnSessionCreate:
    values: dict[str, Any] = {
        "agent_slug": slug,
        "team": "backend",
        "role": "developer",
        "model": "claude-sonnet",
    }
    values.update(kw)
    return AgentSpawnSessionCreate(**values)


async def test_spawn_session_open_get_close(conn: Conn) -> None:
    task_ref = str(uuid.uuid4())
    created = await usage.create_spawn_session(conn, spawn(task_id=task_ref, started_at=at(0)))
    assert (created.tokens_input, created.ended_at, created.task_id) == (0, None, task_ref)
    assert await usage.get_spawn_session(conn, created.id) == created
    assert await usage.get_spawn_session(conn, uuid.uuid4()) is None

    end = AgentSpawnSessionEnd(ended_at=at(30), exit_reason="completed", estimated_cost_usd=0.42)
    closed = await usage.close_spawn_session(conn, created.id, end)
    assert (closed.ended_at, closed.exit_reason, closed.estimated_cost_usd) == (
        at(30),
        "completed",
        0.42,
    )
    with pytest.raises(Conflict, match=f"{created.id} already ended"):
        await usage.close_spawn_session(conn, created.id, AgentSpawnSessionEnd())
    assert (await usage.get_spawn_session(conn, created.id)) == closed
    with pytest.raises(NotFound, match=r"agent spawn session .* not found"):
        await usage.close_spawn_session(conn, uuid.uuid4(), AgentSpawnSessionEnd())


async def test_spawn_session_invalid_input_writes_nothing(conn: Conn) -> None:
    with pytest.raises(pydantic.ValidationError):
        spawn(slug="")
    with pytest.raises(pydantic.ValidationError):
        spawn(task_id="x" * 37)
    with pytest.raises(pydantic.ValidationError):
        spawn(started_at=dt.datetime(2026, 6, 1, 12, 0))  # naive
    with pytest.raises(pydantic.ValidationError):
        AgentSpawnSessionEnd(exit_reason="x" * 101)
    with pytest.raises(pydantic.ValidationError):
        AgentSpawnSessionEnd(estimated_cost_usd=-1)
    with pytest.raises(ValidationError, match="limit"):
        await usage.list_spawn_sessions(conn, limit=0)
    assert await count(conn, "agent_spawn_sessions") == 0
    duplicate = spawn()
    await usage.create_spawn_session(conn, duplicate)
    async with refused(conn, Conflict, f"id={duplicate.id} already exists"):
        await usage.create_spawn_session(conn, duplicate)
    assert await count(conn, "agent_spawn_sessions") == 1


async def test_list_spawn_sessions_filters_and_pages(conn: Conn) -> None:
    a0 = await usage.create_spawn_session(conn, spawn("dev-1", started_at=at(0)))
    a1 = await usage.create_spawn_session(conn, spawn("dev-1", started_at=at(10)))
    a2 = await usage.create_spawn_session(conn, spawn("dev-1", started_at=at(20)))
    b0 = await usage.create_spawn_session(
        conn, spawn("qa-1", team="frontend", role="qa", started_at=at(5))
    )
    await usage.close_spawn_session(conn, a1.id, AgentSpawnSessionEnd(ended_at=at(15)))

    ids = [s.id for s in await usage.list_spawn_sessions(conn)]
    assert ids == [a2.id, a1.id, b0.id, a0.id]
    by_agent = await usage.list_spawn_sessions(conn, agent_slug="dev-1")
    assert [s.id for s in by_agent] == [a2.id, a1.id, a0.id]
    assert [s.id for s in await usage.list_spawn_sessions(conn, team="frontend")] == [b0.id]
    opened = await usage.list_spawn_sessions(conn, agent_slug="dev-1", open_only=True)
    assert [s.id for s in opened] == [a2.id, a0.id]
    window = await usage.list_spawn_sessions(conn, since=at(5), until=at(20))
    assert [s.id for s in window] == [a1.id, b0.id]

    page1 = await usage.list_spawn_sessions(conn, limit=2)
    last = page1[-1]
    page2 = await usage.list_spawn_sessions(conn, before=(last.started_at, last.id), limit=2)
    assert [s.id for s in page1 + page2] == ids


async def test_usage_snapshots_raise_spawn_counters(conn: Conn) -> None:
    s = await usage.create_spawn_session(conn, spawn())
    first = await usage.add_usage_snapshot(
        conn,
        TokenUsageSnapshotCreate(
            agent_spawn_session_id=s.id,
            snapshotted_at=at(1),
            tokens_input=100,
            tokens_output=20,
            tokens_cache_read=5,
            tokens_cache_write=1,
        ),
    )
    assert (first.tokens_input, first.tokens_output) == (100, 20)
    # A late, lower reading is kept as history but never lowers the spawn's counters.
    await usage.add_usage_snapshot(
        conn,
        TokenUsageSnapshotCreate(
            agent_spawn_session_id=s.id, snapshotted_at=at(0), tokens_input=50, tokens_output=40
        ),
    )
    got = await usage.get_spawn_session(conn, s.id)
    assert got is not None
    assert (got.tokens_input, got.tokens_output, got.tokens_cache_read, got.tokens_cache_write) == (
        100,
        40,
        5,
        1,
    )
    history = await usage.list_usage_snapshots(conn, s.id)
    assert [h.snapshotted_at for h in history] == [at(0), at(1)]
    assert await usage.list_usage_snapshots(conn, uuid.uuid4()) == []


async def test_usage_snapshot_errors(conn: Conn) -> None:
    missing = uuid.uuid4()
    async with refused(conn, NotFound, f"no agent_spawn_sessions row with .*{missing}"):
        await usage.add_usage_snapshot(
            conn, TokenUsageSnapshotCreate(agent_spawn_session_id=missing, tokens_input=1)
        )
    with pytest.raises(pydantic.ValidationError):
        TokenUsageSnapshotCreate(agent_spawn_session_id=missing, tokens_input=-1)
    assert await count(conn, "token_usage_snapshots") == 0


async def test_usage_snapshot_batch_is_all_or_nothing(conn: Conn) -> None:
    s = await usage.create_spawn_session(conn, spawn())
    batch = [
        TokenUsageSnapshotCreate(
            agent_spawn_session_id=s.id, snapshotted_at=at(i), tokens_input=n, tokens_output=i
        )
        for i, n in enumerate([10, 30, 20])
    ]
    assert await usage.add_usage_snapshots(conn, batch) == 3
    assert await usage.add_usage_snapshots(conn, []) == 0
    got = await usage.get_spawn_session(conn, s.id)
    assert got is not None
    assert (got.tokens_input, got.tokens_output) == (30, 2)
    assert [h.tokens_input for h in await usage.list_usage_snapshots(conn, s.id)] == [10, 30, 20]

    missing = uuid.uuid4()
    bad = [
        TokenUsageSnapshotCreate(agent_spawn_session_id=s.id, tokens_input=999),
        TokenUsageSnapshotCreate(agent_spawn_session_id=missing, tokens_input=1),
    ]
    with pytest.raises(NotFound, match=str(missing)):
        await usage.add_usage_snapshots(conn, bad)
    assert await count(conn, "token_usage_snapshots") == 3
    again = await usage.get_spawn_session(conn, s.id)
    assert again is not None and again.tokens_input == 30

    with pytest.raises(Conflict, match=f"id={batch[0].id} already exists"):
        await usage.add_usage_snapshots(conn, [batch[0]])
    assert await count(conn, "token_usage_snapshots") == 3


async def test_daily_rollup_upsert_adds_and_lists(conn: Conn) -> None:
    day = dt.date(2026, 6, 1)
    key: RollupKey = {"agent_slug": "dev-1", "team": "backend", "model": "claude-sonnet"}
    first = await usage.upsert_daily_rollup(
        conn,
        DailyUsageRollupCreate(
            date=day, **key, tokens_input=100, total_cost_usd=0.5, session_count=1
        ),
    )
    second = await usage.upsert_daily_rollup(
        conn,
        DailyUsageRollupCreate(
            date=day, **key, tokens_input=50, tokens_output=7, total_cost_usd=0.25, session_count=1
        ),
    )
    assert second.id == first.id
    assert (second.tokens_input, second.tokens_output, second.session_count) == (150, 7, 2)
    assert second.total_cost_usd == pytest.approx(0.75)
    assert await usage.get_daily_rollup(conn, day, **key) == second
    assert await usage.get_daily_rollup(conn, day, "dev-1", "backend", "other") is None

    other_model = await usage.upsert_daily_rollup(
        conn, DailyUsageRollupCreate(date=day, agent_slug="dev-1", team="backend", model="opus")
    )
    assert other_model.id != first.id
    await usage.upsert_daily_rollup(
        conn, DailyUsageRollupCreate(date=day + dt.timedelta(days=1), **key, tokens_input=1)
    )
    await usage.upsert_daily_rollup(
        conn, DailyUsageRollupCreate(date=day, agent_slug="qa-1", team="frontend", model="m")
    )
    assert await count(conn, "daily_usage_rollups") == 4

    dev = await usage.list_daily_rollups(conn, agent_slug="dev-1")
    assert [(r.date, r.model) for r in dev] == [
        (day + dt.timedelta(days=1), "claude-sonnet"),
        (day, "claude-sonnet"),
        (day, "opus"),
    ]
    one_day = await usage.list_daily_rollups(conn, since=day, until=day)
    assert {r.agent_slug for r in one_day} == {"dev-1", "qa-1"} and len(one_day) == 3
    assert len(await usage.list_daily_rollups(conn, limit=1)) == 1

    with pytest.raises(pydantic.ValidationError):
        DailyUsageRollupCreate(date=day, **key, session_count=-1)
    with pytest.raises(pydantic.ValidationError):
        DailyUsageRollupCreate(date=day, agent_slug="d", team="t" * 51, model="m")
    assert await count(conn, "daily_usage_rollups") == 4


# -- the prompter ------------------------------------------------------------------------------


async def test_prompter_sessions(conn: Conn) -> None:
    agent = await make_agent(conn)
    other = await make_agent(conn, "intake-2")
    s1 = await prompter.create_prompter_session(
        conn, PrompterSessionCreate(agent_id=agent, created_at=at(0))
    )
    s2 = await prompter.create_prompter_session(
        conn, PrompterSessionCreate(agent_id=agent, created_at=at(1))
    )
    s3 = await prompter.create_prompter_session(
        conn, PrompterSessionCreate(agent_id=other, created_at=at(2))
    )
    assert s1.status is PrompterSessionStatus.ACTIVE and s1.updated_at is None
    assert await prompter.get_prompter_session(conn, s1.id) == s1
    assert await prompter.get_prompter_session(conn, uuid.uuid4()) is None

    moved = await prompter.set_prompter_session_status(
        conn, s1.id, PrompterSessionStatus.DRAFT_READY, expected=PrompterSessionStatus.ACTIVE
    )
    assert moved.status is PrompterSessionStatus.DRAFT_READY and moved.updated_at is not None
    with pytest.raises(Conflict, match="is draft_ready, not active"):
        await prompter.set_prompter_session_status(
            conn, s1.id, PrompterSessionStatus.CONFIRMED, expected=PrompterSessionStatus.ACTIVE
        )
    abandoned = await prompter.set_prompter_session_status(
        conn, s2.id, PrompterSessionStatus.ABANDONED
    )
    assert abandoned.status is PrompterSessionStatus.ABANDONED
    with pytest.raises(NotFound, match=r"prompter session .* not found"):
        await prompter.set_prompter_session_status(
            conn, uuid.uuid4(), PrompterSessionStatus.ABANDONED
        )
    with pytest.raises(ValidationError, match="'finished' is not a status"):
        await prompter.set_prompter_session_status(conn, s3.id, "finished")  # type: ignore[arg-type]
    still = await prompter.get_prompter_session(conn, s3.id)
    assert still is not None and still.status is PrompterSessionStatus.ACTIVE

    listed = await prompter.list_prompter_sessions(conn)
    assert [s.id for s in listed] == [s3.id, s2.id, s1.id]
    mine = await prompter.list_prompter_sessions(conn, agent_id=agent)
    assert [s.id for s in mine] == [s2.id, s1.id]
    ready = await prompter.list_prompter_sessions(conn, status=PrompterSessionStatus.DRAFT_READY)
    assert [s.id for s in ready] == [s1.id]
    page = await prompter.list_prompter_sessions(conn, before=(s3.created_at, s3.id), limit=1)
    assert [s.id for s in page] == [s2.id]

    missing = uuid.uuid4()
    async with refused(conn, NotFound, f"no agents row with agent_id={missing}"):
        await prompter.create_prompter_session(conn, PrompterSessionCreate(agent_id=missing))
    with pytest.raises(pydantic.ValidationError):
        PrompterSessionCreate(agent_id=agent, status="done")  # type: ignore[arg-type]
    assert await count(conn, "prompter_sessions") == 3


async def test_prompter_messages(conn: Conn) -> None:
    session = await prompter.create_prompter_session(
        conn, PrompterSessionCreate(agent_id=await make_agent(conn))
    )
    turns = [
        (PrompterMessageRole.USER, "I need a health endpoint"),
        (PrompterMessageRole.ASSISTANT, "Which service?"),
        (PrompterMessageRole.USER, "The API"),
    ]
    written = [
        await prompter.add_prompter_message(
            conn,
            PrompterMessageCreate(session_id=session.id, role=role, content=text, created_at=at(i)),
        )
        for i, (role, text) in enumerate(turns)
    ]
    listed = await prompter.list_prompter_messages(conn, session.id)
    assert listed == written
    assert [(m.role, m.content) for m in listed] == turns
    rest = await prompter.list_prompter_messages(
        conn, session.id, after=(written[0].created_at, written[0].id)
    )
    assert rest == written[1:]
    assert await prompter.list_prompter_messages(conn, session.id, limit=1) == written[:1]

    missing = uuid.uuid4()
    async with refused(conn, NotFound, f"no prompter_sessions row with session_id={missing}"):
        await prompter.add_prompter_message(
            conn,
            PrompterMessageCreate(session_id=missing, role=PrompterMessageRole.USER, content=""),
        )
    with pytest.raises(pydantic.ValidationError):
        PrompterMessageCreate(session_id=session.id, role="robot", content="hi")  # type: ignore[arg-type]
    assert await count(conn, "prompter_messages") == 3


async def test_task_drafts(conn: Conn) -> None:
    agent = await make_agent(conn)
    session = await prompter.create_prompter_session(conn, PrompterSessionCreate(agent_id=agent))
    data: JsonObject = {
        "title": "Add /health",
        "acceptance_criteria": ["200 when up"],
        "priority": 1,
    }
    d1 = await prompter.create_task_draft(
        conn, TaskDraftCreate(session_id=session.id, draft_data=data, created_at=at(0))
    )
    d2 = await prompter.create_task_draft(
        conn, TaskDraftCreate(session_id=session.id, draft_data={"title": "B"}, created_at=at(1))
    )
    assert d1.draft_data == data and d1.confirmed_at is None and d1.task_id is None
    assert await prompter.get_task_draft(conn, d1.id) == d1
    assert await prompter.get_task_draft(conn, uuid.uuid4()) is None
    assert await prompter.list_task_drafts(conn, session.id) == [d1, d2]

    revised = await prompter.update_task_draft(
        conn, d1.id, TaskDraftUpdate(draft_data={**data, "priority": 0})
    )
    assert revised.draft_data["priority"] == 0 and revised.updated_at is not None

    task = await make_task(conn, agent, await make_project(conn, agent))
    confirmed = await prompter.confirm_task_draft(conn, d1.id, task)
    assert confirmed.task_id == task and confirmed.confirmed_at is not None
    assert await prompter.list_task_drafts(conn, session.id, unconfirmed_only=True) == [d2]

    with pytest.raises(Conflict, match="already confirmed"):
        await prompter.confirm_task_draft(conn, d1.id, task)
    with pytest.raises(Conflict, match="already confirmed"):
        await prompter.update_task_draft(conn, d1.id, TaskDraftUpdate(draft_data={}))
    with pytest.raises(NotFound, match=r"task draft .* not found"):
        await prompter.update_task_draft(conn, uuid.uuid4(), TaskDraftUpdate(draft_data={}))
    with pytest.raises(NotFound, match=r"task draft .* not found"):
        await prompter.confirm_task_draft(conn, uuid.uuid4(), task)
    missing_task = uuid.uuid4()
    async with refused(conn, NotFound, f"no tasks row with task_id={missing_task}"):
        await prompter.confirm_task_draft(conn, d2.id, missing_task)
    unchanged = await prompter.get_task_draft(conn, d2.id)
    assert unchanged == d2

    async with refused(conn, NotFound, "no prompter_sessions row"):
        await prompter.create_task_draft(
            conn, TaskDraftCreate(session_id=uuid.uuid4(), draft_data={})
        )
    with pytest.raises(pydantic.ValidationError):
        TaskDraftCreate(session_id=session.id, draft_data={"when": object()})  # type: ignore[dict-item]
    with pytest.raises(pydantic.ValidationError):
        TaskDraftUpdate(draft_data=["not", "an", "object"])  # type: ignore[arg-type]
    assert await count(conn, "task_drafts") == 2


# -- secretary directives ----------------------------------------------------------------------


async def test_secretary_directives(conn: Conn) -> None:
    ceo, secretary_agent = uuid.uuid4(), uuid.uuid4()
    relay = await secretary.create_directive(
        conn,
        SecretaryDirectiveCreate(
            kind=DirectiveKind.RELAY_MESSAGE,
            payload={"channel": "general", "text": "Ship it"},
            requested_by=ceo,
            requested_at=at(0),
        ),
    )
    announce = await secretary.create_directive(
        conn,
        SecretaryDirectiveCreate(
            kind=DirectiveKind.ANNOUNCE,
            payload={"text": "Friday demo"},
            requested_by=ceo,
            requested_at=at(1),
        ),
    )
    assert relay.status == "pending" and relay.payload == {"channel": "general", "text": "Ship it"}
    assert relay.decided_at is None
    assert await secretary.get_directive(conn, relay.id) == relay
    assert await secretary.get_directive(conn, uuid.uuid4()) is None

    done = await secretary.resolve_directive(
        conn,
        relay.id,
        SecretaryDirectiveResolution(status=DirectiveStatus.EXECUTED, result="posted"),
    )
    assert (done.status, done.result, done.decided_by) == ("executed", "posted", None)
    assert done.decided_at is not None
    with pytest.raises(Conflict, match="already executed, not pending"):
        await secretary.resolve_directive(
            conn,
            relay.id,
            SecretaryDirectiveResolution(status=DirectiveStatus.REJECTED, decided_by=ceo),
        )
    with pytest.raises(NotFound, match=r"secretary directive .* not found"):
        await secretary.resolve_directive(
            conn, uuid.uuid4(), SecretaryDirectiveResolution(status=DirectiveStatus.FAILED)
        )
    rejected = await secretary.resolve_directive(
        conn,
        announce.id,
        SecretaryDirectiveResolution(status=DirectiveStatus.REJECTED, decided_by=secretary_agent),
    )
    assert (rejected.status, rejected.decided_by, rejected.result) == (
        "rejected",
        secretary_agent,
        None,
    )

    pending = await secretary.create_directive(
        conn,
        SecretaryDirectiveCreate(
            kind=DirectiveKind.APPROVE_PITCH,
            payload={"pitch_id": str(uuid.uuid4())},
            requested_by=ceo,
            requested_at=at(2),
        ),
    )
    assert [d.id for d in await secretary.list_directives(conn)] == [
        pending.id,
        announce.id,
        relay.id,
    ]
    queue = await secretary.list_directives(conn, status=DirectiveStatus.PENDING)
    assert [d.id for d in queue] == [pending.id]
    by_kind = await secretary.list_directives(conn, kind=DirectiveKind.ANNOUNCE)
    assert [d.id for d in by_kind] == [announce.id]
    page = await secretary.list_directives(conn, before=(pending.requested_at, pending.id))
    assert [d.id for d in page] == [announce.id, relay.id]
    with pytest.raises(ValidationError, match="directive filter"):
        await secretary.list_directives(conn, status="open")  # type: ignore[arg-type]

    with pytest.raises(pydantic.ValidationError, match="payload is missing: channel"):
        SecretaryDirectiveCreate(
            kind=DirectiveKind.RELAY_MESSAGE, payload={"text": "x"}, requested_by=ceo
        )
    with pytest.raises(pydantic.ValidationError, match="out of 'pending'"):
        SecretaryDirectiveResolution(status=DirectiveStatus.PENDING)
    assert await count(conn, "secretary_directives") == 3


# -- conventions -------------------------------------------------------------------------------


def finding(project_id: uuid.UUID, **kw: Any) -> ProjectConventionFindingCreate:
    values: dict[str, Any] = {
        "project_id": project_id,
        "file": "app/models.py",
        "line": 10,
        "rule": "models-in-models-dir",
        "level": RuleLevel.WARN,
        "message": "define models under app/models/",
    }
    values.update(kw)
    return ProjectConventionFindingCreate(**values)


def derived(
    project: uuid.UUID, sha: str, effective: dict[str, Any], status: ConventionsStatus, minute: int
) -> ProjectConventionsCacheCreate:
    """A conventions map derived at a commit (sha: one hex digit, repeated)."""
    return ProjectConventionsCacheCreate(
        project_id=project,
        commit_sha=sha * 40,
        effective_map=effective,
        status=status,
        derived_at=at(minute),
    )


async def test_conventions_cache(conn: Conn) -> None:
    agent = await make_agent(conn)
    project = await make_project(conn, agent)
    first = await conventions.upsert_conventions_cache(
        conn,
        derived(project, "a", {"models": "app/models"}, ConventionsStatus.DEGRADED, 0),
    )
    again = await conventions.upsert_conventions_cache(
        conn,
        derived(project, "a", {"models": "src/models"}, ConventionsStatus.OK, 5),
    )
    assert again.id == first.id
    assert (again.effective_map, again.status, again.derived_at) == (
        {"models": "src/models"},
        "ok",
        at(5),
    )
    newer = await conventions.upsert_conventions_cache(
        conn,
        derived(project, "b", {}, ConventionsStatus.MISSING, 9),
    )
    assert await count(conn, "project_conventions_cache") == 2
    assert await conventions.get_conventions_cache(conn, project, "a" * 40) == again
    assert await conventions.get_conventions_cache(conn, project, "c" * 40) is None
    assert await conventions.get_latest_conventions_cache(conn, project) == newer
    assert await conventions.get_latest_conventions_cache(conn, uuid.uuid4()) is None
    # RoboCo's fallback: the newest derivation that went well, past a newer missing one
    last_ok = await conventions.get_latest_conventions_cache(
        conn, project, status=ConventionsStatus.OK
    )
    assert last_ok == again

    missing = uuid.uuid4()
    async with refused(conn, NotFound, f"no projects row with project_id={missing}"):
        await conventions.upsert_conventions_cache(
            conn,
            ProjectConventionsCacheCreate(
                project_id=missing,
                commit_sha="a" * 40,
                effective_map={},
                status=ConventionsStatus.OK,
            ),
        )
    with pytest.raises(pydantic.ValidationError):
        ProjectConventionsCacheCreate(
            project_id=project, commit_sha="a" * 41, effective_map={}, status=ConventionsStatus.OK
        )
    with pytest.raises(pydantic.ValidationError):
        ProjectConventionsCacheCreate(
            project_id=project,
            commit_sha="a",
            effective_map={},
            status="great",  # type: ignore[arg-type]
        )
    assert await count(conn, "project_conventions_cache") == 2


async def test_convention_findings(conn: Conn) -> None:
    agent = await make_agent(conn)
    project = await make_project(conn, agent)
    other_project = await make_project(conn, agent, "web")
    task_a, task_b = uuid.uuid4(), uuid.uuid4()  # findings.task_id has no foreign key

    single = await conventions.add_convention_finding(
        conn, finding(project, task_id=task_a, detected_at=at(0))
    )
    assert single.level == "warn" and single.kind is None
    batch = [
        finding(project, task_id=task_a, level=RuleLevel.BLOCK, kind="route", detected_at=at(1)),
        finding(project, task_id=task_b, line=3, detected_at=at(2)),
        finding(other_project, detected_at=at(3)),
    ]
    assert await conventions.add_convention_findings(conn, batch) == 3
    assert await conventions.add_convention_findings(conn, []) == 0

    listed = await conventions.list_convention_findings(conn, project)
    assert [f.id for f in listed] == [batch[1].id, batch[0].id, single.id]
    blocks = await conventions.list_convention_findings(conn, project, level=RuleLevel.BLOCK)
    assert [(f.id, f.kind) for f in blocks] == [(batch[0].id, "route")]
    of_a = await conventions.list_convention_findings(conn, project, task_id=task_a)
    assert [f.id for f in of_a] == [batch[0].id, single.id]
    page = await conventions.list_convention_findings(
        conn, project, before=(listed[0].detected_at, listed[0].id), limit=1
    )
    assert [f.id for f in page] == [batch[0].id]
    with pytest.raises(ValidationError, match="not a convention rule level"):
        await conventions.list_convention_findings(conn, project, level="error")  # type: ignore[arg-type]

    # A new check of task A replaces its findings; task B's and the other project's stay.
    fresh = [finding(project, task_id=task_a, rule="helpers-in-lib", detected_at=at(9))]
    assert await conventions.replace_task_findings(conn, project, task_a, fresh) == 1
    of_a = await conventions.list_convention_findings(conn, project, task_id=task_a)
    assert [f.rule for f in of_a] == ["helpers-in-lib"]
    assert await count(conn, "project_convention_findings") == 3
    assert await conventions.replace_task_findings(conn, project, task_a, []) == 0
    assert await conventions.list_convention_findings(conn, project, task_id=task_a) == []

    stray = [finding(project, task_id=task_b)]
    with pytest.raises(ValidationError, match="does not belong to project"):
        await conventions.replace_task_findings(conn, project, task_a, stray)
    with pytest.raises(ValidationError, match="does not belong to project"):
        await conventions.replace_task_findings(conn, other_project, task_b, stray)
    assert await count(conn, "project_convention_findings") == 2

    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"no projects row with project_id={missing}"):
        await conventions.add_convention_findings(
            conn, [finding(project, task_id=task_b), finding(missing)]
        )
    # replace is one transaction too: the delete is undone when an insert fails.
    with pytest.raises(Conflict, match=f"id={batch[2].id} already exists"):
        await conventions.replace_task_findings(
            conn,
            project,
            task_b,
            [finding(project, task_id=task_b), finding(project, task_id=task_b, id=batch[2].id)],
        )
    of_b = await conventions.list_convention_findings(conn, project, task_id=task_b)
    assert [f.id for f in of_b] == [batch[1].id]
    assert await count(conn, "project_convention_findings") == 2
    with pytest.raises(pydantic.ValidationError):
        finding(project, level="fatal")
    with pytest.raises(pydantic.ValidationError):
        finding(project, line=-1)
    with pytest.raises(pydantic.ValidationError):
        finding(project, file="f" * 501)


# -- indexed documents -------------------------------------------------------------------------


def document(**kw: Any) -> IndexedDocumentCreate:
    values: dict[str, Any] = {
        "index_type": IndexType.DOCUMENTATION,
        "source": "docs/setup.md",
        "source_hash": "a" * 64,
        "title": "Setup",
        "preview": "How to set up",
        "chunk_count": 3,
        "extra_data": {"lang": "en"},
    }
    values.update(kw)
    return IndexedDocumentCreate(**values)


async def test_indexed_documents_upsert_and_get(conn: Conn) -> None:
    first = await indexed_documents.upsert_indexed_document(conn, document(indexed_at=at(0)))
    assert (first.index_type, first.chunk_count, first.updated_at) == ("documentation", 3, None)
    assert first.extra_data == {"lang": "en"}

    again = await indexed_documents.upsert_indexed_document(
        conn,
        document(
            source="docs/setup-v2.md",
            title=None,
            preview=None,
            chunk_count=5,
            extra_data={"words": 900},
            indexed_at=at(10),
        ),
    )
    assert (again.id, again.indexed_at) == (first.id, at(0))
    assert (again.source, again.title, again.preview, again.chunk_count) == (
        "docs/setup-v2.md",
        "Setup",
        "How to set up",
        5,
    )
    assert again.extra_data == {"lang": "en", "words": 900}
    assert again.updated_at is not None
    assert await count(conn, "indexed_documents") == 1

    got = await indexed_documents.get_indexed_document(conn, IndexType.DOCUMENTATION, "a" * 64)
    assert got == again
    assert await indexed_documents.get_indexed_document_by_id(conn, first.id) == again
    assert await indexed_documents.get_indexed_document(conn, IndexType.CODE, "a" * 64) is None
    assert await indexed_documents.get_indexed_document_by_id(conn, uuid.uuid4()) is None

    with pytest.raises(pydantic.ValidationError):
        document(source_hash="A" * 64)
    with pytest.raises(pydantic.ValidationError):
        document(index_type="wiki")
    with pytest.raises(pydantic.ValidationError):
        document(chunk_count=-1)
    with pytest.raises(ValidationError, match="'wiki' is not an index type"):
        await indexed_documents.get_indexed_document(conn, "wiki", "a" * 64)  # type: ignore[arg-type]
    assert await count(conn, "indexed_documents") == 1


async def test_indexed_documents_list_and_delete(conn: Conn) -> None:
    docs = [
        await indexed_documents.upsert_indexed_document(
            conn, document(index_type=kind, source_hash=f"{i:064x}", indexed_at=at(i))
        )
        for i, kind in enumerate(
            [IndexType.DOCUMENTATION, IndexType.CODE, IndexType.DOCUMENTATION, IndexType.CODE]
        )
    ]
    everything = await indexed_documents.list_indexed_documents(conn)
    assert [d.id for d in everything] == [d.id for d in reversed(docs)]
    code = await indexed_documents.list_indexed_documents(conn, index_type=IndexType.CODE)
    assert [d.id for d in code] == [docs[3].id, docs[1].id]
    page1 = await indexed_documents.list_indexed_documents(conn, limit=3)
    page2 = await indexed_documents.list_indexed_documents(
        conn, before=(page1[-1].indexed_at, page1[-1].id), limit=3
    )
    assert [d.id for d in page1 + page2] == [d.id for d in everything]
    with pytest.raises(ValidationError, match="limit"):
        await indexed_documents.list_indexed_documents(conn, limit=1001)
    with pytest.raises(ValidationError, match="not an index type"):
        await indexed_documents.list_indexed_documents(conn, index_type="wiki")  # type: ignore[arg-type]

    await indexed_documents.delete_indexed_document(conn, IndexType.CODE, docs[1].source_hash)
    assert await indexed_documents.get_indexed_document_by_id(conn, docs[1].id) is None
    assert await count(conn, "indexed_documents") == 3
    with pytest.raises(NotFound, match=r"indexed document \(code, .*\) not found"):
        await indexed_documents.delete_indexed_document(conn, IndexType.CODE, docs[1].source_hash)
    # The natural key is (index_type, source_hash): the same hash under another index is apart.
    with pytest.raises(NotFound):
        await indexed_documents.delete_indexed_document(conn, IndexType.ERRORS, docs[0].source_hash)
    assert await count(conn, "indexed_documents") == 3


async def test_spawn_session_turns_tool_calls_and_doctrine(conn: Conn) -> None:
    spawn = await usage.create_spawn_session(
        conn, AgentSpawnSessionCreate(agent_slug="be-dev-1", team="backend", role="dev", model="m")
    )
    assert (spawn.turns, spawn.tool_calls, spawn.doctrine_version) == (0, 0, None)
    ended = await usage.close_spawn_session(
        conn,
        spawn.id,
        AgentSpawnSessionEnd(exit_reason="done", turns=12, tool_calls=40, doctrine_version="d-7"),
    )
    assert (ended.turns, ended.tool_calls, ended.doctrine_version) == (12, 40, "d-7")
    assert await usage.get_spawn_session(conn, spawn.id) == ended
    with pytest.raises(pydantic.ValidationError):
        AgentSpawnSessionEnd(turns=-1)
