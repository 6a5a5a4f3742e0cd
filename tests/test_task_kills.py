"""Kill tests for the task state machine's mutation survivors (`make mutate MODULES=lifecycle`,
`claims`, `transitions`): each pins a behaviour a surviving mutant changed and no other test
asserted. Named after what they pin; the mutants they kill are in mutation/results."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection

from roboco_sql import lifecycle, queries
from roboco_sql.errors import Conflict, NotFound, TransitionRefused, ValidationError
from roboco_sql.lifecycle import Standing, TaskFacts
from roboco_sql.models.enums import AgentRole, TaskStatus, Team
from roboco_sql.models.task import Task
from roboco_sql.repos import claims, graph, transitions
from roboco_sql.repos import tasks as task_repo
from roboco_sql.repos.transitions import Actor
from tests.fix_tasks import GIT_DONE, World, build_world, get, make, seed_agent
from tests.test_mutation_kills import _stale_first_read

Conn = AsyncConnection[Any]
S = TaskStatus
R = AgentRole

DEV, OTHER = "d" * 8, "o" * 8


# -- lifecycle: facts from a row -----------------------------------------------------------------


def test_facts_read_docs_complete_from_its_own_column() -> None:
    facts = TaskFacts.from_mapping({"docs_complete": True, "pr_created": False})
    assert facts.docs_complete is True
    assert facts.pr_created is False


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"pr_created": 1}, "task fact pr_created must be a boolean, got int"),
        ({"pr_number": "12"}, "task fact pr_number must be an integer, got str"),
        ({"pr_number": True}, "task fact pr_number must be an integer, got bool"),
        ({"branch_name": 5}, "task fact branch_name must be a string, got int"),
    ],
)
def test_a_wrong_fact_type_is_named_in_words(row: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TaskFacts.from_mapping(row)
    assert str(caught.value) == message


# -- lifecycle: refusal wording ------------------------------------------------------------------


def test_every_unmet_precondition_is_explained() -> None:
    why = lifecycle.refusal(
        "awaiting_documentation", "awaiting_pm_review", "documenter", TaskFacts()
    )
    assert why == (
        "awaiting_documentation -> awaiting_pm_review refused for role documenter: "
        "preconditions docs_complete, pr_created unmet "
        "(documentation not finished; no PR opened yet)"
    )


# -- lifecycle: authority_refusal, rule by rule --------------------------------------------------


def _standing(**kw: object) -> Standing:
    base: dict[str, object] = {
        "agent_id": DEV,
        "agent_team": "backend",
        "task_team": "backend",
        "holders": frozenset({DEV}),
    }
    base.update(kw)
    return Standing(**base)  # type: ignore[arg-type]


def test_an_ungated_edge_takes_its_actions_roles() -> None:
    why = lifecycle.authority_refusal("backlog", "pending", "developer", _standing())
    assert why == (
        "backlog -> pending refused for role developer: role may not activate "
        "(allowed: cell_pm, main_pm)"
    )
    assert lifecycle.authority_refusal("backlog", "pending", "cell_pm", _standing()) is None


def test_a_flow_riding_an_edge_brings_its_own_action() -> None:
    # in_progress -> blocked is the block edge, open to a developer; a flow that rides it as
    # "unblock" is held to unblock's roles (PMs) instead
    held = _standing()
    assert lifecycle.authority_refusal("in_progress", "blocked", "developer", held) is None
    why = lifecycle.authority_refusal("in_progress", "blocked", "developer", held, action="unblock")
    assert why == (
        "in_progress -> blocked refused for role developer: role may not unblock "
        "(allowed: cell_pm, main_pm)"
    )


def test_a_gated_edge_is_not_narrowed_by_its_actions_roles() -> None:
    # request_changes: the edge admits the board, the action's own roles are only the PMs
    why = lifecycle.authority_refusal(
        "awaiting_pm_review", "needs_revision", "product_owner", _standing()
    )
    assert why is None


def test_self_review_is_refused_to_reviewers_only() -> None:
    mine = _standing(original_developer=DEV)
    why = lifecycle.authority_refusal("awaiting_qa", "awaiting_documentation", "qa", mine)
    assert why == (
        f"awaiting_qa -> awaiting_documentation refused for role qa: agent {DEV} developed it "
        "(no self-review)"
    )
    theirs = _standing(original_developer=OTHER)
    assert (
        lifecycle.authority_refusal("awaiting_qa", "awaiting_documentation", "qa", theirs) is None
    )
    # an unknown actor and an unknown developer are not the same agent
    anonymous = _standing(agent_id=None, original_developer=None)
    assert (
        lifecycle.authority_refusal("awaiting_qa", "awaiting_documentation", "qa", anonymous)
        is None
    )
    # the developer finishes the parallel docs/PR phase of its own task
    own = _standing(original_developer=DEV)
    assert (
        lifecycle.authority_refusal(
            "awaiting_documentation", "awaiting_pm_review", "developer", own
        )
        is None
    )
    # an action without the self-review block: the PM who developed it still completes it
    pm = _standing(original_developer=DEV, agent_team="backend")
    assert lifecycle.authority_refusal("awaiting_pm_review", "completed", "cell_pm", pm) is None


def test_the_team_rule_binds_cell_agents_with_a_known_team() -> None:
    elsewhere = _standing(agent_team="frontend")
    why = lifecycle.authority_refusal("in_progress", "verifying", "developer", elsewhere)
    assert why == (
        "in_progress -> verifying refused for role developer: task is for team backend, "
        "agent is in frontend"
    )
    same = _standing()
    assert lifecycle.authority_refusal("in_progress", "verifying", "developer", same) is None
    for standing in (_standing(agent_team=None), _standing(task_team=None)):
        assert (
            lifecycle.authority_refusal("in_progress", "verifying", "developer", standing) is None
        )
    # an org-wide role crosses teams
    board = _standing(agent_team="board")
    assert (
        lifecycle.authority_refusal("awaiting_pm_review", "needs_revision", "main_pm", board)
        is None
    )


@pytest.mark.parametrize(
    ("holders", "named"),
    [(frozenset(), "nobody"), (frozenset({OTHER, "a" * 8}), "a" * 8 + ", " + OTHER)],
)
def test_the_holder_rule_names_who_holds_it(holders: frozenset[str], named: str) -> None:
    why = lifecycle.authority_refusal(
        "in_progress", "verifying", "developer", _standing(holders=holders)
    )
    assert why == (
        f"in_progress -> verifying refused for role developer: agent {DEV} does not hold it "
        f"(held by {named})"
    )


# -- the database half: claims and transitions ---------------------------------------------------


@pytest.fixture
async def w(conn: Conn) -> World:
    return await build_world(conn)


def _deleted_after_first_read(monkeypatch: pytest.MonkeyPatch, row: Task) -> list[uuid.UUID]:
    """The next get_task returns ``row`` (read before another writer deleted it), later ones
    what the table holds; the ids asked for."""
    real = task_repo.get_task
    calls: list[uuid.UUID] = []

    async def gone_after_first(c: Conn, tid: uuid.UUID) -> Task | None:
        calls.append(tid)
        return row if len(calls) == 1 else await real(c, tid)

    monkeypatch.setattr(task_repo, "get_task", gone_after_first)
    return calls


# -- claims --------------------------------------------------------------------------------------


async def test_a_role_that_claims_nothing_is_told_so(conn: Conn, w: World) -> None:
    task_id = await make(conn, w)
    with pytest.raises(TransitionRefused) as caught:
        await claims.claim(conn, task_id, w.agents[R.CEO])
    assert str(caught.value) == (
        f"task {task_id}: claim refused for role ceo: pending is not claimable (claims: nothing)"
    )


async def test_a_refused_claim_lists_what_the_role_claims(conn: Conn, w: World) -> None:
    task_id = await make(conn, w, S.AWAITING_QA, **GIT_DONE)
    with pytest.raises(TransitionRefused) as caught:
        await claims.claim(conn, task_id, w.agents[R.DEVELOPER])
    assert str(caught.value) == (
        f"task {task_id}: claim refused for role developer: awaiting_qa is not claimable "
        "(claims: needs_revision, pending)"
    )


async def test_claims_by_an_actor_without_an_id_are_refused_in_words(conn: Conn, w: World) -> None:
    nobody = Actor(None, R.DEVELOPER, Team.BACKEND)
    await make(conn, w)
    with pytest.raises(ValidationError) as caught:
        await claims.claim_next(conn, nobody)
    assert str(caught.value) == "a claim needs an agent id"


async def test_missing_tasks_are_named(conn: Conn, w: World) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as caught:
        await claims.claim(conn, missing, w.agents[R.DEVELOPER])
    assert str(caught.value) == f"task {missing} not found"
    with pytest.raises(NotFound) as caught:
        await claims.reset_to_pending(conn, missing)
    assert str(caught.value) == f"task {missing} not found"


async def test_claims_by_an_unknown_agent_name_the_claim(conn: Conn, w: World) -> None:
    """The claim statements' database refusals come out labelled as a task claim."""
    ghost = uuid.uuid4()
    pending = await make(conn, w)
    with pytest.raises(NotFound) as caught:
        await claims.claim(conn, pending, Actor(ghost, R.DEVELOPER, Team.BACKEND))
    assert str(caught.value).startswith("task claim: no agents row with ")
    with pytest.raises(NotFound) as caught:
        await claims.claim_next(conn, Actor(ghost, R.DEVELOPER, Team.BACKEND))
    assert str(caught.value).startswith("task claim: no agents row with ")
    queued = await make(conn, w, S.AWAITING_QA, **GIT_DONE)
    with pytest.raises(NotFound) as caught:
        await claims.claim_review(conn, queued, Actor(ghost, R.QA, Team.BACKEND))
    assert str(caught.value).startswith("task claim: no agents row with ")


