"""roboco_sql.repos.tasks against a real database, and revision 045 (the task scope rule)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import (
    ConfigError,
    Conflict,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.migrate.runner import Options
from roboco_sql.models.base import JsonArray, JsonObject
from roboco_sql.models.enums import Complexity, TaskNature, TaskStatus, TaskType, Team
from roboco_sql.models.task import MAX_TASK_DEPTH, Task, TaskCreate, TaskUpdate
from roboco_sql.repos import tasks
from tests.fix_tasks import keyset_pages

Conn = AsyncConnection[Any]


# -- seed rows, written raw so these tests do not depend on other aggregates' repos -----------


async def seed_agent(conn: Conn, slug: str | None = None) -> uuid.UUID:
    agent_id = uuid.uuid4()
    await conn.execute(
        """
        INSERT INTO agents (id, name, slug, role, team, status, model_config, system_prompt,
            capabilities, permissions, metrics, created_at)
        VALUES (%s, %s, %s, 'developer', 'backend', 'offline', '{}', 'x', '{}', '{}', '{}', now())
        """,
        (agent_id, slug or "agent", slug or f"agent-{agent_id.hex[:8]}"),
    )
    return agent_id


async def seed_project(conn: Conn, created_by: uuid.UUID) -> uuid.UUID:
    project_id = uuid.uuid4()
    await conn.execute(
        """
        INSERT INTO projects (id, name, slug, git_url, default_branch, protected_branches,
            assigned_cell, created_by, is_active, created_at)
        VALUES (%s, 'p', %s, 'https://example.com/p.git', 'main', '{main}', 'backend', %s, true,
            now())
        """,
        (project_id, f"p-{project_id.hex[:8]}", created_by),
    )
    return project_id


async def seed_product(conn: Conn, created_by: uuid.UUID) -> uuid.UUID:
    product_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO products (id, name, slug, created_by, created_at) "
        "VALUES (%s, 'pr', %s, %s, now())",
        (product_id, f"pr-{product_id.hex[:8]}", created_by),
    )
    return product_id


def task_input(created_by: uuid.UUID, **kw: Any) -> TaskCreate:
    if "product_id" not in kw:
        kw.setdefault("project_id", None)
    return TaskCreate(
        title=kw.pop("title", "Add the login endpoint"),
        description=kw.pop("description", "Users sign in with a password and get a session."),
        acceptance_criteria=kw.pop("acceptance_criteria", ["returns 200", "sets a cookie"]),
        task_type=kw.pop("task_type", TaskType.CODE),
        nature=kw.pop("nature", TaskNature.TECHNICAL),
        estimated_complexity=kw.pop("estimated_complexity", Complexity.MEDIUM),
        team=kw.pop("team", Team.BACKEND),
        created_by=created_by,
        **kw,
    )


async def scalar(conn: Conn, sql: str, *args: Any) -> Any:
    cur = await conn.execute(sql, args)
    row = await cur.fetchone()
    assert row is not None
    return row[0]


async def count_tasks(conn: Conn) -> int:
    return int(await scalar(conn, "SELECT count(*) FROM tasks"))


@pytest.fixture
async def world(conn: Conn) -> dict[str, uuid.UUID]:
    agent = await seed_agent(conn, "be-dev-1")
    return {
        "agent": agent,
        "project": await seed_project(conn, agent),
        "product": await seed_product(conn, agent),
    }


# -- create / get ---------------------------------------------------------------------------


async def test_create_writes_starting_values_and_get_reads_them(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    data = task_input(world["agent"], project_id=world["project"], priority=1, sequence=4)
    created = await tasks.create_task(conn, data)
    assert created.id == data.id
    assert created.status is TaskStatus.PENDING
    assert created.project_id == world["project"] and created.product_id is None
    assert (created.priority, created.sequence) == (1, 4)
    assert created.acceptance_criteria == ["returns 200", "sets a cookie"]
    assert created.acceptance_criteria_ids == data.acceptance_criteria_ids
    assert len(created.acceptance_criteria_ids) == 2
    # the columns a new task does not choose start as RoboCo starts them
    assert not (created.docs_complete or created.pr_created or created.board_review_complete)
    assert not (created.self_verified or created.qa_evidence_inspected)
    assert created.blocker_ids == [] and created.completed_dependency_ids == []
    assert created.checkpoints == created.progress_updates == created.commits == []
    assert created.documents == created.acceptance_criteria_status == []
    assert created.updated_at is None and created.claimed_at is None and created.plan is None
    assert created.qa_verified is None and created.source == "manual"
    assert await tasks.get_task(conn, data.id) == created


async def test_create_product_task(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    created = await tasks.create_task(
        conn, task_input(world["agent"], product_id=world["product"], status=TaskStatus.BACKLOG)
    )
    assert created.product_id == world["product"] and created.project_id is None
    assert created.status is TaskStatus.BACKLOG


async def test_duplicate_id_is_a_conflict(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    data = task_input(world["agent"], project_id=world["project"])
    await tasks.create_task(conn, data)
    with pytest.raises(Conflict, match=rf"task with id={data.id} already exists"):
        async with conn.transaction():
            await tasks.create_task(conn, data)
    assert await count_tasks(conn) == 1


@pytest.mark.parametrize("missing", ["created_by", "project_id", "product_id", "assigned_to"])
async def test_missing_reference_is_not_found(
    conn: Conn, world: dict[str, uuid.UUID], missing: str
) -> None:
    kw: dict[str, Any] = {"project_id": world["project"]}
    if missing == "product_id":
        kw = {"product_id": uuid.uuid4()}
    elif missing != "created_by":
        kw[missing] = uuid.uuid4()
    creator = uuid.uuid4() if missing == "created_by" else world["agent"]
    table = {"project_id": "projects", "product_id": "products"}.get(missing, "agents")
    with pytest.raises(NotFound, match=rf"task: no {table} row with {missing}="):
        async with conn.transaction():
            await tasks.create_task(conn, task_input(creator, **kw))
    assert await count_tasks(conn) == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"description": "too short"},
        {"acceptance_criteria": []},
        {"priority": 4},
        {"project_id": None},  # neither scope
        {"unknown_field": 1},
    ],
)
async def test_invalid_input_is_refused_before_sql(
    conn: Conn, world: dict[str, uuid.UUID], bad: dict[str, Any]
) -> None:
    kw: dict[str, Any] = {"project_id": world["project"], **bad}
    with pytest.raises(pydantic.ValidationError):
        await tasks.create_task(conn, task_input(world["agent"], **kw))
    assert await count_tasks(conn) == 0


async def test_parent_depth_is_enforced_in_the_insert(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    parent: uuid.UUID | None = None
    for _ in range(MAX_TASK_DEPTH):  # root, child, grandchild: depth 3 is the limit
        made = await tasks.create_task(
            conn, task_input(world["agent"], project_id=world["project"], parent_task_id=parent)
        )
        parent = made.id
    with pytest.raises(ValidationError, match=f"MAX_TASK_DEPTH={MAX_TASK_DEPTH}"):
        await tasks.create_task(  # no SQL error: the insert just writes no row
            conn, task_input(world["agent"], project_id=world["project"], parent_task_id=parent)
        )
    assert await count_tasks(conn) == MAX_TASK_DEPTH
    with pytest.raises(NotFound, match="no tasks row with parent_task_id="):
        async with conn.transaction():
            await tasks.create_task(
                conn,
                task_input(
                    world["agent"], project_id=world["project"], parent_task_id=uuid.uuid4()
                ),
            )


async def test_a_parent_cycle_is_refused_not_looped(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    a = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
    b = await tasks.create_task(
        conn, task_input(world["agent"], project_id=world["project"], parent_task_id=a.id)
    )
    await conn.execute("UPDATE tasks SET parent_task_id = %s WHERE id = %s", (b.id, a.id))
    with pytest.raises(ValidationError, match="loops"):
        await tasks.create_task(
            conn, task_input(world["agent"], project_id=world["project"], parent_task_id=a.id)
        )


# -- list ------------------------------------------------------------------------------------


async def test_list_filters(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    agent, project, product = world["agent"], world["project"], world["product"]
    other = await seed_agent(conn, "fe-dev-1")
    root = await tasks.create_task(conn, task_input(agent, project_id=project))
    child = await tasks.create_task(
        conn,
        task_input(
            other,
            project_id=project,
            parent_task_id=root.id,
            team=Team.FRONTEND,
            assigned_to=agent,
        ),
    )
    blocked = await tasks.create_task(
        conn, task_input(agent, product_id=product, status=TaskStatus.BACKLOG)
    )

    async def ids(**kw: Any) -> set[uuid.UUID]:
        return {t.id for t in await tasks.list_tasks(conn, **kw)}

    assert await ids() == {root.id, child.id, blocked.id}
    assert await ids(status=TaskStatus.BACKLOG) == {blocked.id}
    assert await ids(status=[TaskStatus.BACKLOG, TaskStatus.PENDING]) == {
        root.id,
        child.id,
        blocked.id,
    }
    assert await ids(status=[]) == set()
    assert await ids(team=Team.FRONTEND) == {child.id}
    assert await ids(project_id=project) == {root.id, child.id}
    assert await ids(product_id=product) == {blocked.id}
    assert await ids(assigned_to=agent) == {child.id}
    assert await ids(created_by=other) == {child.id}
    assert await ids(parent_task_id=root.id) == {child.id}
    assert await ids(project_id=project, status=TaskStatus.BACKLOG) == set()


async def test_list_board_order_and_keyset_pages(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    made: list[Task] = []
    for i in range(13):
        made.append(
            await tasks.create_task(
                conn,
                task_input(
                    world["agent"],
                    project_id=world["project"],
                    priority=i % 3,
                    # pairs share a timestamp, so the id breaks ties
                    created_at=start + dt.timedelta(minutes=i // 2),
                ),
            )
        )
    # priority first, then newest first, id descending on equal timestamps (sorts are stable)
    newest_first = sorted(made, key=lambda t: (t.created_at, t.id), reverse=True)
    expected = sorted(newest_first, key=lambda t: t.priority)

    pages = await keyset_pages(lambda after: tasks.list_tasks(conn, after=after, limit=4))
    assert [len(p) for p in pages] == [4, 4, 4, 1]
    assert [t.id for p in pages for t in p] == [t.id for t in expected]


# -- update ----------------------------------------------------------------------------------


async def test_update_writes_only_what_was_set(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    created = await tasks.create_task(
        conn, task_input(world["agent"], project_id=world["project"], assigned_to=world["agent"])
    )
    updated = await tasks.update_task(
        conn,
        created.id,
        TaskUpdate(
            title="Add the logout endpoint",
            priority=0,
            assigned_to=None,
            dev_notes="started",
            estimated_complexity=Complexity.HIGH,
            branch_name="feature/logout",
            pr_number=12,
            docs_complete=True,
        ),
    )
    assert updated.title == "Add the logout endpoint"
    assert updated.priority == 0
    assert updated.assigned_to is None  # an explicit None writes NULL
    assert updated.dev_notes == "started"
    assert updated.estimated_complexity is Complexity.HIGH
    assert (updated.branch_name, updated.pr_number, updated.docs_complete) == (
        "feature/logout",
        12,
        True,
    )
    assert updated.updated_at is not None
    # untouched fields stay
    assert updated.description == created.description
    assert updated.status is created.status
    assert updated.acceptance_criteria_ids == created.acceptance_criteria_ids
    assert updated.project_id == created.project_id
    assert await tasks.get_task(conn, created.id) == updated


async def test_update_keeps_criteria_ids_one_to_one(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    """As RoboCo reconciles them: unchanged text keeps its id wherever it moves, a reworded or
    new criterion gets a fresh one, a dropped one loses its id, duplicates pair in order."""
    created = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
    ok, cookie = created.acceptance_criteria_ids
    grown = await tasks.update_task(
        conn, created.id, TaskUpdate(acceptance_criteria=["logs", "sets a cookie", "returns 200!"])
    )
    assert grown.acceptance_criteria == ["logs", "sets a cookie", "returns 200!"]
    logs, kept, reworded = grown.acceptance_criteria_ids
    assert kept == cookie  # unchanged text keeps its id
    assert len({logs, reworded, ok, cookie}) == 4 and all(len(i) == 32 for i in (logs, reworded))
    moved = await tasks.update_task(
        conn, created.id, TaskUpdate(acceptance_criteria=["sets a cookie", "logs", "logs"])
    )
    assert moved.acceptance_criteria_ids[:2] == [cookie, logs]
    assert moved.acceptance_criteria_ids[2] not in (cookie, logs, reworded)
    twice = moved.acceptance_criteria_ids[2]
    shrunk = await tasks.update_task(conn, created.id, TaskUpdate(acceptance_criteria=["logs"]))
    assert shrunk.acceptance_criteria_ids == [logs]  # the first "logs" keeps the first id
    again = await tasks.update_task(
        conn, created.id, TaskUpdate(acceptance_criteria=["logs", "logs"])
    )
    assert again.acceptance_criteria_ids[0] == logs and again.acceptance_criteria_ids[1] != twice


async def test_update_moves_scope_whole(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    created = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
    moved = await tasks.update_task(conn, created.id, TaskUpdate(product_id=world["product"]))
    assert (moved.project_id, moved.product_id) == (None, world["product"])
    with pytest.raises(pydantic.ValidationError):
        TaskUpdate(project_id=world["project"], product_id=world["product"])


async def test_update_errors(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"task {missing} not found"):
        await tasks.update_task(conn, missing, TaskUpdate(title="x"))
    with pytest.raises(NotFound, match=f"task {missing} not found"):
        await tasks.update_task(conn, missing, TaskUpdate())
    created = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
    with pytest.raises(NotFound, match="no agents row with assigned_to="):
        async with conn.transaction():
            await tasks.update_task(conn, created.id, TaskUpdate(assigned_to=uuid.uuid4()))
    with pytest.raises(pydantic.ValidationError):
        TaskUpdate(title=None)  # NOT NULL column
    with pytest.raises(pydantic.ValidationError):
        TaskUpdate(status=TaskStatus.COMPLETED)  # type: ignore[call-arg]  # lifecycle only
    assert await tasks.get_task(conn, created.id) == created
    same = await tasks.update_task(conn, created.id, TaskUpdate())
    assert same == created and same.updated_at is None


# -- delete ----------------------------------------------------------------------------------


async def test_delete_takes_the_subtree(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    kw = {"project_id": world["project"]}
    root = await tasks.create_task(conn, task_input(world["agent"], **kw))
    child = await tasks.create_task(conn, task_input(world["agent"], parent_task_id=root.id, **kw))
    await tasks.create_task(conn, task_input(world["agent"], parent_task_id=child.id, **kw))
    keep = await tasks.create_task(conn, task_input(world["agent"], **kw))
    await conn.execute("UPDATE agents SET current_task_id = %s", (child.id,))
    assert await tasks.delete_task(conn, root.id) == 3
    assert [t.id for t in await tasks.list_tasks(conn)] == [keep.id]
    assert await scalar(conn, "SELECT current_task_id FROM agents") is None
    with pytest.raises(NotFound, match=f"task {root.id} not found"):
        await tasks.delete_task(conn, root.id)


# -- the scope rule (the task_scope_check addition, off by default) ---------------------------

WITH_SCOPE = Options(additions=frozenset({"default", "task_scope_check"}))


async def with_scope_check(url: str, target: str | None = None) -> list[str]:
    """Migrate with the scope addition turned on; what the runner said."""
    said: list[str] = []
    await asyncio.to_thread(
        migrate, url, load_chain(), target, options=WITH_SCOPE, echo=said.append
    )
    return said


async def constraint_validated(conn: Conn) -> bool:
    return bool(
        await scalar(
            conn,
            "SELECT bool_or(convalidated) FROM pg_constraint "
            "WHERE conname = 'rsql_tasks_scope' AND conrelid = 'tasks'::regclass",
        )
    )


async def test_scope_check_is_off_by_default(conn: Conn) -> None:
    """RoboCo's delegation writes both ids on cell subtasks: by default nothing refuses it."""
    assert not await constraint_validated(conn)
    assert await scalar(conn, "SELECT to_regclass('rsql_tasks_claim_queue') IS NOT NULL")


