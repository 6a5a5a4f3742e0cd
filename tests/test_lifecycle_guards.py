"""The lifecycle as RoboCo enforces it beyond the edge table, against a real database.

Self-review, action-level role gates, team and holder checks on transitions, the system actor
that cancels, the audited privileged override, the silent heartbeat, the system reset that
keeps the owner, and the plain dependency append. Rows are built directly in their state.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound, TransitionRefused, ValidationError
from roboco_sql.models.enums import AgentRole, TaskStatus, Team
from roboco_sql.models.task import Marker, TaskUpdate
from roboco_sql.repos import claims, graph, task_notes, tasks, transitions
from roboco_sql.repos.transitions import SYSTEM
from tests.fix_tasks import (
    GIT_DONE,
    Member,
    World,
    audits,
    build_world,
    fetch,
    get,
    make,
    member,
)

Conn = AsyncConnection[Any]
S = TaskStatus
R = AgentRole
BRANCH = "feature/backend/abcdef12"


@pytest.fixture
async def w(conn: Conn) -> World:
    return await build_world(conn)


async def another(conn: Conn, role: AgentRole, team: Team = Team.BACKEND) -> Member:
    return await member(conn, role, team)


def marked(developer: uuid.UUID) -> dict[str, str]:
    return {"original_developer": str(developer)}


# -- self-review ----------------------------------------------------------------------------------


async def test_qa_cannot_pass_or_fail_its_own_work(conn: Conn, w: World) -> None:
    """A QA agent that developed the task (the original_developer marker) may neither pass nor
    fail it, from the review queue or after claiming it; another QA may."""
    qa, other = w.agents[R.QA], await another(conn, R.QA)
    own = marked(qa.id)
    queued = await make(conn, w, S.AWAITING_QA, orchestration_markers=own, **GIT_DONE)
    held = await make(
        conn, w, S.IN_PROGRESS, orchestration_markers=own, assigned_to=qa.id, **GIT_DONE
    )
    for task_id, dst in (
        (queued, S.AWAITING_DOCUMENTATION),
        (queued, S.NEEDS_REVISION),
        (held, S.AWAITING_DOCUMENTATION),
        (held, S.NEEDS_REVISION),
    ):
        with pytest.raises(TransitionRefused, match="developed it \\(no self-review\\)") as no:
            await transitions.transition(conn, task_id, dst, qa)
        assert str(task_id) in str(no.value) and str(qa.id) in str(no.value)
    assert (await get(conn, queued)).status is S.AWAITING_QA
    assert (await get(conn, held)).status is S.IN_PROGRESS
    passed = await transitions.transition(conn, queued, S.AWAITING_DOCUMENTATION, other)
    assert passed.status is S.AWAITING_DOCUMENTATION and passed.qa_verified


async def test_documenter_and_pr_reviewer_cannot_pass_their_own_work(conn: Conn, w: World) -> None:
    doc, reviewer, dev = w.agents[R.DOCUMENTER], w.agents[R.PR_REVIEWER], w.agents[R.DEVELOPER]
    docs = await make(
        conn, w, S.AWAITING_DOCUMENTATION, orchestration_markers=marked(doc.id), **GIT_DONE
    )
    with pytest.raises(TransitionRefused, match="no self-review"):
        await transitions.transition(conn, docs, S.AWAITING_PM_REVIEW, doc)
    for dst in (S.AWAITING_PM_REVIEW, S.NEEDS_REVISION):
        review = await make(
            conn, w, S.AWAITING_PR_REVIEW, orchestration_markers=marked(reviewer.id), **GIT_DONE
        )
        with pytest.raises(TransitionRefused, match="no self-review"):
            await transitions.transition(conn, review, dst, reviewer)
    # RoboCo's developer still closes the parallel docs/PR phase of its own task
    dev_docs = await make(
        conn, w, S.AWAITING_DOCUMENTATION, orchestration_markers=marked(dev.id), **GIT_DONE
    )
    closed = await transitions.transition(conn, dev_docs, S.AWAITING_PM_REVIEW, dev)
    assert closed.status is S.AWAITING_PM_REVIEW


async def test_the_marker_set_at_submit_guards_the_review(conn: Conn, w: World) -> None:
    """The marker comes from the submit itself: whoever sent it to QA may not review it,
    whatever role it acts in."""
    agent = w.agents[R.QA].id
    task_id = await make(conn, w, S.VERIFYING, assigned_to=agent, **GIT_DONE)
    submitted = await transitions.transition(conn, task_id, S.AWAITING_QA, (agent, R.DEVELOPER))
    assert submitted.orchestration_markers == marked(agent)
    with pytest.raises(TransitionRefused, match="no self-review"):
        await transitions.transition(conn, task_id, S.NEEDS_REVISION, (agent, R.QA))


# -- action-level role gates ----------------------------------------------------------------------


ACTION_GATED = [
    (S.BLOCKED, S.IN_PROGRESS, R.DEVELOPER, "unblock", R.CELL_PM),
    (S.IN_PROGRESS, S.AWAITING_PR_REVIEW, R.DOCUMENTER, "submit_for_review", R.CELL_PM),
    (S.IN_PROGRESS, S.VERIFYING, R.QA, "submit_verification", R.DEVELOPER),
    (S.CLAIMED, S.IN_PROGRESS, R.CEO, "start", R.PR_REVIEWER),
    (S.BACKLOG, S.PENDING, R.DEVELOPER, "activate", R.MAIN_PM),
    (S.IN_PROGRESS, S.PAUSED, R.QA, "pause", R.CELL_PM),
]


async def test_roles_gated_on_the_action_are_refused(conn: Conn, w: World) -> None:
    """Edges open to any role still carry RoboCo's action gate: refused for one role, the
    same row moves for a role the action allows."""
    for src, dst, role, action, allowed in ACTION_GATED:
        who, ok = w.agents[role], w.agents[allowed]
        task_id = await make(conn, w, src, assigned_to=ok.id, active_claimant_id=who.id, **GIT_DONE)
        with pytest.raises(TransitionRefused, match=f"role may not {action} \\(allowed: ") as no:
            await transitions.transition(conn, task_id, dst, who)
        assert str(task_id) in str(no.value) and role.value in str(no.value)
        assert (await get(conn, task_id)).status is src
        assert (await transitions.transition(conn, task_id, dst, ok)).status is dst


# -- team and holder ------------------------------------------------------------------------------


async def test_a_cell_agent_moves_only_its_teams_tasks(conn: Conn, w: World) -> None:
    frontend_dev = await another(conn, R.DEVELOPER, Team.FRONTEND)
    frontend_pm = await another(conn, R.CELL_PM, Team.FRONTEND)
    task_id = await make(conn, w, S.IN_PROGRESS, assigned_to=frontend_dev.id, **GIT_DONE)
    with pytest.raises(TransitionRefused, match="task is for team backend, agent is in frontend"):
        await transitions.transition(conn, task_id, S.VERIFYING, frontend_dev)
    with pytest.raises(TransitionRefused, match="task is for team backend"):
        await transitions.transition(conn, task_id, S.PAUSED, frontend_pm)
    # org-wide roles act across cells; an actor given without a team is not team-checked
    assert (await transitions.transition(conn, task_id, S.PAUSED, w.agents[R.MAIN_PM])).status
    resumed = await transitions.transition(
        conn, task_id, S.IN_PROGRESS, (frontend_dev.id, R.DEVELOPER)
    )
    assert resumed.status is S.IN_PROGRESS


async def test_a_worker_moves_only_a_task_it_holds(conn: Conn, w: World) -> None:
    dev, other = w.agents[R.DEVELOPER], await another(conn, R.DEVELOPER)
    task_id = await make(conn, w, S.IN_PROGRESS, assigned_to=dev.id, **GIT_DONE)
    with pytest.raises(TransitionRefused, match=f"agent {other.id} does not hold it"):
        await transitions.transition(conn, task_id, S.VERIFYING, other)
    assert not (await get(conn, task_id)).self_verified
    # the live claimant holds it too
    await conn.execute(
        "UPDATE tasks SET assigned_to = NULL, active_claimant_id = %s WHERE id = %s",
        (dev.id, task_id),
    )
    verifying = await transitions.transition(conn, task_id, S.VERIFYING, dev)
    assert verifying.status is S.VERIFYING and verifying.self_verified  # RoboCo attests here


async def test_the_write_rechecks_the_holder(conn: Conn, w: World) -> None:
    """Handed to someone else between the read and the write: the move is a Conflict."""
    dev, other = w.agents[R.DEVELOPER], await another(conn, R.DEVELOPER)
    task_id = await make(conn, w, S.IN_PROGRESS, assigned_to=dev.id, **GIT_DONE)
    read = await get(conn, task_id)
    await conn.execute("UPDATE tasks SET assigned_to = %s WHERE id = %s", (other.id, task_id))
    with pytest.raises(Conflict, match=f"no longer held by agent {dev.id}"):
        await transitions.apply_transition(conn, read, S.VERIFYING, dev)
    assert (await get(conn, task_id)).status is S.IN_PROGRESS


# -- what RoboCo writes alongside a move (L01): compositions in one transaction ---------------


async def test_moves_compose_with_their_writes_in_one_transaction(conn: Conn, w: World) -> None:
    """RoboCo's service methods write markers and fields with the status; here each is the
    transition plus the task-notes or update call, in the caller's one transaction: all of it
    lands together, or (rolled back) none of it."""
    main, ceo, doc = w.agents[R.MAIN_PM], w.agents[R.CEO], w.agents[R.DOCUMENTER]
    review = await make(conn, w, S.AWAITING_PM_REVIEW, **GIT_DONE)
    docs = await make(conn, w, S.AWAITING_DOCUMENTATION, assigned_to=doc.id, **GIT_DONE)
    board = await make(conn, w, S.BACKLOG, team=Team.BOARD)
    await conn.commit()

    # escalate_to_ceo: the move, the escalation marker and the PM's transition note
    await transitions.transition(conn, review, S.AWAITING_CEO_APPROVAL, main)
    await task_notes.set_escalation(
        conn, review, from_slug="main-pm", to_slug="ceo", reason="billing change"
    )
    await task_notes.set_transition_note(conn, review, "escalate_to_ceo", "needs the CEO")
    # docs_complete: the documenter marker stamped, then the move
    await task_notes.set_marker(conn, docs, Marker.DOCUMENTER, str(doc.id))
    await transitions.transition(conn, docs, S.AWAITING_PM_REVIEW, doc)
    # the board's review flag, approve_and_start's fields, and the activation of the work
    assert await task_notes.mark_board_review_complete(conn, board) is True
    await tasks.update_task(conn, board, TaskUpdate(team=Team.MAIN_PM, confirmed_by_human=True))
    await transitions.transition(conn, board, S.PENDING, main)
    await conn.rollback()
    for task_id, status in ((review, S.AWAITING_PM_REVIEW), (docs, S.AWAITING_DOCUMENTATION)):
        undone = await get(conn, task_id)
        assert undone.status is status and not undone.orchestration_markers
    assert not (await get(conn, board)).board_review_complete
    assert await audits(conn, review) == []

    await conn.execute("UPDATE tasks SET active_claimant_id = %s WHERE id = %s", (main.id, review))
    escalated = await transitions.transition(conn, review, S.AWAITING_CEO_APPROVAL, main)
    assert escalated.active_claimant_id == main.id  # RoboCo's escalation moves only the status
    await task_notes.set_escalation(
        conn, review, from_slug="main-pm", to_slug="ceo", reason="billing change"
    )
    await transitions.transition(conn, review, S.NEEDS_REVISION, ceo)
    await task_notes.set_transition_note(conn, review, "ceo_reject", "not this quarter")
    await conn.commit()
    rejected = await get(conn, review)
    assert rejected.status is S.NEEDS_REVISION and rejected.revision_count == 1
    markers = rejected.orchestration_markers or {}
    escalation = markers["escalation"]
    assert isinstance(escalation, dict)
    assert escalation["reason"] == "billing change"
    assert "ceo_reject" in str(markers["transition_notes"])
    assert [e["event_type"] for e in await audits(conn, review)] == [
        "task.awaiting_ceo_approval",
        "task.needs_revision",
    ]
    # cancel with a note: the line joins dev_notes in the same transaction
    await task_notes.append_note(conn, docs, "dev_notes", "[CANCELLED by cell_pm] descoped")
    gone = await transitions.transition(conn, docs, S.CANCELLED, w.agents[R.CELL_PM])
    assert gone.status is S.CANCELLED and gone.dev_notes == "[CANCELLED by cell_pm] descoped"


# -- who owns the task after a review verdict (L01) ---------------------------------------------


async def test_review_verdicts_route_the_task_as_roboco(conn: Conn, w: World) -> None:
    """pr_pass hands the task to the PM who assembles it (its cell's PM, else the Main PM);
    a failed assembled PR and a PM's request for changes go to that PM when no original
    developer is recorded, a leaf back to its developer; a direct PM submission keeps owner
    and claim."""
    reviewer, pm, main = w.agents[R.PR_REVIEWER], w.agents[R.CELL_PM], w.agents[R.MAIN_PM]
    dev = w.agents[R.DEVELOPER]
    passed = await transitions.transition(
        conn, await make(conn, w, S.AWAITING_PR_REVIEW, **GIT_DONE), S.AWAITING_PM_REVIEW, reviewer
    )
    assert passed.assigned_to == passed.claimed_by == pm.id
    assert passed.active_claimant_id is None
    await conn.execute(
        "UPDATE agents SET created_at = created_at - interval '1 day' WHERE id = %s",
        (w.creator,),
    )
    root = await make(conn, w, S.AWAITING_PR_REVIEW, team=Team.MAIN_PM, **GIT_DONE)
    failed_root = await transitions.transition(conn, root, S.NEEDS_REVISION, reviewer)
    assert failed_root.assigned_to == failed_root.claimed_by == w.creator  # the earliest Main PM
    leaf = await make(conn, w, S.AWAITING_PR_REVIEW, orchestration_markers=marked(dev.id))
    assert (await transitions.transition(conn, leaf, S.NEEDS_REVISION, reviewer)).assigned_to == (
        dev.id
    )
    unmarked = await make(conn, w, S.AWAITING_PM_REVIEW, **GIT_DONE)
    assert (await transitions.transition(conn, unmarked, S.NEEDS_REVISION, main)).assigned_to == (
        pm.id
    )
    direct = await make(
        conn, w, S.IN_PROGRESS, assigned_to=dev.id, active_claimant_id=dev.id, **GIT_DONE
    )
    submitted = await transitions.transition(conn, direct, S.AWAITING_PM_REVIEW, dev)
    assert submitted.assigned_to == submitted.active_claimant_id == dev.id


async def test_documented_task_goes_to_the_pm_up_its_parent_chain(conn: Conn, w: World) -> None:
    doc, pm = w.agents[R.DOCUMENTER], w.agents[R.CELL_PM]
    planning = await make(conn, w, S.IN_PROGRESS, assigned_to=pm.id, **GIT_DONE)
    middle = await make(conn, w, S.IN_PROGRESS, parent_task_id=planning, **GIT_DONE)
    leaf = await make(
        conn, w, S.AWAITING_DOCUMENTATION, parent_task_id=middle, assigned_to=doc.id, **GIT_DONE
    )
    documented = await transitions.transition(conn, leaf, S.AWAITING_PM_REVIEW, doc)
    assert documented.assigned_to == documented.claimed_by == pm.id
    assert documented.active_claimant_id == pm.id  # the PM holds the review
    orphan = await make(conn, w, S.AWAITING_DOCUMENTATION, assigned_to=doc.id, **GIT_DONE)
    alone = await transitions.transition(conn, orphan, S.AWAITING_PM_REVIEW, doc)
    assert alone.assigned_to is None and alone.active_claimant_id is None


async def test_a_qa_fail_without_a_marker_finds_the_developer_of_the_work(
    conn: Conn, w: World
) -> None:
    """RoboCo's fallback: the developer of the task's latest work session (never the QA's
    own), who is then recorded as the original developer."""
    dev, qa = w.agents[R.DEVELOPER], w.agents[R.QA]
    task_id = await make(conn, w)
    await claims.claim(conn, task_id, dev)  # opens the developer's work session
    await conn.execute(
        "UPDATE tasks SET status = 'awaiting_qa', assigned_to = NULL, claimed_by = NULL,"
        " active_claimant_id = NULL WHERE id = %s",
        (task_id,),
    )
    failed = await transitions.transition(conn, task_id, S.NEEDS_REVISION, qa)
    assert failed.assigned_to == failed.claimed_by == dev.id
    assert failed.orchestration_markers == marked(dev.id)
    nobody = await make(conn, w, S.AWAITING_QA)
    assert (await transitions.transition(conn, nobody, S.NEEDS_REVISION, qa)).assigned_to is None


# -- cancel ---------------------------------------------------------------------------------------


async def test_the_system_cancels_and_is_audited_as_the_system(conn: Conn, w: World) -> None:
    task_id = await make(conn, w, S.PENDING)
    cancelled = await transitions.transition(conn, task_id, S.CANCELLED, SYSTEM)
    assert cancelled.status is S.CANCELLED
    [entry] = await audits(conn, task_id)
    assert entry["agent_id"] is None
    assert entry["details"]["agent_role"] == "system" and entry["details"]["action"] == "cancel"
    with pytest.raises(TransitionRefused, match="role not allowed on cancel"):
        await transitions.transition(conn, await make(conn, w), S.CANCELLED, w.agents[R.DEVELOPER])
    # a task waiting on the CEO is the CEO's (or the system's) to cancel, not a PM's
    waiting = await make(conn, w, S.AWAITING_CEO_APPROVAL, **GIT_DONE)
    with pytest.raises(TransitionRefused, match="allowed: ceo, system"):
        await transitions.transition(conn, waiting, S.CANCELLED, w.agents[R.CELL_PM])
    assert (await transitions.transition(conn, waiting, S.CANCELLED, SYSTEM)).status is S.CANCELLED


async def test_a_cancel_never_leaves_an_orphaned_subtree(conn: Conn, w: World) -> None:
    """A PM may not cancel a task awaiting the CEO, so neither a parent whose cancel would
    reach one: the whole cancel is refused, as RoboCo's. The CEO's goes through."""
    root = await make(conn, w, S.IN_PROGRESS, **GIT_DONE)
    child = await make(conn, w, S.PENDING, parent_task_id=root)
    waiting = await make(conn, w, S.AWAITING_CEO_APPROVAL, parent_task_id=child, **GIT_DONE)
    with pytest.raises(TransitionRefused, match=f"descendant {waiting} is awaiting_ceo_approval"):
        await transitions.transition(conn, root, S.CANCELLED, w.agents[R.CELL_PM])
    assert [(await get(conn, t)).status for t in (root, child)] == [S.IN_PROGRESS, S.PENDING]
    await transitions.transition(conn, root, S.CANCELLED, w.agents[R.CEO])
    assert {(await get(conn, t)).status for t in (root, child, waiting)} == {S.CANCELLED}


async def test_a_cancel_releases_its_dependents(conn: Conn, w: World) -> None:
    """As RoboCo's cancel: the cancelled task (and its cancelled subtree) moves to each
    dependent's completed_dependency_ids, and a blocked dependent left with nothing unmet
    comes back."""
    dev = w.agents[R.DEVELOPER]
    upstream = await make(conn, w, S.PENDING)
    child = await make(conn, w, S.PENDING, parent_task_id=upstream)
    other = await make(conn, w, S.IN_PROGRESS, **GIT_DONE)
    waiting = await make(
        conn,
        w,
        S.BLOCKED,
        branch_name=BRANCH,
        assigned_to=dev.id,
        dependency_ids=[child, upstream],
    )
    still = await make(conn, w, S.BLOCKED, assigned_to=dev.id, dependency_ids=[upstream, other])
    await transitions.transition(conn, upstream, S.CANCELLED, w.agents[R.CELL_PM])
    revived = await get(conn, waiting)
    assert revived.status is S.IN_PROGRESS and revived.assigned_to == dev.id
    assert revived.dependency_ids == [] and revived.completed_dependency_ids == [child, upstream]
    held = await get(conn, still)
    assert held.status is S.BLOCKED
    assert held.dependency_ids == [other] and held.completed_dependency_ids == [upstream]


async def test_a_bounce_into_revision_is_counted_and_a_move_clears_stalled(
    conn: Conn, w: World
) -> None:
    qa = w.agents[R.QA]
    task_id = await make(conn, w, S.AWAITING_QA, **GIT_DONE)
    await conn.execute(
        "UPDATE tasks SET stalled_reason = 'respawn_breaker', stalled_since = now() WHERE id = %s",
        (task_id,),
    )
    failed = await transitions.transition(conn, task_id, S.NEEDS_REVISION, qa)
    assert failed.revision_count == 1
    assert failed.stalled_reason is None and failed.stalled_since is None
    await conn.execute("UPDATE tasks SET assigned_to = %s WHERE id = %s", (qa.id, task_id))
    back = await transitions.transition(conn, task_id, S.PENDING, qa)  # unclaim, not a bounce
    assert back.revision_count == 1


# -- the privileged override (L02) ----------------------------------------------------------------


async def test_admin_set_status_moves_past_the_edges_and_audits_who_and_why(
    conn: Conn, w: World
) -> None:
    ceo = w.agents[R.CEO]
    task_id = await make(conn, w, S.IN_PROGRESS, assigned_to=w.agents[R.DEVELOPER].id, **GIT_DONE)
    await conn.execute(
        "UPDATE tasks SET active_claimant_id = assigned_to WHERE id = %s", (task_id,)
    )
    moved = await transitions.admin_set_status(
        conn, task_id, S.AWAITING_QA, ceo, reason="merged out of band"
    )
    assert moved.status is S.AWAITING_QA  # no such edge: the override skips the table
    assert moved.active_claimant_id is None  # a review queue starts without a stale claim
    assert moved.assigned_to == w.agents[R.DEVELOPER].id and moved.completed_at is None
    [entry] = await audits(conn, task_id)
    assert entry["event_type"] == "task.awaiting_qa" and entry["agent_id"] == ceo.id
    details = entry["details"]
    assert details["reason"] == "merged out of band" and details["agent_role"] == "ceo"
    assert details["action"] == "admin_set_status" and details["forced"] is False


async def test_admin_set_status_brings_back_a_finished_task_only_with_force(
    conn: Conn, w: World
) -> None:
    ceo = w.agents[R.CEO]
    task_id = await make(conn, w, S.COMPLETED, **GIT_DONE)
    with pytest.raises(TransitionRefused, match="only with force=True"):
        await transitions.admin_set_status(conn, task_id, S.NEEDS_REVISION, ceo, reason="redo")
    assert await audits(conn, task_id) == []
    redo = await transitions.admin_set_status(
        conn, task_id, S.NEEDS_REVISION, ceo, reason="redo", force=True
    )
    assert redo.status is S.NEEDS_REVISION and redo.revision_count == 0  # recovery, not rework
    events = {e["event_type"]: e for e in await audits(conn, task_id)}
    assert set(events) == {"task.needs_revision", "task.admin_override"}
    override = events["task.admin_override"]
    assert override["agent_id"] == ceo.id and override["details"]["forced"] is True
    assert override["details"]["reason"] == "redo"


async def test_admin_set_status_out_of_blocked_restores_the_owner(conn: Conn, w: World) -> None:
    dev, pm, ops = w.agents[R.DEVELOPER], w.agents[R.CELL_PM], w.agents[R.SECRETARY]
    blocked = await make(
        conn, w, S.BLOCKED, branch_name=BRANCH, assigned_to=pm.id, claimed_by=pm.id
    )
    branchless = await make(conn, w, S.BLOCKED, assigned_to=pm.id)
    queued = await make(conn, w, S.BLOCKED, assigned_to=pm.id, claimed_by=pm.id)
    await conn.execute(
        "UPDATE tasks SET pre_block_state = 'in_progress', pre_block_assignee = %s,"
        " blocker_raised_by = %s, orchestration_markers = '{\"oscillation_strikes\": 2}'"
        " WHERE id = ANY(%s)",
        (dev.id, dev.id, [blocked, branchless, queued]),
    )
    back = await transitions.admin_set_status(conn, blocked, S.IN_PROGRESS, ops, reason="ok")
    assert back.status is S.IN_PROGRESS
    assert back.assigned_to == back.claimed_by == back.active_claimant_id == dev.id
    assert back.pre_block_state is None and back.pre_block_assignee is None
    assert back.blocker_raised_by is None and back.orchestration_markers == {}
    assert {e["event_type"] for e in await audits(conn, blocked)} == {
        "task.in_progress",
        "task.admin_override",
    }
    pooled = await transitions.admin_set_status(conn, branchless, S.IN_PROGRESS, ops, reason="x")
    assert pooled.status is S.PENDING and pooled.assigned_to == dev.id  # no branch to work on
    review = await transitions.admin_set_status(conn, queued, S.AWAITING_QA, ops, reason="x")
    assert review.claimed_by is None and review.claimed_at is None
    assert review.active_claimant_id is None and review.pre_block_state is None
    assert [e["event_type"] for e in await audits(conn, queued)] == ["task.awaiting_qa"]


async def test_admin_set_status_checks_its_input_first(conn: Conn, w: World) -> None:
    ceo, missing = w.agents[R.CEO], uuid.uuid4()
    with pytest.raises(ValidationError, match="reason must be a non-empty string"):
        await transitions.admin_set_status(conn, missing, S.PENDING, ceo, reason="  ")
    with pytest.raises(ValidationError, match="unknown task status 'done'"):
        await transitions.admin_set_status(conn, missing, "done", ceo, reason="x")
    with pytest.raises(NotFound, match=str(missing)):
        await transitions.admin_set_status(conn, missing, S.PENDING, ceo, reason="x")


# -- the in-place review claim (L03) --------------------------------------------------------------


async def test_review_claims_take_the_queue_without_moving_it(conn: Conn, w: World) -> None:
    """QA, documenter and PM claim in place, as RoboCo: the status stays, the agent holds the
    live claim, and the verdict leaves from the queue."""
    qa, doc, pm = w.agents[R.QA], w.agents[R.DOCUMENTER], w.agents[R.CELL_PM]
    dev = w.agents[R.DEVELOPER]
    task_id = await make(conn, w, S.AWAITING_QA, orchestration_markers=marked(dev.id), **GIT_DONE)
    held = await claims.claim_review(conn, task_id, qa)
    assert held.status is S.AWAITING_QA
    assert held.assigned_to == held.claimed_by == held.active_claimant_id == qa.id
    assert held.last_heartbeat_at == held.claimed_at is not None
    assert await audits(conn, task_id) == []  # nothing moved
    passed = await transitions.transition(conn, task_id, S.AWAITING_DOCUMENTATION, qa)
    assert passed.assigned_to is None and passed.active_claimant_id is None
    assert (await claims.claim_review(conn, task_id, doc)).status is S.AWAITING_DOCUMENTATION
    assert not passed.docs_complete  # QA's pass asks for this cycle's docs
    await tasks.update_task(conn, task_id, TaskUpdate(docs_complete=True))
    reviewed = await transitions.transition(conn, task_id, S.AWAITING_PM_REVIEW, doc)
    assert (await claims.claim_review(conn, reviewed.id, pm)).assigned_to == pm.id
    done = await transitions.transition(conn, task_id, S.COMPLETED, pm)
    assert done.status is S.COMPLETED


async def test_review_claims_refuse_rivals_strangers_and_self_review(conn: Conn, w: World) -> None:
    qa, rival = w.agents[R.QA], await another(conn, R.QA)
    task_id = await make(conn, w, S.AWAITING_QA, orchestration_markers=marked(rival.id))
    with pytest.raises(TransitionRefused, match="developed it \\(no self-review\\)"):
        await claims.claim_review(conn, task_id, rival)
    with pytest.raises(TransitionRefused, match="awaiting_qa is not its queue"):
        await claims.claim_review(conn, task_id, w.agents[R.DOCUMENTER])
    with pytest.raises(TransitionRefused, match="claims no review queue"):
        await claims.claim_review(conn, task_id, w.agents[R.DEVELOPER])
    stranger = await another(conn, R.QA, Team.FRONTEND)
    with pytest.raises(TransitionRefused, match="task is for team backend"):
        await claims.claim_review(conn, task_id, stranger)
    await claims.claim_review(conn, task_id, qa)
    third = await another(conn, R.QA)
    with pytest.raises(Conflict, match=f"live claimant {qa.id}"):
        await claims.claim_review(conn, task_id, third)
    assert (await claims.claim_review(conn, task_id, qa)).active_claimant_id == qa.id  # again


async def test_a_main_pm_claims_no_code_task_but_recovers_a_revision(conn: Conn, w: World) -> None:
    """RoboCo's gateway backstop: a Main PM coordinates; it may re-claim a code task sent back
    for revision (to re-delegate the fixes), never take a fresh one, by id or from the queue."""
    main = w.agents[R.MAIN_PM]
    code = await make(conn, w)  # rows are code tasks
    with pytest.raises(TransitionRefused, match="does not own a code task"):
        await claims.claim(conn, code, main)
    assert await claims.claim_next(conn, main) is None
    await conn.execute("UPDATE tasks SET task_type = 'planning' WHERE id = %s", (code,))
    assert (await claims.claim_next(conn, main)) is not None
    revision = await make(conn, w, S.NEEDS_REVISION)
    assert (await claims.claim(conn, revision, main)).status is S.CLAIMED


# -- heartbeat, reset, dependency -----------------------------------------------------------------


async def test_touch_is_silent_for_anyone_but_the_live_claimant(conn: Conn, w: World) -> None:
    dev, other = w.agents[R.DEVELOPER], w.agents[R.CELL_PM]
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    task_id = await make(
        conn,
        w,
        S.IN_PROGRESS,
        assigned_to=dev.id,
        active_claimant_id=dev.id,
        last_heartbeat_at=long_ago,
        **GIT_DONE,
    )
    assert await claims.touch(conn, task_id, other) is None
    assert await claims.touch(conn, uuid.uuid4(), dev) is None
    assert (await get(conn, task_id)).last_heartbeat_at == long_ago  # not refreshed
    with pytest.raises(Conflict, match="holds no live claim"):  # the strict form still says why
        await claims.heartbeat(conn, task_id, other)
    beat = await claims.touch(conn, task_id, dev)
    assert beat is not None and beat > long_ago
    assert (await get(conn, task_id)).last_heartbeat_at == beat


async def test_reset_to_pending_keeps_the_owner(conn: Conn, w: World) -> None:
    dev = w.agents[R.DEVELOPER]
    task_id = await make(conn, w)
    claimed = await claims.claim(conn, task_id, dev)
    assert claimed.work_session_id is not None
    reset = await claims.reset_to_pending(conn, task_id)
    assert reset is not None and reset.status is S.PENDING
    assert reset.assigned_to == reset.claimed_by == dev.id  # the same agent resumes it
    assert reset.active_claimant_id is None and reset.last_heartbeat_at is None
    assert reset.work_session_id is None and reset.branch_name == claimed.branch_name
    sessions = await fetch(conn, "SELECT status FROM work_sessions WHERE task_id = %s", task_id)
    assert [s["status"] for s in sessions] == ["abandoned"]
    last = (await audits(conn, task_id))[-1]
    assert last["agent_id"] is None
    assert last["details"]["agent_role"] == "system" and last["details"]["action"] == "reset"
    assert await claims.reset_to_pending(conn, task_id) is None  # nothing held: a no-op
    again = await claims.claim(conn, task_id, dev)  # the owner may claim it back
    forgot = await claims.reset_to_pending(conn, again.id, forget_branch=True)
    assert forgot is not None and forgot.branch_name is None and forgot.assigned_to == dev.id
    with pytest.raises(NotFound):
        await claims.reset_to_pending(conn, uuid.uuid4())


async def test_release_from_every_state_roboco_unclaims(conn: Conn, w: World) -> None:
    """RoboCo's unclaim also leaves verifying and needs_revision, and un-assigns a pending
    task its agent never claimed without moving it."""
    dev, other = w.agents[R.DEVELOPER], await another(conn, R.DEVELOPER)
    for src in (S.VERIFYING, S.NEEDS_REVISION):
        task_id = await make(conn, w, src, assigned_to=dev.id, claimed_by=dev.id, **GIT_DONE)
        back = await claims.release(conn, task_id, dev)
        assert back.status is S.PENDING and back.assigned_to is None
        assert back.claimed_by == dev.id
    assigned = await make(conn, w, S.PENDING, assigned_to=dev.id, active_claimant_id=dev.id)
    with pytest.raises(TransitionRefused, match=f"not assigned to agent {other.id}"):
        await claims.release(conn, assigned, other)
    freed = await claims.release(conn, assigned, dev)
    assert freed.status is S.PENDING
    assert freed.assigned_to is None and freed.active_claimant_id is None
    assert await audits(conn, assigned) == []  # nothing moved


async def test_reconciliation_lists_the_held_and_resets_the_dead_ones(conn: Conn, w: World) -> None:
    """RoboCo's reaper and startup reconciliation: list claimed/in_progress, decide liveness
    in the application, reset only the dead holders' tasks, each keeping its owner."""
    alive, dead = w.agents[R.DEVELOPER], await another(conn, R.DEVELOPER)
    mine = await make(conn, w, S.IN_PROGRESS, assigned_to=alive.id, **GIT_DONE)
    theirs = await make(conn, w, S.CLAIMED, assigned_to=dead.id, **GIT_DONE)
    await make(conn, w, S.PENDING)
    held = await tasks.list_tasks(conn, status=[S.CLAIMED, S.IN_PROGRESS], limit=1000)
    assert {t.id for t in held} == {mine, theirs}
    for task in held:
        if task.assigned_to == dead.id:  # the container check, in the application
            await claims.reset_to_pending(conn, task.id)
    assert (await get(conn, mine)).status is S.IN_PROGRESS
    back = await get(conn, theirs)
    assert back.status is S.PENDING and back.assigned_to == back.claimed_by == dead.id


async def test_add_dependency_appends_without_moving_anything(conn: Conn, w: World) -> None:
    dev = w.agents[R.DEVELOPER]
    task_id = await make(conn, w, S.IN_PROGRESS, assigned_to=dev.id, **GIT_DONE)
    design = await make(conn, w, S.PENDING)
    assert await graph.add_dependency(conn, task_id, design) is True
    task = await get(conn, task_id)
    assert task.status is S.IN_PROGRESS and task.dependency_ids == [design]
    assert (await get(conn, design)).blocker_ids == []  # no write on the other row
    assert await graph.add_dependency(conn, task_id, design) is False  # already there
    pending = await make(conn, w, S.PENDING)
    assert await graph.add_dependency(conn, pending, design) is True
    with pytest.raises(TransitionRefused, match=f"depends on unfinished task\\(s\\) {design}"):
        await claims.claim(conn, pending, dev)  # held out of the queue, still pending
    assert (await get(conn, pending)).status is S.PENDING
    with pytest.raises(ValidationError, match="cannot depend on itself"):
        await graph.add_dependency(conn, task_id, task_id)
    with pytest.raises(ValidationError, match="would close a cycle"):
        await graph.add_dependency(conn, design, task_id)
    with pytest.raises(NotFound, match="dependency task"):
        await graph.add_dependency(conn, task_id, uuid.uuid4())
    assert (await get(conn, design)).dependency_ids == []  # the transaction goes on


async def test_concurrent_dependency_appends_both_survive(
    db_url: str, conn: Conn, w: World
) -> None:
    task_id = await make(conn, w)
    ups = [await make(conn, w) for _ in range(6)]
    await conn.commit()
    conns = [await AsyncConnection.connect(db_url) for _ in range(2)]
    try:

        async def append(c: Conn, mine: list[uuid.UUID]) -> None:
            for up in mine:
                await graph.add_dependency(c, task_id, up)
                await c.commit()

        await asyncio.gather(append(conns[0], ups[::2]), append(conns[1], ups[1::2]))
    finally:
        for c in conns:
            await c.close()
    assert sorted((await get(conn, task_id)).dependency_ids) == sorted(ups)
