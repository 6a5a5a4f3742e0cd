"""Task flow against a real database: transitions, claims, the work graph.

Rows are built directly in the state a case starts from (raw INSERTs, batched), so each case
runs exactly the statement under test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from roboco_sql import lifecycle
from roboco_sql.errors import Conflict, NotFound, TransitionRefused, ValidationError
from roboco_sql.lifecycle import CLAIMABLE_BY_ROLE, EDGES, TaskFacts
from roboco_sql.models.enums import (
    AgentRole,
    BlockerResolverType,
    TaskStatus,
    Team,
    WorkSessionStatus,
)
from roboco_sql.models.task import Task
from roboco_sql.repos import claims, graph, tasks, transitions
from roboco_sql.repos.transitions import Actor
from tests.fix_tasks import (
    GIT_DONE,
    World,
    _team_of,  # noqa: F401 (the lifecycle tests import it from here)
    audits,
    build_world,
    fetch,
    get,
    insert,
    make,
    make_held,
    seed_agent,
    seed_product,
    seed_project,
)
from tests.test_repo_tasks import task_input

Conn = AsyncConnection[Any]
S = TaskStatus
R = AgentRole
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def world(conn: Conn) -> World:
    return await build_world(conn)


# -- transitions: the whole 15 x 15 grid, for every role ----------------------------------------


async def test_every_pair_for_every_role_is_exactly_the_lifecycle(conn: Conn, world: World) -> None:
    """All 15 x 15 (from, to) pairs for each of the 13 roles through transition() on real rows
    of the actor's team: exactly the lifecycle's edges succeed (with their edge and action role
    gates), every other pair is refused with lifecycle.refusal's or authority_refusal's reason,
    and nothing is written for a refusal. Rows a case may succeed on are held by its actor."""
    facts = TaskFacts.from_mapping({**GIT_DONE, "project_id": world.project})
    cases = [(role, src, dst) for role in AgentRole for src in S for dst in S]

    def why(case: tuple[AgentRole, TaskStatus, TaskStatus], held: bool) -> str | None:
        role, src, dst = case
        who = world.agents[role]
        standing = lifecycle.Standing(
            agent_id=str(who.id),
            agent_team=str(who.team),
            task_team=Team.BACKEND,
            holders=frozenset({str(who.id)} if held else ()),
        )
        return lifecycle.refusal(src, dst, role, facts) or lifecycle.authority_refusal(
            src, dst, role, standing
        )

    allowed = {c for c in cases if why(c, held=True) is None}
    # a refusal writes nothing, so one row per start state serves every refused case; each
    # allowed case gets a row of its own, held by the actor
    shared = {src: world.row(src, **GIT_DONE) for src in S}
    own = {c: world.row(c[1], assigned_to=world.agents[c[0]].id, **GIT_DONE) for c in allowed}
    await insert(conn, [*shared.values(), *own.values()])

    succeeded: set[tuple[AgentRole, TaskStatus, TaskStatus]] = set()
    for role, src, dst in cases:
        case = (role, src, dst)
        row = own.get(case) or shared[src]
        try:
            moved = await transitions.transition(conn, row["id"], dst, world.agents[role])
        except TransitionRefused as exc:
            reason = why(case, held=False)
            assert reason is not None, case
            assert str(exc) == f"task {row['id']}: {reason}", case
            for name in (src.value, dst.value, role.value):
                assert name in str(exc)
            continue
        assert moved.status is dst and moved.id == row["id"], case
        succeeded.add(case)
    await conn.commit()

    assert succeeded == allowed
    assert {(src, dst) for _, src, dst in succeeded} == set(EDGES)
    assert len(EDGES) == 51
    for role in AgentRole:
        for src in S:
            ok = {dst for r, s, dst in succeeded if (r, s) == (role, src)}
            assert ok <= lifecycle.allowed_targets(src, role, facts)
    # the refused cases left their rows as they were; each success wrote one audit row
    for src, row in shared.items():
        assert (await get(conn, row["id"])).status is src
    logged = await fetch(
        conn,
        "SELECT target_id, event_type, details FROM audit_log WHERE target_type = 'task'",
    )
    assert len(logged) == len(allowed)
    by_task = {r["target_id"]: r for r in logged}
    for (role, src, dst), row in own.items():
        entry = by_task[row["id"]]
        assert entry["event_type"] == f"task.{dst}"
        assert entry["details"]["from_status"] == src
        assert entry["details"]["agent_role"] == role
        assert entry["details"]["action"] == EDGES[(src, dst)].action


# -- transitions: side effects -------------------------------------------------------------------


async def test_claim_start_complete_stamp_their_columns(conn: Conn, world: World) -> None:
    dev, pm = world.agents[R.DEVELOPER], world.agents[R.CELL_PM]
    task_id = await make(conn, world, S.PENDING, branch_name="feature/backend/a")
    claimed = await transitions.transition(conn, task_id, S.CLAIMED, dev)
    assert claimed.assigned_to == claimed.claimed_by == claimed.active_claimant_id == dev.id
    assert claimed.claimed_at is not None and claimed.last_heartbeat_at == claimed.claimed_at
    started = await transitions.transition(conn, task_id, S.IN_PROGRESS, dev)
    assert started.started_at is not None and started.started_at >= claimed.claimed_at
    paused = await transitions.transition(conn, task_id, S.PAUSED, dev)
    resumed = await transitions.transition(conn, task_id, "in_progress", (dev.id, "developer"))
    assert resumed.started_at == started.started_at == paused.started_at  # first start only
    done = await transitions.transition(conn, task_id, S.COMPLETED, pm)
    assert done.completed_at is not None and started.started_at is not None
    assert done.completed_at > started.started_at
    assert done.active_claimant_id is None and done.last_heartbeat_at is None
    assert done.assigned_to == dev.id  # completion keeps who did it
    events = [a["event_type"] for a in await audits(conn, task_id)]
    assert events == [
        "task.claimed",
        "task.in_progress",
        "task.paused",
        "task.in_progress",
        "task.completed",
    ]


async def test_block_snapshots_and_unblock_restores(conn: Conn, world: World) -> None:
    dev, pm = world.agents[R.DEVELOPER], world.agents[R.CELL_PM]
    task_id = await make_held(conn, world, S.IN_PROGRESS, dev.id, branch_name="feature/backend/a")
    blocked = await transitions.transition(
        conn, task_id, S.BLOCKED, dev, resolver_type=BlockerResolverType.HUMAN
    )
    assert blocked.pre_block_state == "in_progress" and blocked.pre_block_assignee == dev.id
    assert blocked.blocker_raised_by == dev.id
    assert blocked.blocker_resolver_type is BlockerResolverType.HUMAN
    # an escalation hands it to the PM; unblocking gives it back to the developer
    await conn.execute(
        "UPDATE tasks SET assigned_to = %s, claimed_by = %s WHERE id = %s",
        (pm.id, pm.id, task_id),
    )
    back = await transitions.transition(conn, task_id, S.IN_PROGRESS, pm)
    assert back.assigned_to == back.claimed_by == dev.id
    assert back.pre_block_state is None and back.pre_block_assignee is None
    assert back.blocker_raised_by is None and back.blocker_resolver_type is None


async def test_handoffs_clear_the_owner_and_failures_return_to_the_developer(
    conn: Conn, world: World
) -> None:
    dev, qa = world.agents[R.DEVELOPER], world.agents[R.QA]
    task_id = await make_held(
        conn,
        world,
        S.VERIFYING,
        dev.id,
        branch_name="feature/backend/a",
        active_claimant_id=dev.id,
        last_heartbeat_at=dt.datetime.now(dt.UTC),
    )
    to_qa = await transitions.transition(conn, task_id, S.AWAITING_QA, dev)
    assert to_qa.assigned_to is None and to_qa.claimed_by is None
    assert to_qa.active_claimant_id is None and to_qa.last_heartbeat_at is None
    assert to_qa.orchestration_markers == {"original_developer": str(dev.id)}
    assert to_qa.self_verified
    # QA may not claim work it developed; this QA did not
    reviewing = await claims.claim(conn, task_id, qa)
    assert reviewing.assigned_to == qa.id
    failed = await transitions.transition(conn, task_id, S.IN_PROGRESS, qa)
    failed = await transitions.transition(conn, task_id, S.NEEDS_REVISION, qa)
    assert failed.assigned_to == failed.claimed_by == dev.id
    assert failed.qa_verified is False


async def test_unclaim_returns_to_pool_and_abandons_the_session(conn: Conn, world: World) -> None:
    dev = world.agents[R.DEVELOPER]
    task_id = await make(conn, world)
    claimed = await claims.claim(conn, task_id, dev)
    assert claimed.work_session_id is not None
    back = await transitions.transition(conn, task_id, S.PENDING, dev)
    assert back.assigned_to is None and back.active_claimant_id is None
    assert back.work_session_id is None and back.claimed_by == dev.id
    status = await fetch(conn, "SELECT status FROM work_sessions WHERE task_id = %s", task_id)
    assert [r["status"] for r in status] == ["abandoned"]


async def test_transition_errors_name_the_task(conn: Conn, world: World) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=str(missing)):
        await transitions.transition(conn, missing, S.CLAIMED, world.agents[R.DEVELOPER])
    with pytest.raises(ValidationError, match="unknown task status"):
        await transitions.transition(conn, missing, "done", world.agents[R.DEVELOPER])
    with pytest.raises(ValidationError, match="unknown agent role"):
        await transitions.transition(conn, missing, S.CLAIMED, (uuid.uuid4(), "intern"))


async def test_cancel_takes_the_unfinished_subtree(conn: Conn, world: World) -> None:
    dev, pm = world.agents[R.DEVELOPER], world.agents[R.CELL_PM]
    root = await make(conn, world, S.IN_PROGRESS, branch_name="feature/backend/r")
    working = await make(conn, world, S.PENDING, parent_task_id=root)
    finished = await make(conn, world, S.COMPLETED, parent_task_id=root)
    deep = await make(conn, world, S.PENDING, parent_task_id=working)
    claimed = await claims.claim(conn, working, dev)
    cancelled = await transitions.transition(conn, root, S.CANCELLED, pm)
    assert cancelled.status is S.CANCELLED
    for task_id, status in ((working, S.CANCELLED), (deep, S.CANCELLED), (finished, S.COMPLETED)):
        assert (await get(conn, task_id)).status is status
    swept = await get(conn, working)
    assert swept.active_claimant_id is None and swept.last_heartbeat_at is None
    [session] = await fetch(
        conn, "SELECT status FROM work_sessions WHERE id = %s", claimed.work_session_id
    )
    assert session["status"] == "abandoned"
    [*_, event] = await audits(conn, working)
    assert event["event_type"] == "task.cancelled" and event["agent_id"] == pm.id
    assert event["details"]["from_status"] == "claimed"
    assert event["details"]["ancestor_cancelled"] == str(root)
    assert [e["event_type"] for e in await audits(conn, finished)] == []


async def test_activate_keeps_the_assignee(conn: Conn, world: World) -> None:
    dev, pm = world.agents[R.DEVELOPER], world.agents[R.CELL_PM]
    task_id = await make(conn, world, S.BACKLOG, assigned_to=dev.id)
    active = await transitions.transition(conn, task_id, S.PENDING, pm)
    assert active.status is S.PENDING and active.assigned_to == dev.id
    assert await claims.claim_next(conn, world.agents[R.DOCUMENTER]) is None  # not theirs
    got = await claims.claim_next(conn, dev)
    assert got is not None and got.id == task_id


# -- git preconditions, both ways ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst", "role", "facts", "unmet"),
    [
        (
            S.AWAITING_DOCUMENTATION,
            S.AWAITING_PM_REVIEW,
            R.DOCUMENTER,
            {},
            "docs_complete, pr_created",
        ),
        (
            S.AWAITING_DOCUMENTATION,
            S.AWAITING_PM_REVIEW,
            R.DOCUMENTER,
            {"docs_complete": True},
            "pr_created",
        ),
        (
            S.AWAITING_DOCUMENTATION,
            S.AWAITING_PM_REVIEW,
            R.DEVELOPER,
            {"pr_created": True},
            "docs_complete",
        ),
        (
            S.AWAITING_DOCUMENTATION,
            S.AWAITING_PM_REVIEW,
            R.DEVELOPER,
            {"pr_created": True, "docs_complete": True},
            None,
        ),
        (S.AWAITING_PM_REVIEW, S.AWAITING_CEO_APPROVAL, R.MAIN_PM, {}, "pr_number"),
        (S.AWAITING_PM_REVIEW, S.AWAITING_CEO_APPROVAL, R.MAIN_PM, {"pr_number": 12}, None),
        (S.CLAIMED, S.IN_PROGRESS, R.DEVELOPER, {}, "branch_name"),
        (S.CLAIMED, S.IN_PROGRESS, R.DEVELOPER, {"branch_name": ""}, "branch_name"),
        (S.CLAIMED, S.IN_PROGRESS, R.DEVELOPER, {"branch_name": "feature/backend/x"}, None),
        (S.CLAIMED, S.IN_PROGRESS, R.PR_REVIEWER, {"source": "external_pr"}, None),
        (S.CLAIMED, S.IN_PROGRESS, R.MAIN_PM, {"coordination": True}, None),
    ],
)
async def test_git_preconditions(
    conn: Conn,
    world: World,
    *,
    src: TaskStatus,
    dst: TaskStatus,
    role: AgentRole,
    facts: dict[str, Any],
    unmet: str | None,
) -> None:
    facts = dict(facts)
    if facts.pop("coordination", False):
        product = await seed_product(conn, world.creator, {})
        facts.update(project_id=None, product_id=product)
    task_id = await make(conn, world, src, assigned_to=world.agents[role].id, **facts)
    if unmet is None:
        assert (await transitions.transition(conn, task_id, dst, world.agents[role])).status is dst
        return
    with pytest.raises(TransitionRefused, match=rf"preconditions? {unmet} unmet") as refused:
        await transitions.transition(conn, task_id, dst, world.agents[role])
    assert str(task_id) in str(refused.value)
    assert (await get(conn, task_id)).status is src


async def test_facts_changed_between_read_and_write_refuse(conn: Conn, world: World) -> None:
    """The git gate is part of the conditional write: a branch dropped after the read refuses."""
    dev = world.agents[R.DEVELOPER]
    task_id = await make(
        conn, world, S.CLAIMED, branch_name="feature/backend/x", assigned_to=dev.id
    )
    task = await get(conn, task_id)
    await conn.execute("UPDATE tasks SET branch_name = NULL WHERE id = %s", (task_id,))
    with pytest.raises(TransitionRefused, match="branch_name unmet"):
        await transitions.apply_transition(conn, task, S.IN_PROGRESS, dev)
    assert (await get(conn, task_id)).status is S.CLAIMED


# -- transitions: concurrency --------------------------------------------------------------------


async def _wait_for_lock(observer: Conn, pid: int) -> None:
    for _ in range(500):
        rows = await fetch(
            observer, "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", pid
        )
        if rows and rows[0]["wait_event_type"] == "Lock":
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second writer never waited on the row lock")


@pytest.mark.parametrize("second", [S.BLOCKED, S.PAUSED])
async def test_concurrent_transitions_one_wins_one_conflicts(
    db_url: str, conn: Conn, world: World, second: TaskStatus
) -> None:
    dev = world.agents[R.DEVELOPER]
    task_id = await make(
        conn, world, S.IN_PROGRESS, branch_name="feature/backend/x", assigned_to=dev.id
    )
    await conn.commit()
    async with (
        await AsyncConnection.connect(db_url) as a,
        await AsyncConnection.connect(db_url, autocommit=True) as b,
    ):
        await transitions.transition(a, task_id, S.BLOCKED, dev)  # a holds the row, uncommitted
        loser = asyncio.create_task(transitions.transition(b, task_id, second, dev))
        await _wait_for_lock(conn, b.info.backend_pid)
        await a.commit()
        with pytest.raises(Conflict) as lost:
            await loser
    message = str(lost.value)
    assert str(task_id) in message and "found blocked" in message
    row = await get(conn, task_id)
    assert row.status is S.BLOCKED and row.pre_block_state == "in_progress"
    assert [e["event_type"] for e in await audits(conn, task_id)] == ["task.blocked"]


async def test_racing_transitions_without_a_held_lock(
    db_url: str, conn: Conn, world: World
) -> None:
    """Four writers on four connections race each task. Those that read the same state
    before writing: exactly one wins, the others get Conflict. transition() reads for itself,
    so a writer that reads after the winner committed starts from the winner's state and is
    refused (or moves on) by the edge table instead."""
    dev = world.agents[R.DEVELOPER]
    ids = [
        await make(conn, world, S.IN_PROGRESS, branch_name="feature/backend/x", assigned_to=dev.id)
        for _ in range(40)
    ]
    await conn.commit()
    targets = [S.BLOCKED, S.PAUSED, S.VERIFYING, S.AWAITING_PM_REVIEW]
    conns = [await AsyncConnection.connect(db_url, autocommit=True) for _ in range(4)]
    try:
        for n, task_id in enumerate(ids):
            if n % 2 == 0:  # all four start from the one read
                read = await get(conn, task_id)
                await conn.commit()
                runs = [
                    transitions.apply_transition(c, read, t, dev)
                    for c, t in zip(conns, targets, strict=True)
                ]
            else:
                runs = [
                    transitions.transition(c, task_id, t, dev)
                    for c, t in zip(conns, targets, strict=True)
                ]
            results = await asyncio.gather(*runs, return_exceptions=True)
            wins = [r for r in results if isinstance(r, Task)]
            lost = [r for r in results if not isinstance(r, Task)]
            assert len(wins) == 1, results
            winner = wins[0].status
            for exc in lost:
                if n % 2 == 0:
                    assert isinstance(exc, Conflict), results
                else:
                    assert isinstance(exc, Conflict | TransitionRefused), results
                    assert f"found {winner}" in str(exc) or f"{winner} -> " in str(exc)
            row = await get(conn, task_id)
            assert row.status is winner
            assert len(await audits(conn, task_id)) == 1
            await conn.commit()
    finally:
        for c in conns:
            await c.close()


# -- completion and dependents ---------------------------------------------------------------------


async def test_completion_releases_dependents_and_revives_blocked_ones(
    conn: Conn, world: World
) -> None:
    dev, pm = world.agents[R.DEVELOPER], world.agents[R.CELL_PM]
    first = await make(conn, world, S.IN_PROGRESS, branch_name="feature/backend/1")
    second = await make(conn, world, S.IN_PROGRESS, branch_name="feature/backend/2")
    waiting = await make(conn, world, S.PENDING, dependency_ids=[first, second])
    blocked = await make_held(conn, world, S.IN_PROGRESS, dev.id, branch_name="feature/backend/3")
    await graph.add_blocker(conn, blocked, first, raised_by=dev)
    assert (await get(conn, blocked)).status is S.BLOCKED

    await transitions.transition(conn, first, S.COMPLETED, pm)
    held = await get(conn, waiting)
    assert held.dependency_ids == [second] and held.completed_dependency_ids == [first]
    revived = await get(conn, blocked)
    assert revived.status is S.IN_PROGRESS and revived.assigned_to == dev.id
    assert revived.dependency_ids == [] and revived.completed_dependency_ids == [first]
    assert revived.pre_block_state is None and revived.blocker_raised_by is None
    last = (await audits(conn, blocked))[-1]
    assert last["event_type"] == "task.in_progress" and last["agent_id"] is None
    assert last["details"]["dependency_completed"] == str(first)

    assert await claims.claim_next(conn, dev) is None  # `waiting` still waits on `second`
    await transitions.transition(conn, second, S.COMPLETED, pm)
    released = await get(conn, waiting)
    assert released.dependency_ids == [] and released.completed_dependency_ids == [first, second]
    got = await claims.claim_next(conn, dev)
    assert got is not None and got.id == waiting


# -- claims ----------------------------------------------------------------------------------------


async def test_claim_names_the_branch_and_opens_the_session(conn: Conn, world: World) -> None:
    dev = world.agents[R.DEVELOPER]
    root = await tasks.create_task(conn, task_input(world.creator, project_id=world.project))
    sub = await tasks.create_task(
        conn, task_input(world.creator, project_id=world.project, parent_task_id=root.id)
    )
    leaf = await tasks.create_task(
        conn, task_input(world.creator, project_id=world.project, parent_task_id=sub.id)
    )
    got = await claims.claim(conn, leaf.id, dev)
    path = "--".join(str(t)[:8] for t in (root.id, sub.id, leaf.id))
    assert got.status is S.CLAIMED and got.branch_name == f"feature/backend/{path}"
    assert got.assigned_to == got.claimed_by == got.active_claimant_id == dev.id
    assert got.claimed_at is not None and got.last_heartbeat_at == got.claimed_at
    session = await fetch(conn, "SELECT * FROM work_sessions WHERE id = %s", got.work_session_id)
    assert len(session) == 1
    s = session[0]
    assert (s["task_id"], s["agent_id"], s["project_id"]) == (leaf.id, dev.id, world.project)
    assert s["branch_name"] == got.branch_name and s["status"] == "active"
    assert s["base_branch"] == s["target_branch"] == "main"  # the parent has no branch yet
    [event] = await audits(conn, leaf.id)
    assert event["event_type"] == "task.claimed" and event["agent_id"] == dev.id
    assert event["details"]["work_session_id"] == str(got.work_session_id)

    # a child of a branched parent works off the parent's branch
    await conn.execute(
        "UPDATE tasks SET branch_name = 'feature/backend/p' WHERE id = %s", (root.id,)
    )
    other = await tasks.create_task(
        conn, task_input(world.creator, project_id=world.project, parent_task_id=root.id)
    )
    again = await claims.claim(conn, other.id, dev)
    [s2] = await fetch(conn, "SELECT * FROM work_sessions WHERE id = %s", again.work_session_id)
    assert s2["base_branch"] == s2["target_branch"] == "feature/backend/p"


async def test_claims_that_open_no_session(conn: Conn, world: World) -> None:
    pm, reviewer = world.agents[R.CELL_PM], world.agents[R.PR_REVIEWER]
    product = await seed_product(conn, world.creator, {Team.BACKEND: world.project})
    coordination = await make(conn, world, project_id=None, product_id=product, team=Team.BACKEND)
    review = await make(conn, world, source="external_pr")
    by_pm = await claims.claim(conn, coordination, pm)
    assert by_pm.work_session_id is None  # only a developer's claim opens one
    assert by_pm.branch_name == f"feature/backend/{str(coordination)[:8]}"
    by_reviewer = await claims.claim(conn, review, reviewer)
    assert by_reviewer.branch_name is None and by_reviewer.work_session_id is None
    unmapped = await seed_product(conn, world.creator, {})
    lone = await make(conn, world, project_id=None, product_id=unmapped, team=Team.BACKEND)
    assert (await claims.claim(conn, lone, pm)).branch_name is None
    count = await fetch(conn, "SELECT count(*) AS n FROM work_sessions")
    assert count[0]["n"] == 0


async def test_claim_refusals_name_the_rule(conn: Conn, world: World) -> None:
    dev, qa, doc = world.agents[R.DEVELOPER], world.agents[R.QA], world.agents[R.DOCUMENTER]
    frontend_dev = Actor(
        await seed_agent(conn, R.DEVELOPER, Team.FRONTEND), R.DEVELOPER, Team.FRONTEND
    )
    other = await seed_agent(conn, R.DEVELOPER, Team.BACKEND)
    dep = await make(conn, world, S.IN_PROGRESS)
    cases = [
        (await make(conn, world, S.AWAITING_QA), dev, "awaiting_qa is not claimable"),
        (await make(conn, world), qa, "pending is not claimable .claims: awaiting_qa"),
        (await make(conn, world), frontend_dev, "task is for team backend, agent is in frontend"),
        (await make(conn, world, assigned_to=other), dev, f"assigned to agent {other}"),
        (
            await make(
                conn,
                world,
                S.AWAITING_DOCUMENTATION,
                orchestration_markers={"original_developer": str(doc.id)},
            ),
            doc,
            "no self-review",
        ),
        (await make(conn, world, dependency_ids=[dep]), dev, f"unfinished task.s. {dep}"),
        (await make(conn, world, S.CLAIMED), world.agents[R.CEO], "claimed is not claimable"),
    ]
    for task_id, who, why in cases:
        with pytest.raises(TransitionRefused, match=why) as refused:
            await claims.claim(conn, task_id, who)
        assert str(task_id) in str(refused.value) and who.role in str(refused.value)
    assert await fetch(conn, "SELECT 1 FROM audit_log") == []
    with pytest.raises(NotFound):
        await claims.claim(conn, uuid.uuid4(), dev)


async def test_claim_next_order_and_filters(conn: Conn, world: World) -> None:
    dev, main_pm = world.agents[R.DEVELOPER], world.agents[R.MAIN_PM]
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    at = [t0 + dt.timedelta(minutes=i) for i in range(10)]
    done = await make(conn, world, S.COMPLETED)
    cancelled = await make(conn, world, S.CANCELLED)
    running = await make(conn, world, S.IN_PROGRESS)
    other = await seed_agent(conn, R.DEVELOPER, Team.BACKEND)
    expected = [
        await make(conn, world, priority=0, created_at=at[5]),
        await make(conn, world, S.NEEDS_REVISION, priority=1, created_at=at[1]),
        await make(conn, world, priority=1, created_at=at[2], dependency_ids=[done, cancelled]),
        await make(conn, world, priority=1, created_at=at[3], assigned_to=dev.id),
        await make(conn, world, priority=3, created_at=at[0]),
    ]
    skipped = [
        await make(conn, world, priority=0, created_at=at[0], dependency_ids=[running]),
        await make(conn, world, priority=0, created_at=at[0], assigned_to=other),
        await make(conn, world, priority=0, created_at=at[0], team=Team.FRONTEND),
        await make(conn, world, S.AWAITING_QA, priority=0, created_at=at[0]),
        await make(conn, world, S.BACKLOG, priority=0, created_at=at[0]),
    ]
    got = []
    while (task := await claims.claim_next(conn, dev)) is not None:
        got.append(task.id)
    assert got == expected
    # a management role takes any team's task (a Main PM no code task); a role with no
    # claim rule gets None
    await conn.execute("UPDATE tasks SET task_type = 'planning' WHERE id = %s", (skipped[2],))
    frontend = await claims.claim_next(conn, main_pm)
    assert frontend is not None and frontend.id == skipped[2]
    assert await claims.claim_next(conn, world.agents[R.CEO]) is None


def test_the_queue_index_covers_every_claimable_status() -> None:
    """The claim statement's literal status list, the queue index's predicate and the roles'
    claim rules name the same statuses."""
    claimable = {s.value for s in set().union(*CLAIMABLE_BY_ROLE.values())}
    for path in (
        ROOT / "sql/queries/claims.sql",
        ROOT / "sql/additions/001_task_graph_indexes.sql",
    ):
        lists = [
            set(re.findall(r"'([a-z_]+)'", body))
            for body in re.findall(r"status IN \(([^)]*)\)", path.read_text())
        ]
        assert claimable in lists, path


async def test_claim_next_walks_the_queue_index(conn: Conn, world: World) -> None:
    """The queue is read in claim order from rsql_tasks_claim_queue, not sorted per claim."""
    from roboco_sql import queries

    await insert(conn, [world.row(priority=i % 4) for i in range(2000)])
    await conn.execute("ANALYZE tasks")
    q = queries.load()["claims.claim_task"]
    args = q.args(
        task_id=None,
        statuses=["pending", "needs_revision"],
        any_team=False,
        team="backend",
        agent_id=world.agents[R.DEVELOPER].id,
        self_review=False,
        no_code=False,
        max_depth=3,
        pr_review_sources=["external_pr"],
        session_id=uuid.uuid4(),
        open_session=True,
        agent_role="developer",
    )
    async with psycopg.AsyncRawCursor(conn) as cur:
        await cur.execute("EXPLAIN " + q.sql, args)
        plan = "\n".join(str(r[0]) for r in await cur.fetchall())
    assert "rsql_tasks_claim_queue" in plan, plan


# -- heartbeat, release, reaper ----------------------------------------------------------------


async def test_heartbeat_only_for_the_live_claimant(conn: Conn, world: World) -> None:
    dev, other = world.agents[R.DEVELOPER], world.agents[R.CELL_PM]
    task_id = await make(conn, world)
    claimed = await claims.claim(conn, task_id, dev)
    beat = await claims.heartbeat(conn, task_id, dev)
    assert claimed.last_heartbeat_at is not None and beat > claimed.last_heartbeat_at
    assert (await get(conn, task_id)).last_heartbeat_at == beat
    with pytest.raises(Conflict, match="holds no live claim"):
        await claims.heartbeat(conn, task_id, other)
    with pytest.raises(NotFound):
        await claims.heartbeat(conn, uuid.uuid4(), dev)


async def test_release_gives_the_task_back(conn: Conn, world: World) -> None:
    dev, other = world.agents[R.DEVELOPER], world.agents[R.CELL_PM]
    task_id = await make(conn, world)
    claimed = await claims.claim(conn, task_id, dev)
    with pytest.raises(Conflict, match="does not hold it"):
        await claims.release(conn, task_id, other)
    back = await claims.release(conn, task_id, dev)
    assert back.status is S.PENDING and back.assigned_to is None
    assert back.active_claimant_id is None and back.last_heartbeat_at is None
    assert back.work_session_id is None
    [session] = await fetch(
        conn, "SELECT status, ended_at FROM work_sessions WHERE id = %s", claimed.work_session_id
    )
    assert session["status"] == "abandoned" and session["ended_at"] is not None
    assert [e["details"]["action"] for e in await audits(conn, task_id)] == ["claim", "release"]
    with pytest.raises(TransitionRefused, match="pending is not claimed"):
        await claims.release(conn, task_id, dev)
    # released, it is anyone's again
    again = await claims.claim_next(conn, world.agents[R.DOCUMENTER])
    assert again is not None and again.id == task_id


async def test_release_of_a_blocked_task(conn: Conn, world: World) -> None:
    dev = world.agents[R.DEVELOPER]
    task_id = await make_held(conn, world, S.BLOCKED, dev.id)
    back = await claims.release(conn, task_id, dev)
    assert back.status is S.PENDING and back.assigned_to is None and back.claimed_by is None


async def test_reaper_returns_stale_claims(conn: Conn, world: World) -> None:
    dev = world.agents[R.DEVELOPER]
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    stale = await make(conn, world)
    await claims.claim(conn, stale, dev)
    await conn.execute("UPDATE tasks SET last_heartbeat_at = %s WHERE id = %s", (old, stale))
    silent = await make(
        conn, world, S.IN_PROGRESS, branch_name="b", claimed_by=dev.id, active_claimant_id=dev.id
    )
    fresh = await make(conn, world)
    await claims.claim(conn, fresh, dev)
    parked = await make(conn, world, S.PAUSED, active_claimant_id=dev.id, last_heartbeat_at=old)
    reaped = await claims.reap_stale_claims(conn, dt.timedelta(minutes=5))
    assert sorted(reaped) == sorted([stale, silent])
    for task_id in (stale, silent):
        row = await get(conn, task_id)
        assert row.status is S.PENDING and row.active_claimant_id is None
        assert row.assigned_to == row.claimed_by == dev.id  # the owner resumes it
        assert row.work_session_id is None
        [*_, last] = await audits(conn, task_id)
        assert last["event_type"] == "task.pending" and last["details"]["action"] == "reap"
    sessions = await fetch(conn, "SELECT status FROM work_sessions WHERE task_id = %s", stale)
    assert [s["status"] for s in sessions] == ["abandoned"]
    assert (await get(conn, fresh)).status is S.CLAIMED
    assert (await get(conn, parked)).status is S.PAUSED
    assert await claims.reap_stale_claims(conn, dt.timedelta(minutes=5)) == []
    # the reaped owner claims it back; with keep_owner=False it goes to the open pool
    again = await claims.claim(conn, stale, dev)
    await conn.execute("UPDATE tasks SET last_heartbeat_at = %s WHERE id = %s", (old, stale))
    assert again.status is S.CLAIMED
    assert await claims.reap_stale_claims(conn, dt.timedelta(minutes=5), keep_owner=False) == [
        stale
    ]
    assert (await get(conn, stale)).assigned_to is None
    with pytest.raises(ValidationError):
        await claims.reap_stale_claims(conn, dt.timedelta(seconds=-1))


async def test_reaper_skips_rows_another_transaction_holds(
    db_url: str, conn: Conn, world: World
) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    held, free = (
        await make(conn, world, S.CLAIMED, last_heartbeat_at=old),
        await make(conn, world, S.CLAIMED, last_heartbeat_at=old),
    )
    await conn.commit()
    async with await AsyncConnection.connect(db_url) as other:
        await other.execute("SELECT 1 FROM tasks WHERE id = %s FOR UPDATE", (held,))
        reaped = await asyncio.wait_for(
            claims.reap_stale_claims(conn, dt.timedelta(minutes=1)), timeout=5
        )
        assert reaped == [free]
        await other.rollback()
    assert await claims.reap_stale_claims(conn, dt.timedelta(minutes=1)) == [held]


# -- many workers draining one queue --------------------------------------------------------------


async def _drain(db_url: str, world: World, n: int, workers: int = 8) -> dict[str, Any]:
    """n tasks with dependencies between them, claimed by `workers` workers, each on its own
    connection, completing what it claims; returns what the workers did."""
    rng = random.Random(n)
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    ids = [uuid.uuid4() for _ in range(n)]
    rows = []
    for i, task_id in enumerate(ids):
        deps = rng.sample(ids[max(0, i - 50) : i], k=min(i, rng.choice((0, 0, 1, 2, 3))))
        rows.append(
            world.row(
                id=task_id,
                priority=rng.randrange(4),
                created_at=t0 + dt.timedelta(seconds=i),
                dependency_ids=deps,
            )
        )
    async with await AsyncConnection.connect(db_url) as setup:
        await insert(setup, rows)
        await setup.commit()
        await setup.execute("ANALYZE tasks")

    done: list[int] = [0]
    claimed_by_worker: Counter[int] = Counter()
    devs = [
        Actor(await _agent(db_url, R.DEVELOPER), R.DEVELOPER, Team.BACKEND) for _ in range(workers)
    ]
    pm = world.agents[R.CELL_PM]

    async def worker(k: int) -> None:
        idle_since: float | None = None
        loop = asyncio.get_running_loop()
        async with await AsyncConnection.connect(db_url, autocommit=True) as c:
            # durability is not under test: commits need not wait for the WAL flush
            await c.execute("SET synchronous_commit = off")
            while done[0] < n:
                task = await claims.claim_next(c, devs[k])
                if task is None:
                    idle_since = idle_since or loop.time()
                    assert loop.time() - idle_since < 30, "the queue stalled"
                    await asyncio.sleep(0.002)
                    continue
                idle_since = None
                claimed_by_worker[k] += 1
                await transitions.transition(c, task.id, S.IN_PROGRESS, devs[k])
                await transitions.transition(c, task.id, S.COMPLETED, pm)
                done[0] += 1

    await asyncio.gather(*(worker(k) for k in range(workers)))
    return {"ids": ids, "rows": rows, "per_worker": claimed_by_worker, "devs": devs}


async def _agent(db_url: str, role: AgentRole) -> uuid.UUID:
    async with await AsyncConnection.connect(db_url) as c:
        agent_id = await seed_agent(c, role, Team.BACKEND)
        await c.commit()
    return agent_id


async def _check_drained(conn: Conn, n: int, result: dict[str, Any]) -> None:
    assert sum(result["per_worker"].values()) == n
    rows = {
        r["id"]: r
        for r in await fetch(
            conn,
            "SELECT id, status, claimed_at, completed_at, claimed_by, dependency_ids,"
            " completed_dependency_ids, work_session_id FROM tasks",
        )
    }
    assert len(rows) == n
    assert all(r["status"] == "completed" and r["dependency_ids"] == [] for r in rows.values())
    claimed = await fetch(
        conn,
        "SELECT target_id, count(*) AS n FROM audit_log WHERE event_type = 'task.claimed'"
        " GROUP BY target_id",
    )
    assert len(claimed) == n and all(c["n"] == 1 for c in claimed)
    sessions = await fetch(conn, "SELECT task_id, status FROM work_sessions ORDER BY task_id")
    assert len(sessions) == n and {s["status"] for s in sessions} == {"completed"}
    devs = {d.id for d in result["devs"]}
    for row in result["rows"]:
        done = rows[row["id"]]
        assert done["claimed_by"] in devs
        assert sorted(done["completed_dependency_ids"]) == sorted(row["dependency_ids"])
        for dep in row["dependency_ids"]:
            # stamps are clock_timestamp() taken inside each statement: a dependency's
            # completion committed before the claim's snapshot, so it is strictly earlier
            assert rows[dep]["completed_at"] < done["claimed_at"]


async def test_eight_workers_drain_5000_tasks_with_dependencies(
    db_url: str, conn: Conn, world: World
) -> None:
    """8 workers, each on its own connection, claim 5,000 tasks that depend on earlier ones
    and complete what they claim: each task is claimed once, never before its dependencies
    completed, and no worker fails."""
    n = 5000
    result = await _drain(db_url, world, n)
    await _check_drained(conn, n, result)
    assert len(result["per_worker"]) == 8  # every worker got work


# -- the work graph ------------------------------------------------------------------------------


async def _tree(conn: Conn, w: World) -> dict[str, Task]:
    root = await tasks.create_task(conn, task_input(w.creator, project_id=w.project, sequence=0))
    a = await tasks.create_task(
        conn, task_input(w.creator, project_id=w.project, parent_task_id=root.id, sequence=1)
    )
    b = await tasks.create_task(
        conn, task_input(w.creator, project_id=w.project, parent_task_id=root.id, sequence=0)
    )
    a1 = await tasks.create_task(
        conn, task_input(w.creator, project_id=w.project, parent_task_id=a.id)
    )
    return {"root": root, "a": a, "b": b, "a1": a1}


async def test_subtree_and_ancestors(conn: Conn, world: World) -> None:
    t = await _tree(conn, world)
    down = await graph.subtree(conn, t["root"].id)
    assert [x.id for x in down] == [t["root"].id, t["b"].id, t["a"].id, t["a1"].id]
    assert [x.id for x in await graph.subtree(conn, t["a"].id)] == [t["a"].id, t["a1"].id]
    assert [x.id for x in await graph.ancestors(conn, t["a1"].id)] == [t["a"].id, t["root"].id]
    assert await graph.ancestors(conn, t["root"].id) == []
    assert await graph.subtree(conn, uuid.uuid4()) == []
    # a loop in old data ends the walks instead of running forever
    await conn.execute(
        "UPDATE tasks SET parent_task_id = %s WHERE id = %s", (t["a1"].id, t["root"].id)
    )
    assert len(await graph.subtree(conn, t["root"].id)) == 4
    assert len(await graph.ancestors(conn, t["a1"].id)) == 2


async def test_depth_over_three_is_refused(conn: Conn, world: World) -> None:
    t = await _tree(conn, world)
    with pytest.raises(ValidationError, match="MAX_TASK_DEPTH=3"):
        await tasks.create_task(
            conn, task_input(world.creator, project_id=world.project, parent_task_id=t["a1"].id)
        )
    # b (a leaf at level 2) cannot take a's subtree (2 levels) under it: 4 levels
    with pytest.raises(ValidationError, match="reach 4 levels, over MAX_DEPTH=3"):
        await graph.set_parent(conn, t["a"].id, t["b"].id)
    moved = await graph.set_parent(conn, t["a1"].id, t["b"].id)
    assert moved.parent_task_id == t["b"].id
    root = await graph.set_parent(conn, t["a"].id, None)
    assert root.parent_task_id is None
    with pytest.raises(NotFound):
        await graph.set_parent(conn, uuid.uuid4(), None)
    with pytest.raises(NotFound):
        await graph.set_parent(conn, t["b"].id, uuid.uuid4())


async def test_parent_cycles_are_refused(conn: Conn, world: World) -> None:
    t = await _tree(conn, world)
    for child in ("root", "a"):
        with pytest.raises(ValidationError, match="parent cycle"):
            await graph.set_parent(conn, t[child].id, t["a1"].id if child == "a" else t["a"].id)
    with pytest.raises(ValidationError, match="parent cycle"):
        await graph.set_parent(conn, t["b"].id, t["b"].id)
    assert [x.id for x in await graph.ancestors(conn, t["a1"].id)] == [t["a"].id, t["root"].id]


async def test_blockers_record_both_sides_and_refuse_cycles(conn: Conn, world: World) -> None:
    dev = world.agents[R.DEVELOPER]
    a = await make(conn, world, S.IN_PROGRESS, branch_name="x", assigned_to=dev.id)
    b = await make(conn, world)
    c = await make(conn, world)
    blocked = await graph.add_blocker(conn, a, b, BlockerResolverType.HUMAN, raised_by=dev)
    assert blocked.status is S.BLOCKED and blocked.dependency_ids == [b]
    assert blocked.blocker_resolver_type is BlockerResolverType.HUMAN
    assert blocked.blocker_raised_by == dev.id and blocked.pre_block_state == "in_progress"
    assert (await get(conn, b)).blocker_ids == [a]
    again = await graph.add_blocker(conn, a, b)  # already recorded: no duplicates
    assert again.dependency_ids == [b] and (await get(conn, b)).blocker_ids == [a]
    held = await graph.add_blocker(conn, b, c)  # a pending task is held, not moved
    assert held.status is S.PENDING and held.dependency_ids == [c]
    with pytest.raises(ValidationError, match="cycle"):
        await graph.add_blocker(conn, c, a)  # a waits on b, b on c
    with pytest.raises(ValidationError, match="itself"):
        await graph.add_blocker(conn, a, a)
    done = await make(conn, world, S.COMPLETED)
    with pytest.raises(TransitionRefused, match="completed"):
        await graph.add_blocker(conn, done, c)
    late = await graph.add_blocker(conn, c, done)  # a finished blocker holds nothing
    assert late.dependency_ids == [] and late.completed_dependency_ids == [done]
    with pytest.raises(NotFound, match="blocker task"):
        await graph.add_blocker(conn, c, uuid.uuid4())

    resolved = await graph.resolve_blocker(conn, a, b, actor=world.agents[R.CELL_PM])
    assert resolved.status is S.IN_PROGRESS and resolved.dependency_ids == []
    assert resolved.assigned_to == dev.id and resolved.pre_block_state is None
    assert (await get(conn, b)).blocker_ids == []
    with pytest.raises(NotFound, match="not blocked by"):
        await graph.resolve_blocker(conn, a, b)


async def test_fan_out_routes_each_cell_to_its_project(conn: Conn, world: World) -> None:
    fe = await seed_project(conn, world.creator, Team.FRONTEND)
    ux = await seed_project(conn, world.creator, Team.UX_UI)
    product = await seed_product(
        conn, world.creator, {Team.BACKEND: world.project, Team.FRONTEND: fe, Team.UX_UI: ux}
    )
    upstream = await make(conn, world, S.IN_PROGRESS)
    parent = await tasks.create_task(
        conn,
        task_input(
            world.creator,
            product_id=product,
            team=Team.MAIN_PM,
            priority=1,
            dependency_ids=[upstream],
        ),
    )
    dev = world.agents[R.DEVELOPER].id
    children = await graph.fan_out(
        conn,
        parent.id,
        [Team.BACKEND, Team.FRONTEND, Team.UX_UI],
        created_by=world.creator,
        assignees={Team.BACKEND: dev},
    )
    assert [c.team for c in children] == [Team.BACKEND, Team.FRONTEND, Team.UX_UI]
    assert [c.project_id for c in children] == [world.project, fe, ux]
    ux_child = children[2]
    for child in children:
        assert child.product_id is None and child.parent_task_id == parent.id
        assert child.priority == 1 and child.parent_ac_refs == parent.acceptance_criteria_ids
        assert child.title.endswith(f"[{child.team}]")
    assert [c.sequence for c in children] == [0, 1, 2]
    assert children[0].assigned_to == dev and children[1].assigned_to is None
    assert children[0].dependency_ids == [upstream, ux_child.id]
    assert children[1].dependency_ids == [upstream, ux_child.id]
    assert ux_child.dependency_ids == [upstream]
    sub = await graph.subtree(conn, parent.id)
    assert [x.id for x in sub] == [parent.id, *(c.id for c in children)]

    with pytest.raises(Conflict, match=r"already has a child for cell\(s\) backend"):
        await graph.fan_out(conn, parent.id, [Team.BACKEND], created_by=world.creator)
    with pytest.raises(ValidationError, match="not a coordination task"):
        await graph.fan_out(conn, children[0].id, [Team.BACKEND], created_by=world.creator)
    with pytest.raises(ValidationError, match="distinct cells"):
        await graph.fan_out(conn, parent.id, [Team.BOARD], created_by=world.creator)
    lone = await tasks.create_task(
        conn, task_input(world.creator, product_id=await seed_product(conn, world.creator, {}))
    )
    with pytest.raises(ValidationError, match="maps no project for cell frontend"):
        await graph.fan_out(conn, lone.id, [Team.FRONTEND], created_by=world.creator)
    assert await graph.subtree(conn, lone.id) == [await get(conn, lone.id)]


async def test_work_session_outcome_follows_the_task(conn: Conn, world: World) -> None:
    dev, pm = world.agents[R.DEVELOPER], world.agents[R.CELL_PM]
    finished, dropped = await make(conn, world), await make(conn, world)
    for task_id in (finished, dropped):
        await claims.claim(conn, task_id, dev)
        await transitions.transition(conn, task_id, S.IN_PROGRESS, dev)
    await transitions.transition(conn, finished, S.COMPLETED, pm)
    await transitions.transition(conn, dropped, S.CANCELLED, pm)
    outcome = {
        r["task_id"]: r["status"]
        for r in await fetch(conn, "SELECT task_id, status FROM work_sessions")
    }
    assert outcome == {
        finished: WorkSessionStatus.COMPLETED,
        dropped: WorkSessionStatus.ABANDONED,
    }