async def test_validate_scope_without_the_addition_says_it_is_not_installed(conn: Conn) -> None:
    """By default there is no rsql_tasks_scope: a ConfigError naming the addition and the
    setting, not the server's raw UndefinedObject."""
    with pytest.raises(
        ConfigError, match=r"^tasks: the task_scope_check addition is not installed.*ADDITIONS"
    ):
        await tasks.validate_scope(conn)


async def test_clean_database_has_the_constraint_validated(conn: Conn, db_url: str) -> None:
    await with_scope_check(db_url)
    assert await constraint_validated(conn)
    assert await tasks.scope_violations(conn) == []
    await tasks.validate_scope(conn)  # a no-op on a valid constraint
    assert await constraint_validated(conn)


@pytest.mark.parametrize("scope", ["both", "neither"])
async def test_database_refuses_a_bad_scope_the_model_would_refuse(
    conn: Conn, db_url: str, world: dict[str, uuid.UUID], scope: str
) -> None:
    await with_scope_check(db_url)
    ids = (world["project"], world["product"]) if scope == "both" else (None, None)
    with pytest.raises(pydantic.ValidationError, match="exactly one of project_id"):
        task_input(world["agent"], project_id=ids[0], product_id=ids[1])
    # a caller that skips the model still meets the CHECK constraint
    unchecked = task_input(world["agent"], project_id=world["project"]).model_copy(
        update={"project_id": ids[0], "product_id": ids[1]}
    )
    with pytest.raises(ValidationError, match="task: violates rsql_tasks_scope"):
        async with conn.transaction():
            await tasks.create_task(conn, unchecked)
    assert await count_tasks(conn) == 0


