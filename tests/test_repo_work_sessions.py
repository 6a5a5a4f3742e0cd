"""roboco_sql.repos.work_sessions against a real database."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import psycopg
import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.models.enums import WorkSessionStatus
from roboco_sql.models.work_session import (
    PullRequestStatus,
    ToolchainStatus,
    WorkSession,
    WorkSessionCreate,
    WorkSessionUpdate,
)
from roboco_sql.repos import tasks, work_sessions
from tests.fix_tasks import keyset_pages
from tests.test_repo_tasks import scalar, seed_agent, seed_project, task_input

Conn = AsyncConnection[Any]
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
async def world(conn: Conn) -> dict[str, uuid.UUID]:
    agent = await seed_agent(conn, "be-dev-1")
    project = await seed_project(conn, agent)
    task = await tasks.create_task(conn, task_input(agent, project_id=project))
    return {"agent": agent, "project": project, "task": task.id}


def session_input(world: dict[str, uuid.UUID], **kw: Any) -> WorkSessionCreate:
    return WorkSessionCreate(
        project_id=kw.pop("project_id", world["project"]),
        task_id=kw.pop("task_id", world["task"]),
        agent_id=kw.pop("agent_id", world["agent"]),
        branch_name=kw.pop("branch_name", "feature/login"),
        base_branch=kw.pop("base_branch", "main"),
        target_branch=kw.pop("target_branch", "develop"),
        **kw,
    )


async def count_sessions(conn: Conn) -> int:
    return int(await scalar(conn, "SELECT count(*) FROM work_sessions"))


async def test_open_and_get(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    data = session_input(world)
    opened = await work_sessions.open_work_session(conn, data)
    assert opened.id == data.id
    assert (opened.branch_name, opened.base_branch, opened.target_branch) == (
        "feature/login",
        "main",
        "develop",
    )
    assert opened.status is WorkSessionStatus.ACTIVE
    assert opened.commits == [] and opened.files_modified == []
    assert opened.ended_at is None and opened.pr_number is None and opened.updated_at is None
    assert await work_sessions.get_work_session(conn, data.id) == opened
    assert await work_sessions.get_work_session(conn, uuid.uuid4()) is None


async def test_one_active_session_per_agent_and_task(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    first = await work_sessions.open_work_session(conn, session_input(world))
    with pytest.raises(Conflict, match="already has an active session on task"):
        await work_sessions.open_work_session(conn, session_input(world))
    assert await count_sessions(conn) == 1
    await work_sessions.close_work_session(conn, first.id, WorkSessionStatus.ABANDONED)
    again = await work_sessions.open_work_session(conn, session_input(world))
    assert await work_sessions.get_active_work_session(conn, world["task"]) == again
    other = await seed_agent(conn, "be-dev-2")
    assert await work_sessions.get_active_work_session(conn, world["task"], other) is None


async def test_open_errors(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    data = session_input(world)
    await work_sessions.open_work_session(conn, data)
    await work_sessions.close_work_session(conn, data.id)
    with pytest.raises(Conflict, match=rf"work session with id={data.id} already exists"):
        async with conn.transaction():
            await work_sessions.open_work_session(conn, data)
    for field, table in (("task_id", "tasks"), ("project_id", "projects"), ("agent_id", "agents")):
        with pytest.raises(NotFound, match=rf"work session: no {table} row with {field}="):
            async with conn.transaction():
                await work_sessions.open_work_session(
                    conn, session_input(world, **{field: uuid.uuid4()})
                )
    with pytest.raises(pydantic.ValidationError):
        session_input(world, branch_name="")
    assert await count_sessions(conn) == 1


async def test_list_filters_and_pages(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    other = await seed_agent(conn, "be-dev-2")
    second_task = await tasks.create_task(conn, task_input(other, project_id=world["project"]))
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    made: list[WorkSession] = []
    for i in range(5):
        s = await work_sessions.open_work_session(
            conn,
            session_input(
                world,
                agent_id=other if i % 2 else world["agent"],
                task_id=second_task.id if i == 4 else world["task"],
                started_at=start + dt.timedelta(minutes=i // 2),  # pairs tie on time
            ),
        )
        if i < 3:
            s = await work_sessions.close_work_session(conn, s.id)
        made.append(s)

    async def ids(**kw: Any) -> list[uuid.UUID]:
        return [s.id for s in await work_sessions.list_work_sessions(conn, **kw)]

    newest_first = [s.id for s in sorted(made, key=lambda s: (s.started_at, s.id), reverse=True)]
    assert await ids() == newest_first
    assert set(await ids(task_id=second_task.id)) == {made[4].id}
    assert set(await ids(agent_id=other)) == {made[1].id, made[3].id}
    assert set(await ids(status=WorkSessionStatus.ACTIVE)) == {made[3].id, made[4].id}
    assert set(await ids(agent_id=other, status=WorkSessionStatus.ACTIVE)) == {made[3].id}
    assert len(await ids(project_id=world["project"])) == 5
    assert await ids(project_id=uuid.uuid4()) == []

    pages = await keyset_pages(
        lambda before: work_sessions.list_work_sessions(conn, before=before, limit=2)
    )
    assert [s.id for page in pages for s in page] == newest_first


async def test_record_commits_appends_validated_unique(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    s = await work_sessions.open_work_session(conn, session_input(world))
    once = await work_sessions.record_commits(
        conn, s.id, ["ABCDEF1", SHA, "abcdef1"], ["src/a.py", "src/b.py"]
    )
    assert once.commits == ["abcdef1", SHA]  # lowercased, duplicates dropped, order kept
    assert once.files_modified == ["src/a.py", "src/b.py"]
    assert once.updated_at is not None
    twice = await work_sessions.record_commits(conn, s.id, [SHA, "1234567"], ["src/b.py", "c.md"])
    assert twice.commits == ["abcdef1", SHA, "1234567"]
    assert twice.files_modified == ["src/a.py", "src/b.py", "c.md"]
    only_files = await work_sessions.record_commits(conn, s.id, files_modified=["d.md"])
    assert only_files.commits == twice.commits and only_files.files_modified[-1] == "d.md"


@pytest.mark.parametrize("bad", ["abc123", "g234567", "a" * 41, "", "abc 1234"])
async def test_bad_commit_hash_is_refused_before_sql(
    conn: Conn, world: dict[str, uuid.UUID], bad: str
) -> None:
    s = await work_sessions.open_work_session(conn, session_input(world))
    with pytest.raises(ValidationError, match=r"^work session: commits\.1 .*pattern"):
        await work_sessions.record_commits(conn, s.id, ["abcdef1", bad])
    with pytest.raises(pydantic.ValidationError):
        WorkSessionUpdate(commits=[bad])
    assert await work_sessions.get_work_session(conn, s.id) == s


async def test_pr_merge_and_toolchain(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    s = await work_sessions.open_work_session(conn, session_input(world))
    with_pr = await work_sessions.record_pr(conn, s.id, 42, "https://example.com/pr/42")
    assert (with_pr.pr_number, with_pr.pr_url, with_pr.pr_status) == (
        42,
        "https://example.com/pr/42",
        PullRequestStatus.OPEN,
    )
    assert with_pr.pr_created_at is not None and with_pr.status is WorkSessionStatus.ACTIVE
    probed = await work_sessions.set_toolchain(conn, s.id, "3.12.4", ToolchainStatus.OK)
    assert (probed.toolchain_python, probed.toolchain_status) == ("3.12.4", "ok")
    reviewer = await seed_agent(conn, "be-pm")
    when = dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC)
    merged = await work_sessions.record_merge(conn, s.id, reviewer, merged_at=when)
    assert merged.pr_status == "merged" and merged.merged_by == reviewer
    assert merged.pr_merged_at == when == merged.ended_at
    assert merged.status is WorkSessionStatus.COMPLETED
    assert merged.pr_number == 42 and merged.toolchain_python == "3.12.4"  # kept
    with pytest.raises(NotFound, match="work session: no agents row with merged_by="):
        async with conn.transaction():
            await work_sessions.record_merge(conn, s.id, uuid.uuid4())
    with pytest.raises(pydantic.ValidationError):
        WorkSessionUpdate.model_validate({"toolchain_status": "fine"})


async def test_recording_functions_refuse_with_our_error_naming_the_field(
    conn: Conn, world: dict[str, uuid.UUID]
) -> None:
    """The update a recording function builds from its arguments is refused as the project's
    one-line ValidationError naming the field (not pydantic's), and nothing is written."""
    s = await work_sessions.open_work_session(conn, session_input(world))
    with pytest.raises(
        ValidationError,
        match=r"^work session: toolchain_python String should have at most 20 characters$",
    ):
        await work_sessions.set_toolchain(conn, s.id, "3." * 11, ToolchainStatus.OK)
    with pytest.raises(ValidationError, match=r"^work session: toolchain_status Input should be"):
        await work_sessions.set_toolchain(conn, s.id, "3.12", "fine")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^work session: pr_url String should have at most"):
        await work_sessions.record_pr(conn, s.id, 7, "https://x/" + "p" * 500)
    with pytest.raises(ValidationError, match=r"^work session: commits\.0 String should match"):
        await work_sessions.record_commits(conn, s.id, ["not\nhex"])
    with pytest.raises(ValidationError, match=r"^work session: files_modified contains a NUL"):
        await work_sessions.record_commits(conn, s.id, ["abcdef1"], ["a\x00b"])
    assert await work_sessions.get_work_session(conn, s.id) == s


async def test_update_work_session(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    s = await work_sessions.open_work_session(conn, session_input(world))
    await work_sessions.record_commits(conn, s.id, ["abcdef1"], ["a.py"])
    updated = await work_sessions.update_work_session(
        conn, s.id, WorkSessionUpdate(files_modified=["b.py"], pr_status=PullRequestStatus.CLOSED)
    )
    assert updated.files_modified == ["b.py"]  # replaced whole
    assert updated.commits == ["abcdef1"]  # untouched
    assert updated.pr_status == "closed"
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"work session {missing} not found"):
        await work_sessions.update_work_session(conn, missing, WorkSessionUpdate(pr_number=1))
    with pytest.raises(NotFound, match=f"work session {missing} not found"):
        await work_sessions.record_commits(conn, missing, ["abcdef1"])


async def test_close_outcomes(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    s = await work_sessions.open_work_session(conn, session_input(world))
    when = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    closed = await work_sessions.close_work_session(
        conn, s.id, WorkSessionStatus.ABANDONED, ended_at=when
    )
    assert closed.status is WorkSessionStatus.ABANDONED and closed.ended_at == when
    # a retry with the same outcome changes nothing; another outcome is refused
    assert await work_sessions.close_work_session(conn, s.id, WorkSessionStatus.ABANDONED) == closed
    with pytest.raises(Conflict, match="already ended as abandoned"):
        await work_sessions.close_work_session(conn, s.id, WorkSessionStatus.COMPLETED)
    with pytest.raises(ValidationError, match="outcome must be completed or abandoned"):
        await work_sessions.close_work_session(conn, s.id, WorkSessionStatus.ACTIVE)
    with pytest.raises(NotFound, match="not found"):
        await work_sessions.close_work_session(conn, uuid.uuid4())
    assert await work_sessions.get_work_session(conn, s.id) == closed


async def test_sessions_go_with_their_task(conn: Conn, world: dict[str, uuid.UUID]) -> None:
    s = await work_sessions.open_work_session(conn, session_input(world))
    await tasks.delete_task(conn, world["task"])
    assert await work_sessions.get_work_session(conn, s.id) is None


async def test_concurrent_commit_appends_all_survive(
    conn: Conn, db_url: str, world: dict[str, uuid.UUID]
) -> None:
    s = await work_sessions.open_work_session(conn, session_input(world))
    await conn.commit()
    shas = [f"{i:07x}" for i in range(1, 5)]
    others = [await psycopg.AsyncConnection.connect(db_url, autocommit=True) for _ in shas]
    try:
        await asyncio.gather(
            *(
                work_sessions.record_commits(c, s.id, [sha], [f"src/{sha}.py"])
                for c, sha in zip(others, shas, strict=True)
            )
        )
    finally:
        for c in others:
            await c.close()
    final = await work_sessions.get_work_session(conn, s.id)
    assert final is not None
    assert sorted(final.commits) == shas and len(final.files_modified) == 4