async def test_claim_next_skips_a_reviewers_own_work(conn: Conn, w: World) -> None:
    qa = w.agents[R.QA]
    mine = await make(
        conn, w, S.AWAITING_QA, orchestration_markers={"original_developer": str(qa.id)}
    )
    assert await claims.claim_next(conn, qa) is None
    # a developer's own work is its to take back
    dev = w.agents[R.DEVELOPER]
    revise = await make(
        conn, w, S.NEEDS_REVISION, orchestration_markers={"original_developer": str(dev.id)}
    )
    taken = await claims.claim_next(conn, dev)
    assert taken is not None and taken.id == revise
    assert (await get(conn, mine)).status is S.AWAITING_QA


async def test_a_claim_lost_to_an_assignment_meanwhile_is_a_conflict(
    conn: Conn, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = w.agents[R.DEVELOPER]
    other = await seed_agent(conn, R.DEVELOPER, Team.BACKEND)
    task_id = await make(conn, w, assigned_to=other)
    _stale_first_read(monkeypatch, assigned_to=None)
    with pytest.raises(Conflict) as caught:
        await claims.claim(conn, task_id, dev)
    assert str(caught.value) == (
        f"task {task_id}: changed while claiming (was pending, found pending assigned to {other})"
    )


async def test_claims_of_a_task_deleted_meanwhile_name_it(
    conn: Conn, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for status, claim in (
        (S.PENDING, claims.claim),
        (S.AWAITING_QA, claims.claim_review),
    ):
        task_id = await make(conn, w, status, **GIT_DONE)
        row = await get(conn, task_id)
        await conn.execute("DELETE FROM tasks WHERE id = %s", (task_id,))
        who = w.agents[R.DEVELOPER if status is S.PENDING else R.QA]
        calls = _deleted_after_first_read(monkeypatch, row)
        with pytest.raises(NotFound) as caught:
            await claim(conn, task_id, who)
        assert str(caught.value) == f"task {task_id} not found"
        assert calls == [task_id, task_id]
        monkeypatch.undo()


async def test_a_claim_waiting_on_dependencies_names_each(conn: Conn, w: World) -> None:
    first = await make(conn, w, S.IN_PROGRESS)
    second = await make(conn, w, S.PENDING)
    task_id = await make(conn, w, dependency_ids=[first, second])
    unmet = await graph.unmet_dependencies(conn, task_id)
    assert set(unmet) == {first, second}
    with pytest.raises(TransitionRefused) as caught:
        await claims.claim(conn, task_id, w.agents[R.DEVELOPER])
    assert str(caught.value) == (
        f"task {task_id}: claim refused for role developer: depends on unfinished task(s) "
        f"{', '.join(map(str, unmet))}"
    )


async def test_a_pm_releases_only_what_it_still_holds_at_write_time(
    conn: Conn, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PM is not owner-bound in the lifecycle, so release's own holder check is what stops
    it from freeing a task another agent took after the PM's read."""
    pm = w.agents[R.CELL_PM]
    other = await seed_agent(conn, R.DEVELOPER, Team.BACKEND)
    held = await make(
        conn, w, S.CLAIMED, assigned_to=other, claimed_by=other, active_claimant_id=other
    )
    _stale_first_read(monkeypatch, assigned_to=pm.id, active_claimant_id=pm.id)
    with pytest.raises(Conflict) as caught:
        await claims.release(conn, held, pm)
    assert str(caught.value) == (
        f"task {held}: no longer held by agent {pm.id} (assigned to {other}, claimant {other})"
    )
    now = await get(conn, held)
    assert (now.status, now.assigned_to) == (S.CLAIMED, other)


async def test_a_lost_live_claim_is_explained_in_words_from_the_row(conn: Conn, w: World) -> None:
    """heartbeat and claim_review tell a write that matched no row the same way (_lost)."""
    dev, other = w.agents[R.DEVELOPER], w.agents[R.CELL_PM]
    held = await make(
        conn, w, S.IN_PROGRESS, assigned_to=dev.id, active_claimant_id=dev.id, **GIT_DONE
    )
    with pytest.raises(Conflict) as caught:
        await claims.heartbeat(conn, held, other)
    assert str(caught.value) == (
        f"task {held}: agent {other.id} holds no live claim on it: status in_progress, "
        f"live claimant {dev.id}"
    )
    qa, rival = w.agents[R.QA], await seed_agent(conn, R.QA, Team.BACKEND)
    queued = await make(conn, w, S.AWAITING_QA, **GIT_DONE)
    await claims.claim_review(conn, queued, qa)
    with pytest.raises(Conflict) as caught:
        await claims.claim_review(conn, queued, Actor(rival, R.QA, Team.BACKEND))
    assert str(caught.value) == (
        f"task {queued}: review claim lost: status awaiting_qa, live claimant {qa.id}"
    )


async def test_a_reap_age_that_is_no_span_is_refused_by_its_name(conn: Conn) -> None:
    with pytest.raises(ValidationError) as caught:
        await claims.reap_stale_claims(conn, "an hour")  # type: ignore[arg-type]
    assert str(caught.value) == "older_than must be a timedelta or whole seconds"
    with pytest.raises(ValidationError) as caught:
        await claims.reap_stale_claims(conn, dt.timedelta(days=365_001))
    assert str(caught.value) == "older_than is longer than 365000 days"


# -- transitions ---------------------------------------------------------------------------------


async def test_a_pm_cancel_is_refused_by_a_child_awaiting_the_ceo(conn: Conn, w: World) -> None:
    root = await make(conn, w, S.IN_PROGRESS, **GIT_DONE)
    waiting = await make(conn, w, S.AWAITING_CEO_APPROVAL, parent_task_id=root, **GIT_DONE)
    with pytest.raises(TransitionRefused) as caught:
        await transitions.transition(conn, root, S.CANCELLED, w.agents[R.CELL_PM])
    assert str(caught.value) == (
        f"task {root}: cancel refused for role cell_pm: descendant {waiting} is "
        "awaiting_ceo_approval, which the role may not cancel"
    )


async def test_a_pm_cancel_takes_children_in_review_queues(conn: Conn, w: World) -> None:
    """Only the cancel edges' own gates bar a cascade, not the gates of other edges out of a
    descendant's state."""
    root = await make(conn, w, S.IN_PROGRESS, **GIT_DONE)
    children = [
        await make(conn, w, status, parent_task_id=root, **GIT_DONE)
        for status in (S.AWAITING_QA, S.AWAITING_PR_REVIEW, S.IN_PROGRESS)
    ]
    await transitions.transition(conn, root, S.CANCELLED, w.agents[R.CELL_PM])
    assert [(await get(conn, t)).status for t in children] == [S.CANCELLED] * 3


async def test_a_transition_names_the_writer_that_moved_first(
    conn: Conn, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = await make(conn, w, S.BLOCKED)
    _stale_first_read(monkeypatch, status=S.PENDING)
    with pytest.raises(Conflict) as caught:
        await transitions.transition(conn, task_id, S.CANCELLED, w.agents[R.CELL_PM])
    assert str(caught.value) == (
        f"task {task_id}: expected pending for pending -> cancelled, found blocked "
        "(another writer moved it first)"
    )


async def test_a_transition_of_a_task_deleted_meanwhile_names_it(
    conn: Conn, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = await make(conn, w)
    row = await get(conn, task_id)
    await conn.execute("DELETE FROM tasks WHERE id = %s", (task_id,))
    calls = _deleted_after_first_read(monkeypatch, row)
    with pytest.raises(NotFound) as caught:
        await transitions.transition(conn, task_id, S.CANCELLED, w.agents[R.CELL_PM])
    assert str(caught.value) == f"task {task_id} not found"
    assert calls == [task_id, task_id]


async def test_a_missed_write_is_explained_from_the_row_as_it_is_now(conn: Conn, w: World) -> None:
    """_miss re-asks the authority rules of the row it finds, with the flow's own action; this
    branch runs only when the row changes twice between the write and its re-read (moved away
    and back), which no test can schedule, so _miss is asked directly."""
    qa, dev = w.agents[R.QA], w.agents[R.DEVELOPER]
    mine = await make(
        conn, w, S.AWAITING_QA, orchestration_markers={"original_developer": str(qa.id)}
    )
    why = await transitions._miss(
        conn, mine, src=S.AWAITING_QA, dst=S.AWAITING_DOCUMENTATION, who=qa, holder=None,
        action=None,
    )  # fmt: skip
    assert isinstance(why, TransitionRefused)
    assert str(why) == (
        f"task {mine}: awaiting_qa -> awaiting_documentation refused for role qa: "
        f"agent {qa.id} developed it (no self-review)"
    )
    held = await make(conn, w, S.IN_PROGRESS, assigned_to=dev.id, **GIT_DONE)
    as_unblock = await transitions._miss(
        conn, held, src=S.IN_PROGRESS, dst=S.BLOCKED, who=dev, holder=dev.id, action="unblock"
    )
    assert isinstance(as_unblock, TransitionRefused)
    assert str(as_unblock) == (
        f"task {held}: in_progress -> blocked refused for role developer: role may not unblock "
        "(allowed: cell_pm, main_pm)"
    )
    # nothing refuses it now: another writer changed it and changed it back
    again = await transitions._miss(
        conn, held, src=S.IN_PROGRESS, dst=S.BLOCKED, who=dev, holder=dev.id, action=None
    )
    assert isinstance(again, Conflict)
    assert str(again) == f"task {held}: changed concurrently during in_progress -> blocked; retry"


def test_an_actors_unknown_labels_are_named_with_their_parameter() -> None:
    """actor_of reads an Actor's role and team as labels RoboCo may have built from text."""
    agent = uuid.uuid4()
    with pytest.raises(ValidationError) as raised:
        transitions.actor_of(Actor(agent, "wizard", None))  # type: ignore[arg-type]
    assert str(raised.value) == "unknown agent role 'wizard'"
    with pytest.raises(ValidationError) as raised:
        transitions.actor_of(Actor(agent, R.DEVELOPER, "mars"))  # type: ignore[arg-type]
    teams = ", ".join(t.value for t in Team)
    assert str(raised.value) == f"team must be one of {teams}, not 'mars'"
    assert transitions.actor_of(Actor(agent, "qa", "backend")) == Actor(  # type: ignore[arg-type]
        agent, R.QA, Team.BACKEND
    )


def test_an_unknown_status_is_named_in_the_refusal() -> None:
    """The lifecycle's status check names the value it could not read (shown cut to a line)."""
    with pytest.raises(ValidationError) as raised:
        lifecycle.refusal("nope", S.PENDING, R.DEVELOPER, TaskFacts())
    assert str(raised.value) == "unknown task status 'nope'"


async def test_standing_keeps_no_id_as_none_and_reads_only_a_text_marker(
    conn: Conn, w: World
) -> None:
    """An actor without an id stands as no agent (not the text "None", which a marker could
    name), and an original_developer marker that is not text names nobody."""
    row = await get(conn, await make(conn, w, S.AWAITING_QA))
    odd = row.model_copy(update={"orchestration_markers": {"original_developer": 7}})
    nobody = transitions.standing(odd, Actor(None, R.QA))
    assert nobody.agent_id is None
    assert nobody.original_developer is None
    named = row.model_copy(update={"orchestration_markers": {"original_developer": "None"}})
    assert transitions.standing(named, Actor(None, R.QA)).original_developer == "None"
    assert transitions.standing(named, Actor(None, R.QA)).agent_id is None


async def test_a_blocker_records_who_raised_it_not_the_assignee(conn: Conn, w: World) -> None:
    """raised_by reaches the write: a PM raising a blocker on a developer's task is recorded,
    not the assignee the statement falls back to."""
    dev, pm = w.agents[R.DEVELOPER], w.agents[R.CELL_PM]
    a = await make(conn, w, S.IN_PROGRESS, branch_name="x", assigned_to=dev.id)
    b = await make(conn, w)
    blocked = await graph.add_blocker(conn, a, b, raised_by=pm)
    assert blocked.status is S.BLOCKED
    assert blocked.blocker_raised_by == pm.id


async def test_a_transition_by_an_unknown_agent_names_the_task(conn: Conn, w: World) -> None:
    """The transition statement's database refusals come out labelled as the task's."""
    ghost = Actor(uuid.uuid4(), R.DEVELOPER, Team.BACKEND)
    pending = await make(conn, w)
    with pytest.raises(NotFound) as caught:
        await transitions.transition(conn, pending, S.CLAIMED, ghost)
    assert str(caught.value).startswith("task: no agents row with ")
    assert (await get(conn, pending)).status is S.PENDING


async def test_a_transition_by_an_agent_model_moves_as_that_agent(conn: Conn, w: World) -> None:
    """An Agent row read from the repository acts with its own id and role (claimed_by is its
    id, and a developer's claim passes the developer's claim rule)."""
    from roboco_sql.repos import agents

    dev_id = w.agents[R.DEVELOPER].id
    assert dev_id is not None
    model = await agents.get_agent(conn, dev_id)
    assert model is not None
    pending = await make(conn, w)
    taken = await claims.claim(conn, pending, model)
    assert taken.status is S.CLAIMED
    assert taken.claimed_by == model.id


async def test_a_flow_that_misses_its_write_is_judged_with_its_own_action(
    conn: Conn, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A developer's release rides the unblock edge under its own action: when the write
    misses (another writer changed the row and changed it back), the row is re-judged as a
    release (nothing refuses it: a retry), not as an unblock (which a developer may not do)."""
    dev = w.agents[R.DEVELOPER]
    task_id = await make(conn, w, S.BLOCKED, assigned_to=dev.id)
    real = queries.fetch_one

    async def write_misses(c: Conn, statement: Any, *args: Any, **kw: Any) -> Any:
        if statement is transitions._TRANSITION:
            return None
        return await real(c, statement, *args, **kw)

    monkeypatch.setattr(queries, "fetch_one", write_misses)
    with pytest.raises(Conflict) as caught:
        await claims.release(conn, task_id, dev)
    assert (
        str(caught.value)
        == f"task {task_id}: changed concurrently during blocked -> pending; retry"
    )