async def test_scope_check_on_a_database_holding_violating_rows(empty_url: str) -> None:
    """21 tasks set both ids and 2 neither; the addition applies, warns, stays NOT VALID."""
    chain = load_chain()
    await asyncio.to_thread(migrate, empty_url, chain)  # the default: no scope check
    async with await psycopg.AsyncConnection.connect(empty_url, autocommit=True) as conn:
        agent = await seed_agent(conn, "be-dev-1")
        project = await seed_project(conn, agent)
        product = await seed_product(conn, agent)
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        bad: list[uuid.UUID] = []
        for i in range(24):
            data = task_input(agent, project_id=project, created_at=start + dt.timedelta(minutes=i))
            if i < 21:
                data = data.model_copy(update={"product_id": product})
            elif i < 23:
                data = data.model_copy(update={"project_id": None})
            made = await tasks.create_task(conn, data)  # no CHECK yet
            if i < 23:
                bad.append(made.id)

    said = await with_scope_check(empty_url)
    warning = next(line for line in said if "rsql_tasks_scope" in line)
    assert "addition task_scope_check: WARNING: 23 task(s) set both or neither" in warning
    assert all(str(i) in warning for i in bad[:20])  # the first 20 by age, by id
    assert str(bad[20]) not in warning and "(and 3 more)" in warning

    async with await psycopg.AsyncConnection.connect(empty_url, autocommit=True) as conn:
        assert not await constraint_validated(conn)
        assert await tasks.scope_violations(conn) == bad
        with pytest.raises(ValidationError, match="fix the rows scope_violations"):
            await tasks.validate_scope(conn)
        # a violating row cannot be edited until its scope is fixed ...
        with pytest.raises(ValidationError, match="task: violates rsql_tasks_scope"):
            await tasks.update_task(conn, bad[0], TaskUpdate(title="still both"))
        # ... and fixing it is an update of the scope
        for task_id in bad:
            await tasks.update_task(conn, task_id, TaskUpdate(project_id=project))
        assert await tasks.scope_violations(conn) == []
        await tasks.validate_scope(conn)
        assert await constraint_validated(conn)
        fixed = await tasks.get_task(conn, bad[0])
        assert fixed is not None and (fixed.project_id, fixed.product_id) == (project, None)


