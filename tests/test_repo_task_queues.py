"""roboco_sql.repos.task_queues against a real database: the orders, filters and one-query
walks RoboCo's task lists and lookups rely on."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection, sql
from psycopg.types.json import Json

from roboco_sql.errors import ValidationError
from roboco_sql.models.enums import TaskNature, TaskStatus, TaskType, Team
from roboco_sql.models.task_views import SELF_HEAL_SOURCE, X_SOURCES
from roboco_sql.repos import graph, projects, tasks
from roboco_sql.repos import task_queues as tq
from roboco_sql.repos.task_queues import AgentQueue, CurrentTask

Conn = AsyncConnection[Any]
S = TaskStatus

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_JSON = {"orchestration_markers", "progress_updates", "checkpoints", "commits", "documents"}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@dataclass
class World:
    conn: Conn
    creator: uuid.UUID
    project: uuid.UUID
    clock: int = 0

    async def agent(
        self, slug: str, team: Team = Team.BACKEND, name: str | None = None
    ) -> uuid.UUID:
        agent_id = uuid.uuid4()
        await self.conn.execute(
            "INSERT INTO agents (id, name, slug, role, team, status, model_config, system_prompt,"
            " capabilities, permissions, metrics, created_at)"
            " VALUES (%s, %s, %s, 'developer', %s, 'active', '{}', '', '{}', '{}', '{}', now())",
            (agent_id, name or slug.title(), slug, team.value),
        )
        return agent_id

    async def project_on(self, git_url: str, slug: str) -> uuid.UUID:
        project_id = uuid.uuid4()
        await self.conn.execute(
            "INSERT INTO projects (id, name, slug, git_url, default_branch, protected_branches,"
            " assigned_cell, is_active, created_by, created_at)"
            " VALUES (%s, %s, %s, %s, 'main', '{main}', 'backend', true, %s, now())",
            (project_id, slug.upper(), slug, git_url, self.creator),
        )
        return project_id

    async def task(self, **cols: Any) -> uuid.UUID:
        """A task row written raw; created_at ticks a minute per task unless given."""
        self.clock += 1
        row: dict[str, Any] = {
            "id": uuid.uuid4(),
            "title": "Add the health endpoint",
            "description": "Expose GET /health.",
            "acceptance_criteria": ["returns 200"],
            "acceptance_criteria_status": Json([]),
            "status": "pending",
            "priority": 2,
            "task_type": "code",
            "nature": "technical",
            "estimated_complexity": "low",
            "team": "backend",
            "project_id": self.project,
            "created_by": self.creator,
            "dependency_ids": [],
            "blocker_ids": [],
            "progress_updates": Json([]),
            "checkpoints": Json([]),
            "commits": Json([]),
            "documents": Json([]),
            "self_verified": False,
            "pr_created": False,
            "docs_complete": False,
            "qa_evidence_inspected": False,
            "sequence": 0,
            "created_at": at(self.clock),
        }
        for key, value in cols.items():
            row[key] = Json(value) if key in _JSON and value is not None else value
        query = sql.SQL("INSERT INTO tasks ({}) VALUES ({})").format(
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        )
        await self.conn.execute(query, list(row.values()))
        task_id: uuid.UUID = row["id"]
        return task_id


async def make_world(conn: Conn) -> World:
    creator = uuid.uuid4()
    await conn.execute(
        "INSERT INTO agents (id, name, slug, role, team, status, model_config, system_prompt,"
        " capabilities, permissions, metrics, created_at)"
        " VALUES (%s, 'Main PM', 'main-pm', 'main_pm', 'main_pm', 'active', '{}', '', '{}',"
        " '{}', '{}', now())",
        (creator,),
    )
    w = World(conn, creator, uuid.uuid4())
    w.project = await w.project_on("https://git.example/api.git", "api")
    return w


@pytest.fixture
async def w(conn: Conn) -> World:
    return await make_world(conn)


def ids(rows: list[Any]) -> list[uuid.UUID]:
    return [r.id for r in rows]


# -- Q01 board columns ----------------------------------------------------------------------------


async def test_board_lists_in_sibling_order(w: World) -> None:
    late_p1 = await w.task(status="blocked", priority=1, sequence=0)
    seq2 = await w.task(status="blocked", priority=2, sequence=2)
    seq1_new = await w.task(status="blocked", priority=2, sequence=1)
    seq1_old = await w.task(status="blocked", priority=2, sequence=1, created_at=at(-5))
    frontend = await w.task(status="blocked", team="frontend", priority=0)
    await w.task(status="awaiting_qa", priority=0)

    blocked = await tq.list_board(w.conn, status=S.BLOCKED)
    assert ids(blocked) == [frontend, late_p1, seq1_old, seq1_new, seq2]
    backend = await tq.list_board(w.conn, status=S.BLOCKED, team=Team.BACKEND)
    assert ids(backend) == [late_p1, seq1_old, seq1_new, seq2]
    team_any = await tq.list_board(w.conn, team=Team.BACKEND, limit=2)
    assert [t.priority for t in team_any] == [0, 1]
    both = await tq.list_board(w.conn, status=[S.BLOCKED, S.AWAITING_QA], team=Team.BACKEND)
    assert len(both) == 5
    assert await tq.list_board(w.conn, status=S.AWAITING_PM_REVIEW) == []


# -- Q02 an agent's queues ------------------------------------------------------------------------


async def test_assigned_and_agent_queues(w: World) -> None:
    dev = await w.agent("be-dev-1")
    old_p2 = await w.task(assigned_to=dev, status="in_progress", updated_at=at(100))
    new_p2 = await w.task(assigned_to=dev, status="blocked", updated_at=at(200))
    never = await w.task(assigned_to=dev, status="in_progress", updated_at=None)
    p1 = await w.task(assigned_to=dev, status="paused", priority=1, updated_at=at(50))
    done = await w.task(assigned_to=dev, status="completed", priority=0)
    await w.task(status="in_progress")  # someone else's

    listed = await tq.list_assigned(w.conn, dev)
    assert ids(listed) == [done, p1, never, new_p2, old_p2]  # priority, then newest created
    assert ids(await tq.list_assigned(w.conn, dev, status=S.PAUSED)) == [p1]

    # in progress or blocked; a never-updated task first within its priority, as PostgreSQL
    # sorts RoboCo's updated_at.desc()
    working = await tq.agent_queue(w.conn, dev, AgentQueue.IN_PROGRESS)
    assert ids(working) == [never, new_p2, old_p2]
    assigned = await tq.agent_queue(w.conn, dev, AgentQueue.ASSIGNED)
    assert ids(assigned) == [p1, never, old_p2]  # blocked and completed are not assignable
    assert ids(await tq.agent_queue(w.conn, dev, AgentQueue.PAUSED)) == [p1]


async def test_agent_pending_holds_ceo_gated_and_unmet_work(w: World) -> None:
    dev = await w.agent("be-dev-1")
    open_dep = await w.task(status="in_progress")
    done_dep = await w.task(status="completed")
    reopened_dep = await w.task(status="in_progress")
    later = await w.task(assigned_to=dev, sequence=2, priority=0)
    first = await w.task(assigned_to=dev, sequence=1, priority=3)
    first_p1 = await w.task(assigned_to=dev, sequence=1, priority=1)
    await w.task(assigned_to=dev, source=SELF_HEAL_SOURCE)  # held for the CEO
    await w.task(assigned_to=dev, source=sorted(X_SOURCES)[0])
    go = await w.task(assigned_to=dev, source=SELF_HEAL_SOURCE, confirmed_by_human=True)
    await w.task(assigned_to=dev, dependency_ids=[open_dep])
    met = await w.task(assigned_to=dev, dependency_ids=[done_dep, uuid.uuid4()])
    listed_done = await w.task(
        assigned_to=dev, dependency_ids=[reopened_dep], completed_dependency_ids=[reopened_dep]
    )
    await w.task(assigned_to=dev, status="claimed")

    pending = await tq.list_agent_pending(w.conn, dev)
    assert ids(pending) == [go, met, listed_done, first_p1, first, later]


async def test_agent_pending_honours_the_sequence_gate(w: World) -> None:
    dev = await w.agent("be-dev-1")
    parent = await w.task(status="in_progress")

    async def child(seq: int, **cols: Any) -> uuid.UUID:
        return await w.task(parent_task_id=parent, sequence=seq, **cols)

    ahead = await child(0, status="in_progress")  # open, lowest sequence: holds the raw bar
    landed = await child(0, status="completed")
    relay = await child(1, status="completed", dependency_ids=[ahead])
    zero = await child(0, assigned_to=dev)
    await child(1, assigned_to=dev)  # no edge onto a sibling: held by the raw bar
    own_stream = await child(1, assigned_to=dev, completed_dependency_ids=[landed])
    behind = await child(2, assigned_to=dev, completed_dependency_ids=[relay])  # reaches `ahead`
    batch = uuid.uuid4()
    await child(1, assigned_to=dev, completed_dependency_ids=[landed], batch_id=batch)
    orphan = await w.task(sequence=5, assigned_to=dev)  # no parent: no siblings to wait for

    pending = await tq.list_agent_pending(w.conn, dev)
    assert ids(pending) == [zero, own_stream, orphan]
    # once `ahead` lands, `behind` goes; the edgeless and batch tasks still wait for `zero`
    await w.conn.execute("UPDATE tasks SET status = 'completed' WHERE id = %s", (ahead,))
    pending = await tq.list_agent_pending(w.conn, dev)
    assert ids(pending) == [zero, own_stream, behind, orphan]


async def test_current_task_is_the_most_recently_touched(w: World) -> None:
    dev = await w.agent("be-dev-1")
    assert await tq.agent_current_task(w.conn, dev) is None
    never = await w.task(assigned_to=dev, status="claimed", updated_at=None)
    older = await w.task(assigned_to=dev, status="verifying", updated_at=at(10))
    blocked = await w.task(assigned_to=dev, status="blocked", updated_at=at(30))
    await w.task(assigned_to=dev, status="completed", updated_at=at(40))
    active = await tq.agent_current_task(w.conn, dev)
    assert active is not None and active.id == older
    context = await tq.agent_current_task(w.conn, dev, CurrentTask.JOURNAL_CONTEXT)
    assert context is not None and context.id == blocked
    await w.conn.execute("UPDATE tasks SET updated_at = NULL WHERE id = %s", (older,))
    fallback = await tq.agent_current_task(w.conn, dev)
    assert fallback is not None and fallback.id in {never, older}  # nulls last, both null


# -- Q04-Q07 -------------------------------------------------------------------------------------


async def test_root_tasks_awaiting_review_by_nature(w: World) -> None:
    root = await w.task(status="awaiting_pm_review", priority=1)
    strategic = await w.task(status="awaiting_pm_review", nature="non_technical")
    await w.task(status="awaiting_pm_review", parent_task_id=root)  # not a root
    await w.task(status="pending")
    assert ids(await tq.list_root_awaiting_review(w.conn)) == [root, strategic]
    board = await tq.list_root_awaiting_review(w.conn, nature=TaskNature.NON_TECHNICAL)
    assert ids(board) == [strategic]


async def test_blocked_longer_than_a_threshold(w: World) -> None:
    now = dt.datetime.now(dt.UTC)
    stalest = await w.task(status="blocked", updated_at=now - dt.timedelta(hours=5))
    stale = await w.task(status="blocked", updated_at=now - dt.timedelta(hours=1))
    await w.task(status="blocked", updated_at=now - dt.timedelta(minutes=5))
    await w.task(status="blocked", updated_at=None)  # never touched: RoboCo leaves it out
    await w.task(status="pending", updated_at=now - dt.timedelta(hours=9))
    found = await tq.blocked_longer_than(w.conn, dt.timedelta(minutes=30))
    assert ids(found) == [stalest, stale]
    with pytest.raises(ValidationError, match="threshold"):
        await tq.blocked_longer_than(w.conn, 30)  # type: ignore[arg-type]


async def test_a_threshold_beyond_the_calendar_is_refused_by_name(w: World) -> None:
    """now minus timedelta.max leaves the calendar (an OverflowError before the fix)."""
    with pytest.raises(ValidationError, match=r"^threshold is longer than 365000 days$"):
        await tq.blocked_longer_than(w.conn, dt.timedelta.max)
    with pytest.raises(ValidationError, match=r"^threshold must not be negative$"):
        await tq.blocked_longer_than(w.conn, dt.timedelta(seconds=-1))


async def test_ready_pending_in_one_query(w: World) -> None:
    open_dep = await w.task(status="claimed")
    done_dep = await w.task(status="cancelled")
    ready = await w.task(priority=1)
    await w.task(dependency_ids=[open_dep])
    ready_too = await w.task(dependency_ids=[done_dep])
    other_team = await w.task(team="frontend")
    assert ids(await tq.list_ready_pending(w.conn)) == [ready, ready_too, other_team]
    assert ids(await tq.list_ready_pending(w.conn, team=Team.FRONTEND)) == [other_team]


async def test_offset_pages_with_a_total_both_ways(w: World) -> None:
    made = [await w.task() for _ in range(5)]
    page = await tq.page_all_tasks(w.conn, offset=1, limit=2)
    assert ids(page.items) == [made[3], made[2]] and page.total == 5 and page.has_more
    oldest = await tq.page_all_tasks(w.conn, limit=2, newest_first=False)
    assert ids(oldest.items) == made[:2]
    last = await tq.page_all_tasks(w.conn, offset=4, limit=2, newest_first=False)
    assert ids(last.items) == [made[4]] and not last.has_more
    beyond = await tq.page_all_tasks(w.conn, offset=10)
    assert beyond.items == [] and beyond.total == 5
    with pytest.raises(ValidationError, match="offset"):
        await tq.page_all_tasks(w.conn, offset=-1)


# -- Q08 tasks by origin ------------------------------------------------------------------------


async def test_pr_review_dedupe_is_per_repo_and_head(w: World) -> None:
    sibling = await w.project_on("https://git.example/api.git", "api-web")
    elsewhere = await w.project_on("https://git.example/other.git", "other")
    assert not await tq.pr_review_exists(w.conn, w.project, 7)
    await w.task(
        project_id=sibling,
        source="external_pr",
        pr_number=7,
        orchestration_markers={"external_pr_head": "abc"},
    )
    assert await tq.pr_review_exists(w.conn, w.project, 7)  # head unknown: any review counts
    assert await tq.pr_review_exists(w.conn, w.project, 7, "abc")
    assert not await tq.pr_review_exists(w.conn, w.project, 7, "def")  # new commits
    assert not await tq.pr_review_exists(w.conn, elsewhere, 7)
    assert not await tq.pr_review_exists(w.conn, w.project, 8)
    await w.task(source="internal_pr", pr_number=7)  # a review recorded at no head
    assert await tq.pr_review_exists(w.conn, w.project, 7, "def")


async def test_live_task_owns_branch_on_the_repo(w: World) -> None:
    sibling = await w.project_on("https://git.example/api.git", "api-web")
    elsewhere = await w.project_on("https://git.example/other.git", "other")
    await w.task(project_id=sibling, branch_name="feature/x", status="in_progress")
    await w.task(branch_name="feature/done", status="completed")
    assert await tq.live_task_owns_branch(w.conn, "feature/x", w.project)
    assert not await tq.live_task_owns_branch(w.conn, "feature/x", elsewhere)
    assert not await tq.live_task_owns_branch(w.conn, "feature/done", w.project)
    assert not await tq.live_task_owns_branch(w.conn, "", w.project)


async def test_open_tasks_by_source_oldest_first(w: World) -> None:
    first = await w.task(source=SELF_HEAL_SOURCE, status="in_progress")
    await w.task(source=SELF_HEAL_SOURCE, status="completed")
    second = await w.task(source=SELF_HEAL_SOURCE)
    post = await w.task(source="x_reply", status="awaiting_ceo_approval")
    await w.task(source="manual")
    assert ids(await tq.list_open_by_source(w.conn, SELF_HEAL_SOURCE)) == [first, second]
    assert ids(await tq.list_open_by_source(w.conn, X_SOURCES)) == [post]
    with pytest.raises(ValidationError, match="sources"):
        await tq.list_open_by_source(w.conn, [])


async def test_open_tasks_by_source_narrowed_like_roboco(w: World) -> None:
    await w.conn.execute(
        "UPDATE projects SET ci_watch_workflow = '', dep_update_command = 'uv lock -U'"
        " WHERE id = %s",
        (w.project,),
    )
    cell = await w.project_on("HTTPS://git.example/API.git/", "api-web")  # the same repo
    await w.conn.execute(
        "UPDATE projects SET ci_watch_workflow = 'lint.yml' WHERE id = %s", (cell,)
    )
    other = await w.project_on("https://git.example/other.git", "other")
    default_wf = await w.task(source="ci_watch")
    lint_wf = await w.task(source="ci_watch", project_id=cell)
    elsewhere = await w.task(source="ci_watch", project_id=other)
    product_wide = await w.task(source="ci_watch", project_id=None)

    everything = await tq.list_open_by_source(w.conn, "ci_watch")
    assert ids(everything) == [default_wf, lint_wf, elsewhere, product_wide]
    repo = await tq.list_open_by_source(w.conn, "ci_watch", git_url="https://git.example/api")
    assert ids(repo) == [default_wf, lint_wf]
    ci = await tq.list_open_by_source(w.conn, "ci_watch", workflow="ci.yml")
    assert ids(ci) == [default_wf, elsewhere]  # '' and NULL mean the default; no project: out
    assert ids(await tq.list_open_by_source(w.conn, "ci_watch", workflow="lint.yml")) == [lint_wf]
    dep = await tq.list_open_by_source(w.conn, "ci_watch", dep_update_command="uv lock -U")
    assert ids(dep) == [default_wf]

    drafts = await w.task(source="vault_note", team="board")
    await w.task(source="vault_note", team="backend")
    assert ids(await tq.list_open_by_source(w.conn, "vault_note", team=Team.BOARD)) == [drafts]
    key = "docs_sync_release_version"
    v14 = await w.task(source="docs_sync", orchestration_markers={key: "1.4.0"})
    await w.task(source="docs_sync", orchestration_markers={key: "1.3.0"})
    assert ids(await tq.list_open_by_source(w.conn, "docs_sync", marker=(key, "1.4.0"))) == [v14]


async def test_source_history_latest_update_first(w: World) -> None:
    posted = await w.task(source="x_post", status="completed", updated_at=at(50))
    rejected = await w.task(source="x_reply", status="cancelled", updated_at=at(80))
    never = await w.task(source="x_post", status="completed", updated_at=None)
    await w.task(source="x_post", status="awaiting_ceo_approval", updated_at=at(90))
    history = await tq.list_source_history(w.conn, X_SOURCES)
    assert ids(history) == [never, rejected, posted]
    done = await tq.list_source_history(w.conn, X_SOURCES, completed_only=True, limit=1)
    assert ids(done) == [never]


async def test_pr_reviews_leave_out_truthy_dismissals(w: World) -> None:
    """A dismissed marker counts by Python's truth rules, as RoboCo's is_dismissed reads it."""
    truthy = [True, 1, 2.5, "1", "no", [0], {"by": "ceo"}]
    falsy = [False, 0, 0.0, "", [], {}, None]
    made = {}
    for value in [*truthy, *falsy]:
        markers = {"dismissed": value}
        made[
            await w.task(source="external_pr", status="completed", orchestration_markers=markers)
        ] = value
    unmarked = await w.task(source="external_pr", status="completed", orchestration_markers=None)
    shown = await tq.list_pr_reviews(w.conn, awaiting_decision=True)
    assert [made.get(t) for t in ids(shown)] == [*falsy, None]
    assert ids(shown)[-1] == unmarked


async def test_pr_reviews_in_flight_and_awaiting_decision(w: World) -> None:
    reviewing = await w.task(source="external_pr", status="in_progress")
    awaiting = await w.task(source="internal_pr", status="completed")
    await w.task(source="external_pr", status="completed", confirmed_by_human=True)  # decided
    await w.task(source="external_pr", status="cancelled")
    await w.task(source="manual", status="completed")
    assert ids(await tq.list_pr_reviews(w.conn)) == [reviewing, awaiting]
    assert ids(await tq.list_pr_reviews(w.conn, awaiting_decision=True)) == [awaiting]


async def test_supersede_umbrella_lookup_matches_the_pr_exactly(w: World) -> None:
    src = "external_pr_supersede"
    await w.task(source=src, orchestration_markers={"external_pr_supersede": "pr=50 review=r1"})
    await w.task(
        source=src,
        status="cancelled",
        orchestration_markers={"external_pr_supersede": "pr=5 review=r0"},
    )
    assert await tq.find_supersede_umbrella(w.conn, w.project, 5) is None
    live = await w.task(
        source=src, orchestration_markers={"external_pr_supersede": "pr=5 review=r2"}
    )
    found = await tq.find_supersede_umbrella(w.conn, w.project, 5)
    assert found is not None and found.id == live
    other = await w.project_on("https://git.example/other.git", "other")
    assert await tq.find_supersede_umbrella(w.conn, other, 5) is None


async def test_supersede_umbrellas_to_close_walk_the_subtree_breadth_first(w: World) -> None:
    src = "external_pr_supersede"

    def marker(line: str) -> dict[str, str]:
        return {"external_pr_supersede": line}

    own = await w.task(
        source=src, status="completed", pr_number=11, orchestration_markers=marker("pr=1 review=a")
    )
    await w.task(
        source=src,
        status="completed",
        pr_number=12,
        orchestration_markers=marker("pr=2 review=b closed=1"),
    )
    deep = await w.task(
        source=src, status="completed", orchestration_markers=marker("pr=3 review=c")
    )
    cell = await w.task(parent_task_id=deep, status="completed")  # no PR: walk on below it
    await w.task(parent_task_id=cell, status="completed", pr_number=31, created_at=at(500))
    await w.task(parent_task_id=cell, status="completed", pr_number=30, created_at=at(400))
    await w.task(parent_task_id=cell, status="cancelled", pr_number=29, created_at=at(300))
    abandoned = await w.task(
        source=src, status="completed", orchestration_markers=marker("pr=4 review=d")
    )
    await w.task(parent_task_id=abandoned, status="cancelled", pr_number=40)
    await w.task(source=src, status="in_progress", pr_number=50)  # not landed

    closing = await tq.supersede_umbrellas_to_close(w.conn)
    assert [(u.id, u.replacement_pr_number) for u in closing] == [(own, 11), (deep, 30)]
    assert closing[1].source == src  # the whole task row comes along


# -- Q09 branch and PR --------------------------------------------------------------------------


async def test_task_by_branch_pr_and_checkout_branches(w: World) -> None:
    dev = await w.agent("be-dev-1")
    other = await w.project_on("https://git.example/other.git", "other")
    mine = await w.task(branch_name="feature/a", assigned_to=dev, pr_number=9)
    newer = await w.task(branch_name="feature/a", project_id=other, pr_number=9)
    await w.task(branch_name="feature/b", claimed_by=dev, assigned_to=None)
    await w.task(branch_name=None, assigned_to=dev)
    await w.task(branch_name="feature/c")

    by_branch = await tq.task_by_branch(w.conn, "feature/a")
    assert by_branch is not None and by_branch.id == newer
    scoped = await tq.task_by_branch(w.conn, "feature/a", project_id=w.project)
    assert scoped is not None and scoped.id == mine
    assert await tq.task_by_branch(w.conn, "feature/none") is None
    by_pr = await tq.task_by_pr(w.conn, 9, w.project)
    assert by_pr is not None and by_pr.id == mine
    assert await tq.task_by_pr(w.conn, 10, w.project) is None
    assert await tq.agent_checkout_branches(w.conn, dev) == ["feature/a", "feature/b"]


# -- Q10-Q13 and Q16 (served by graph, tasks and projects) -----------------------------------------


async def test_children_and_sibling_checks(w: World) -> None:
    dev = await w.agent("be-dev-1")
    parent = await w.task(
        orchestration_markers={"required_cells": [" Backend", "UX-UI", "backend", "front end", ""]}
    )
    assert await tq.all_children_terminal(w.conn, parent)  # no children
    a = await w.task(parent_task_id=parent, sequence=2, assigned_to=dev, parent_ac_refs=["ac1"])
    b = await w.task(parent_task_id=parent, sequence=1, assigned_to=dev, status="completed")
    c = await w.task(parent_task_id=parent, sequence=1, assigned_to=dev, team="ux_ui")
    d = await w.task(parent_task_id=parent, sequence=0, assigned_to=dev, task_type="design")

    assert ids(await tq.list_children(w.conn, parent)) == [a, b, c, d]  # created_at, not sequence
    assert not await tq.all_children_terminal(w.conn, parent)
    assert await tq.has_earlier_open_code_sibling(w.conn, a)  # c is open with sequence 1
    assert not await tq.has_earlier_open_code_sibling(w.conn, c)  # b is completed, d is design
    assert not await tq.has_earlier_open_code_sibling(w.conn, d)  # not code
    assert not await tq.has_earlier_open_code_sibling(w.conn, parent)  # no parent
    assert await tq.uncovered_required_cells(w.conn, parent) == ["frontend"]
    assert await tq.uncovered_required_cells(w.conn, a) == []  # no marker
    coverage = await tq.children_coverage(w.conn, parent)
    assert [(x.id, x.status, x.parent_ac_refs) for x in coverage][:2] == [
        (a, S.PENDING, ["ac1"]),
        (b, S.COMPLETED, []),
    ]
    for child in (a, c, d):
        await w.conn.execute("UPDATE tasks SET status = 'cancelled' WHERE id = %s", (child,))
    assert await tq.all_children_terminal(w.conn, parent)


async def test_unmet_dependencies_of_a_task(w: World) -> None:
    open_dep = await w.task(status="in_progress")
    done_dep = await w.task(status="completed")
    waiting = await w.task(dependency_ids=[done_dep, open_dep, uuid.uuid4()])
    assert await graph.unmet_dependencies(w.conn, waiting) == [open_dep]


async def test_task_with_its_project_in_one_transaction(w: World) -> None:
    task_id = await w.task(branch_name="feature/a")
    task = await tasks.get_task(w.conn, task_id)
    assert task is not None and task.project_id is not None
    project = await projects.get_project(w.conn, task.project_id)
    assert project is not None and (project.slug, project.default_branch) == ("api", "main")


# -- Q14 activity feeds, Q15 kanban, Q17 lock ------------------------------------------------


async def test_activity_feeds(w: World) -> None:
    dev = await w.agent("be-dev-1")
    fresh = await w.task(updated_at=at(300))
    created_late = await w.task(updated_at=None, created_at=at(250))
    older = await w.task(updated_at=at(100), status="blocked")
    untouched_blocked = await w.task(updated_at=None, status="blocked")
    front = await w.task(team="frontend", updated_at=at(400))

    since = await tq.list_updated_since(w.conn, at(90))
    assert ids(since) == [front, fresh, older]  # never-updated tasks are not in the feed
    team = await tq.list_team_activity(w.conn, dev, limit=3)
    assert ids(team) == [fresh, created_late, older]
    assert ids(await tq.list_lane_blockers(w.conn, dev)) == [untouched_blocked, older]
    assert await tq.list_team_activity(w.conn, uuid.uuid4()) == []
    with pytest.raises(ValidationError, match="since"):
        await tq.list_updated_since(w.conn, dt.datetime(2026, 1, 1))


async def test_kanban_cards_carry_names_and_child_counts(w: World) -> None:
    dev = await w.agent("be-dev-1", name="Backend Dev")
    parent = await w.task(priority=1, assigned_to=dev, status="in_progress")
    await w.task(parent_task_id=parent, priority=3)
    await w.task(parent_task_id=parent, priority=3, status="awaiting_qa")
    docs = await w.task(task_type="documentation", status="awaiting_documentation", priority=0)
    await w.task(team="frontend", priority=0)

    cards = await tq.kanban_tasks(w.conn, team=Team.BACKEND)
    assert [(c.id, c.assignee_name, c.subtask_count) for c in cards][:2] == [
        (docs, None, 0),
        (parent, "Backend Dev", 2),
    ]
    assert len(cards) == 4
    roadmap = await tq.kanban_tasks(w.conn, max_priority=1)
    assert {c.priority for c in roadmap} == {0, 1} and len(roadmap) == 3
    documenter = await tq.kanban_tasks(
        w.conn,
        team=Team.BACKEND,
        status=[S.AWAITING_DOCUMENTATION, S.IN_PROGRESS],
        task_type=TaskType.DOCUMENTATION,
    )
    assert ids(documenter) == [docs]
    with pytest.raises(ValidationError, match="max_priority"):
        await tq.kanban_tasks(w.conn, max_priority=4)


async def test_lock_task_holds_a_second_locker_until_commit(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as setup:
        world = await make_world(setup)
        parent = await world.task()
    async with (
        await psycopg.AsyncConnection.connect(db_url) as first,
        await psycopg.AsyncConnection.connect(db_url) as second,
    ):
        locked = await tq.lock_task(first, parent)
        assert locked is not None and locked.id == parent
        await second.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            await tq.lock_task(second, parent)
        await second.rollback()
        waiter = asyncio.create_task(tq.lock_task(second, parent))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        await first.commit()
        assert (await waiter) is not None
        assert await tq.lock_task(second, uuid.uuid4()) is None


# -- input is checked before any SQL ------------------------------------------------------------


async def test_bad_input_is_refused_before_sql(conn: Conn) -> None:
    await conn.close()  # any SQL would now fail with a different error
    bad: list[tuple[Any, str]] = [
        (tq.list_board(conn, status="stuck"), "status must be one of"),  # type: ignore[arg-type]
        (tq.list_board(conn, status=[]), "status must name at least one"),
        (tq.list_board(conn, limit=0), "limit must be between"),
        (tq.list_assigned(conn, "be-dev-1"), "agent_id must be a UUID"),  # type: ignore[arg-type]
        (tq.agent_queue(conn, uuid.uuid4(), "soon"), "queue must be one of"),  # type: ignore[arg-type]
        (tq.task_by_pr(conn, 0, uuid.uuid4()), "pr_number must be"),
        (tq.task_by_branch(conn, "x" * 256), "branch_name must be at most"),
        (tq.kanban_tasks(conn, team="crew"), "team must be one of"),  # type: ignore[arg-type]
        (tq.page_all_tasks(conn, newest_first=1), "newest_first"),  # type: ignore[arg-type]
        (tq.list_open_by_source(conn, ["x" * 51]), "sources must be at most"),
    ]
    for call, message in bad:
        with pytest.raises(ValidationError, match=message):
            await call


# -- RoboCo v0.29.0's later task reads ------------------------------------------------------------


async def test_live_children_leave_out_the_cancelled(w: World) -> None:
    parent = await w.task()
    first = await w.task(parent_task_id=parent)
    await w.task(parent_task_id=parent, status="cancelled")
    last = await w.task(parent_task_id=parent, status="completed")
    assert len(await tq.list_children(w.conn, parent)) == 3
    assert ids(await tq.list_children(w.conn, parent, live_only=True)) == [first, last]


async def test_recent_for_project_and_search(w: World) -> None:
    other = await w.project_on("https://git.example/other.git", "other")
    done = await w.task(status="completed", completed_at=at(500), updated_at=at(10))
    touched = await w.task(updated_at=at(300))
    created = await w.task(created_at=at(200))
    await w.task(status="cancelled", updated_at=at(900))
    await w.task(project_id=other, updated_at=at(800))
    recent = await tq.list_recent_for_project(w.conn, w.project)
    assert ids(recent) == [done, touched, created]
    assert ids(await tq.list_recent_for_project(w.conn, w.project, limit=1)) == [done]

    pct = await w.task(title="Raise the cap to 50% of budget", team="frontend")
    under = await w.task(description="rename user_id everywhere", status="blocked")
    assert ids(await tq.search_tasks(w.conn, "50%")) == [pct]
    assert await tq.search_tasks(w.conn, "5_%") == []  # wildcards match literally
    assert ids(await tq.search_tasks(w.conn, "USER_ID")) == [under]
    assert ids(await tq.search_tasks(w.conn, str(under)[:8])) == [under]
    everything = await tq.search_tasks(w.conn, "HEALTH")  # every task's default description
    assert len(everything) == 7 and everything[0].id == created  # newest first (at 200)
    assert ids(await tq.search_tasks(w.conn, "health", team=Team.FRONTEND)) == [pct]
    assert ids(await tq.search_tasks(w.conn, "user", status=S.BLOCKED)) == [under]


async def test_janitor_drains_and_curator_window(w: World) -> None:
    a = await w.task(updated_at=at(50), created_at=at(1))
    b = await w.task(updated_at=None, created_at=at(40))
    c = await w.task(status="completed", completed_at=at(60), updated_at=at(70))
    d = await w.task(status="cancelled", updated_at=at(65))
    await w.task(updated_at=at(5), created_at=at(2))
    assert ids(await tq.list_touched_since(w.conn, at(30))) == [b, a, d, c]
    assert ids(await tq.list_touched_since(w.conn, at(30), offset=1, limit=2)) == [a, d]
    assert ids(await tq.list_terminal_between(w.conn, at(60), at(66))) == [c, d]
    assert await tq.list_terminal_between(w.conn, at(61), at(65)) == []

    curated = await w.task(
        status="completed",
        completed_at=at(100),
        orchestration_markers={"vault_curation_dispatched": True},
    )
    fresh = await w.task(
        status="completed", completed_at=at(90), orchestration_markers={"other": 1}
    )
    await w.task(status="completed", completed_at=at(95), parent_task_id=curated)
    assert ids(await tq.list_roots_to_curate(w.conn)) == [fresh, c]
    assert await tq.list_roots_to_curate(w.conn, window=1) == []  # the window comes first
    with pytest.raises(ValidationError, match=r"^window must be between 1 and 1000, not 0$"):
        await tq.list_roots_to_curate(w.conn, window=0)