async def test_scope_check_on_a_clean_database_validates(empty_url: str) -> None:
    chain = load_chain()
    await asyncio.to_thread(migrate, empty_url, chain)  # the default: no scope check
    async with await psycopg.AsyncConnection.connect(empty_url, autocommit=True) as conn:
        agent = await seed_agent(conn, "be-dev-1")
        await tasks.create_task(conn, task_input(agent, project_id=await seed_project(conn, agent)))
    said = await with_scope_check(empty_url)
    assert not any("rsql_tasks_scope" in line for line in said)
    async with await psycopg.AsyncConnection.connect(empty_url) as conn:
        assert await constraint_validated(conn)


# -- issue 18: origin data at create, the wider patch, sibling order, ownership, hand-over -----


async def test_create_carries_pr_and_origin_markers(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    """RoboCo's external-PR review task is born with its PR, head and author markers."""
    data = task_input(
        world["agent"],
        project_id=world["project"],
        source="external_pr",
        pr_number=42,
        pr_url="https://git.example/p/pull/42",
        branch_name="supersede/pr-42",
        orchestration_markers={"external_pr_head": "abc1234", "external_pr_author": "octo"},
    )
    created = await tasks.create_task(conn, data)
    assert (created.pr_number, created.pr_url, created.branch_name) == (
        42,
        "https://git.example/p/pull/42",
        "supersede/pr-42",
    )
    assert created.orchestration_markers == {
        "external_pr_head": "abc1234",
        "external_pr_author": "octo",
    }
    assert created.source == "external_pr" and not created.confirmed_by_human
    # ... and the supersede umbrella the CEO authorizes carries the cut branch and a link back
    umbrella = await tasks.create_task(
        conn,
        task_input(
            world["agent"],
            project_id=world["project"],
            team=Team.MAIN_PM,
            task_type=TaskType.PLANNING,
            source="external_pr_supersede",
            confirmed_by_human=True,
            branch_name="roboco/supersede-42",
            orchestration_markers={
                "external_pr_supersede": f"pr=42 review={created.id} author=octo"
            },
        ),
    )
    assert umbrella.branch_name == "roboco/supersede-42" and umbrella.confirmed_by_human
    assert umbrella.orchestration_markers == {
        "external_pr_supersede": f"pr=42 review={created.id} author=octo"
    }
    plain = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
    assert plain.orchestration_markers is None and plain.pr_number is None
    with pytest.raises(pydantic.ValidationError, match="'mood' is not an orchestration marker"):
        task_input(world["agent"], project_id=world["project"], orchestration_markers={"mood": 1})
    with pytest.raises(pydantic.ValidationError, match="marker dismissed takes flag"):
        task_input(
            world["agent"], project_id=world["project"], orchestration_markers={"dismissed": 1}
        )


async def test_update_writes_the_fields_roboco_patches(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    created = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
    pm = await seed_agent(conn, "main-pm")
    plan: JsonObject = {
        "approach": "split it",
        "sub_tasks": [{"id": "s1", "title": "one", "order": 0}],
    }
    progress: JsonArray = [{"timestamp": "2026-01-01T00:00:00+00:00", "message": "imported"}]
    updated = await tasks.update_task(
        conn,
        created.id,
        TaskUpdate(
            sequence=3,
            team=Team.MAIN_PM,
            assigned_to=pm,
            claimed_by=pm,
            confirmed_by_human=True,
            source="self_heal",
            budget_usd=12.5,
            pm_notes="watch the budget",
            plan=plan,
            notes_structured={"resumption": {"next": "tests"}},
            progress_updates=progress,
            checkpoints=[],
            commits=[{"hash": "a1b2c3d", "message": "m"}],
        ),
    )
    assert (updated.sequence, updated.team, updated.claimed_by) == (3, Team.MAIN_PM, pm)
    assert (updated.confirmed_by_human, updated.source, updated.budget_usd) == (
        True,
        "self_heal",
        12.5,
    )
    assert updated.pm_notes == "watch the budget" and updated.plan == plan
    assert updated.notes_structured == {"resumption": {"next": "tests"}}
    assert updated.progress_updates == progress
    assert updated.commits == [{"hash": "a1b2c3d", "message": "m"}]
    assert updated.title == created.title and updated.priority == created.priority
    cleared = await tasks.update_task(
        conn, created.id, TaskUpdate(claimed_by=None, budget_usd=None, plan=None)
    )
    assert (cleared.claimed_by, cleared.budget_usd, cleared.plan) == (None, None, None)
    assert cleared.assigned_to == pm  # untouched
    for bad in ({"sequence": -1}, {"budget_usd": 0}, {"team": None}, {"commits": None}):
        with pytest.raises(pydantic.ValidationError):
            TaskUpdate(**bad)


async def test_set_sequence_orders_siblings_and_skips_a_no_op(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    created = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
    moved = await tasks.set_sequence(conn, created.id, 2)
    assert moved.sequence == 2 and moved.updated_at is not None
    same = await tasks.set_sequence(conn, created.id, 2)
    assert same == moved  # the same value writes nothing, updated_at included
    for bad in (-1, True, 1.5):
        with pytest.raises(ValidationError, match="sequence must be a non-negative integer"):
            await tasks.set_sequence(conn, created.id, bad)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await tasks.set_sequence(conn, uuid.uuid4(), 1)


async def test_reassign_moves_owner_and_drops_a_stale_claim(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    dev, qa = world["agent"], await seed_agent(conn, "be-qa")
    created = await tasks.create_task(
        conn, task_input(dev, project_id=world["project"], status=TaskStatus.AWAITING_QA)
    )
    await conn.execute(
        "UPDATE tasks SET assigned_to = %s, claimed_by = %s, active_claimant_id = %s WHERE id = %s",
        (dev, dev, dev, created.id),
    )
    handed = await tasks.reassign(conn, created.id, qa)
    assert (handed.assigned_to, handed.claimed_by, handed.active_claimant_id) == (qa, qa, None)
    assert handed.status is TaskStatus.AWAITING_QA  # not a transition
    await conn.execute("UPDATE tasks SET active_claimant_id = %s WHERE id = %s", (qa, created.id))
    again = await tasks.reassign(conn, created.id, qa)
    assert again.active_claimant_id == qa  # the new owner's own claim stays
    nobody = await tasks.reassign(conn, created.id, None)
    assert (nobody.assigned_to, nobody.claimed_by, nobody.active_claimant_id) == (None,) * 3
    with pytest.raises(NotFound, match="new_assignee: no agent"):
        await tasks.reassign(conn, created.id, uuid.uuid4())
    with pytest.raises(NotFound, match="not found"):
        await tasks.reassign(conn, uuid.uuid4(), qa)


async def test_reassign_active_claim_hands_over_a_live_claim(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    old, new, pm = world["agent"], await seed_agent(conn, "be-dev-2"), await seed_agent(conn)
    created = await tasks.create_task(
        conn, task_input(old, project_id=world["project"], status=TaskStatus.IN_PROGRESS)
    )
    session_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO work_sessions (id, project_id, task_id, agent_id, branch_name, base_branch,"
        " target_branch, started_at, status, commits, files_modified, created_at)"
        " VALUES (%s, %s, %s, %s, 'feature/x', 'main', 'main', now(), 'active', '{}', '{}',"
        " now())",
        (session_id, world["project"], created.id, old),
    )
    stale = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    await conn.execute(
        "UPDATE tasks SET assigned_to = %s, claimed_by = %s, active_claimant_id = %s,"
        " claimed_at = %s, last_heartbeat_at = %s, work_session_id = %s,"
        " stalled_reason = 'respawn breaker', stalled_since = %s WHERE id = %s",
        (old, old, old, stale, stale, session_id, stale, created.id),
    )
    await conn.execute(
        "UPDATE agents SET status = 'active', current_task_id = %s WHERE id = %s",
        (created.id, old),
    )
    handed = await tasks.reassign_active_claim(conn, created.id, new, actor_id=pm)
    assert (handed.assigned_to, handed.claimed_by, handed.active_claimant_id) == (new,) * 3
    assert handed.claimed_at is not None and handed.claimed_at > stale
    assert handed.last_heartbeat_at == handed.claimed_at
    assert (handed.stalled_reason, handed.stalled_since) == (None, None)
    assert handed.status is TaskStatus.IN_PROGRESS  # not re-queued
    assert handed.work_session_id == session_id  # the branch's session stays with the task
    agents = await conn.execute(
        "SELECT id, status::text, current_task_id FROM agents WHERE id = ANY(%s)", ([old, new],)
    )
    assert {row[0]: row[1:] for row in await agents.fetchall()} == {
        old: ("idle", None),
        new: ("active", created.id),
    }
    audit = await conn.execute(
        "SELECT agent_id, details FROM audit_log WHERE target_id = %s "
        "AND event_type = 'task.claim_handed_over'",
        (created.id,),
    )
    rows = await audit.fetchall()
    assert len(rows) == 1 and rows[0][0] == pm
    assert rows[0][1]["from_agent"] == str(old) and rows[0][1]["to_agent"] == str(new)

    pending = await tasks.create_task(conn, task_input(old, project_id=world["project"]))
    with pytest.raises(TransitionRefused, match="no live claim to hand over"):
        await tasks.reassign_active_claim(conn, pending.id, new)
    assert await scalar(conn, "SELECT count(*) FROM audit_log") == 1
    with pytest.raises(NotFound, match="not found"):
        await tasks.reassign_active_claim(conn, uuid.uuid4(), new)
    with pytest.raises(NotFound, match="new_assignee: no agent"):
        await tasks.reassign_active_claim(conn, created.id, uuid.uuid4())
    assert await tasks.get_task(conn, created.id) == handed  # nothing written


async def seed_role(conn: Conn, slug: str, role: str, team: str) -> uuid.UUID:
    agent_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO agents (id, name, slug, role, team, status, model_config, system_prompt,"
        " capabilities, permissions, metrics, created_at)"
        " VALUES (%s, %s, %s, %s, %s, 'idle', '{}', 'x', '{}', '{}', '{}', now())",
        (agent_id, slug, slug, role, team),
    )
    return agent_id


async def test_reassign_keeps_roboco_ownership_backstops(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    """A cell's non-code subtask goes to its cell PM; a board role or a Main PM is refused work
    it has no verb for; review hand-offs go where they are sent."""
    dev, project = world["agent"], world["project"]
    be_pm = await seed_role(conn, "be-pm", "cell_pm", "backend")
    po = await seed_role(conn, "product-owner", "product_owner", "board")
    main_pm = await seed_role(conn, "main-pm", "main_pm", "main_pm")
    root = await tasks.create_task(conn, task_input(dev, project_id=project))
    kw: dict[str, Any] = {"project_id": project, "parent_task_id": root.id}
    research = await tasks.create_task(
        conn, task_input(dev, task_type=TaskType.RESEARCH, title="Spike the auth options", **kw)
    )

    redirected = await tasks.reassign(conn, research.id, dev)
    assert (redirected.assigned_to, redirected.claimed_by) == (be_pm, be_pm)
    assert "given to be-pm instead of" in (redirected.dev_notes or "")
    direct = await tasks.reassign(conn, research.id, be_pm)
    assert direct.dev_notes == redirected.dev_notes  # no new line when asked right

    fe_research = await tasks.create_task(
        conn, task_input(dev, task_type=TaskType.RESEARCH, team=Team.FRONTEND, **kw)
    )
    queued = await tasks.reassign(conn, fe_research.id, dev)
    assert queued.assigned_to is None and "frontend has no cell PM" in (queued.dev_notes or "")

    code_child = await tasks.create_task(conn, task_input(dev, **kw))
    with pytest.raises(TransitionRefused, match=r"product-owner .* cannot own backend code work"):
        await tasks.reassign(conn, code_child.id, po)
    assert await tasks.get_task(conn, code_child.id) == code_child  # nothing written
    board_root = await tasks.create_task(
        conn, task_input(dev, project_id=project, team=Team.BOARD, task_type=TaskType.RESEARCH)
    )
    assert (await tasks.reassign(conn, board_root.id, po)).assigned_to == po  # board work: fine
    pm_code = await tasks.create_task(conn, task_input(dev, project_id=project, team=Team.MAIN_PM))
    with pytest.raises(TransitionRefused, match="a Main PM cannot own a main_pm code task"):
        await tasks.reassign(conn, pm_code.id, main_pm)

    in_review = await tasks.create_task(
        conn,
        task_input(dev, task_type=TaskType.DESIGN, status=TaskStatus.AWAITING_QA, **kw),
    )
    qa = await seed_role(conn, "be-qa", "qa", "backend")
    assert (await tasks.reassign(conn, in_review.id, qa)).assigned_to == qa  # not redirected

    live = await tasks.create_task(
        conn, task_input(dev, task_type=TaskType.PLANNING, status=TaskStatus.CLAIMED, **kw)
    )
    handed = await tasks.reassign_active_claim(conn, live.id, dev)
    assert (handed.assigned_to, handed.active_claimant_id) == (be_pm, be_pm)
    assert "given to be-pm" in (handed.dev_notes or "")


async def test_heal_criteria_ids_pairs_drifted_ids_again(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    created = await tasks.create_task(conn, task_input(world["agent"], project_id=world["project"]))
    assert await tasks.heal_criteria_ids(conn, created.id) == created  # 1:1: untouched
    first = created.acceptance_criteria_ids[0]
    await conn.execute(
        "UPDATE tasks SET acceptance_criteria_ids = %s WHERE id = %s", ([first], created.id)
    )
    healed = await tasks.heal_criteria_ids(conn, created.id)
    assert healed.acceptance_criteria == created.acceptance_criteria
    assert healed.acceptance_criteria_ids[0] == first and len(healed.acceptance_criteria_ids) == 2
    assert healed.acceptance_criteria_ids[1] != created.acceptance_criteria_ids[1]
    with pytest.raises(NotFound):
        await tasks.heal_criteria_ids(conn, uuid.uuid4())
