"""The lifecycle table against RoboCo's facts, written out independently of the module."""

from __future__ import annotations

import dataclasses
from collections import deque

import pytest

from roboco_sql import lifecycle
from roboco_sql.errors import TransitionRefused, ValidationError
from roboco_sql.lifecycle import (
    ACTIVE,
    CLAIMABLE_BY_ROLE,
    EDGES,
    MAX_DEPTH,
    TERMINAL,
    WAITING,
    AgentRole,
    TaskFacts,
    TaskStatus,
    allowed_targets,
    can_claim,
    check,
    refusal,
)

# Label order of a migrated database at head (catalog: 044_convention_findings).
PG_TASKSTATUS = [
    "backlog", "pending", "claimed", "in_progress", "blocked", "paused", "verifying",
    "needs_revision", "awaiting_qa", "awaiting_documentation", "awaiting_pm_review",
    "awaiting_ceo_approval", "completed", "cancelled", "awaiting_pr_review",
]  # fmt: skip
PG_AGENTROLE = [
    "ceo", "product_owner", "head_marketing", "auditor", "main_pm", "cell_pm", "developer",
    "qa", "documenter", "system", "prompter", "secretary", "pr_reviewer",
]  # fmt: skip

ANY = None
PMS = {"cell_pm", "main_pm"}
PMS_BOARD = PMS | {"product_owner", "head_marketing"}
ESCALATORS = {"main_pm", "product_owner", "head_marketing"}
# RoboCo's cancellers, plus our system actor (its engines cancel by writing the column)
CANCELLERS = {"cell_pm", "main_pm", "ceo", "system"}

# (from, to): (action, gate or ANY, legacy?) -- RoboCo v0.29.0's foundation/policy/lifecycle.py
# and enforcement/task_lifecycle.py, spelled out by hand.
EXPECTED: dict[tuple[str, str], tuple[str, set[str] | None, bool]] = {
    ("backlog", "pending"): ("activate", ANY, False),
    ("pending", "claimed"): ("claim", ANY, False),
    ("awaiting_qa", "claimed"): ("claim", {"qa"}, False),
    ("awaiting_documentation", "claimed"): ("claim", {"documenter"}, False),
    ("needs_revision", "claimed"): ("claim", ANY, False),
    ("awaiting_pr_review", "claimed"): ("claim", {"pr_reviewer"}, False),
    ("claimed", "in_progress"): ("start", ANY, False),
    ("in_progress", "blocked"): ("block", ANY, False),
    ("in_progress", "paused"): ("pause", ANY, False),
    ("blocked", "in_progress"): ("unblock", ANY, False),
    ("blocked", "pending"): ("unblock", ANY, False),
    ("paused", "in_progress"): ("resume", ANY, False),
    ("in_progress", "verifying"): ("submit_verification", ANY, False),
    ("verifying", "awaiting_qa"): ("submit_qa", ANY, False),
    ("in_progress", "completed"): ("pr_review_done", PMS_BOARD | {"pr_reviewer"}, False),
    ("awaiting_qa", "awaiting_documentation"): ("qa_pass", {"qa"}, False),
    ("awaiting_qa", "needs_revision"): ("qa_fail", {"qa"}, False),
    ("awaiting_documentation", "awaiting_pm_review"): (
        "docs_complete",
        {"documenter", "developer"},
        False,
    ),
    ("in_progress", "awaiting_pr_review"): ("submit_for_review", ANY, False),
    ("awaiting_pr_review", "awaiting_pm_review"): ("pr_pass", {"pr_reviewer"}, False),
    ("awaiting_pr_review", "needs_revision"): ("pr_fail", {"pr_reviewer"}, False),
    ("awaiting_pm_review", "completed"): ("complete", PMS, False),
    ("awaiting_pm_review", "awaiting_ceo_approval"): ("escalate_to_ceo", ESCALATORS, False),
    ("blocked", "awaiting_ceo_approval"): ("escalate_to_ceo", ESCALATORS, False),
    ("awaiting_ceo_approval", "completed"): ("ceo_approve", {"ceo"}, False),
    ("awaiting_ceo_approval", "needs_revision"): ("ceo_reject", {"ceo"}, False),
    ("awaiting_ceo_approval", "pending"): ("ceo_reject_to_pool", {"ceo"}, False),
    ("awaiting_pm_review", "needs_revision"): ("request_changes", PMS_BOARD, False),
    ("in_progress", "awaiting_pm_review"): ("submit_pm_review", ANY, False),
    **{
        (src, "cancelled"): (
            "cancel",
            {"ceo", "system"} if src == "awaiting_ceo_approval" else CANCELLERS,
            False,
        )
        for src in PG_TASKSTATUS
        if src not in ("completed", "cancelled")
    },
    # Legacy operational edges; their action names are ours (RoboCo names none).
    ("claimed", "pending"): ("unclaim", ANY, True),
    ("in_progress", "pending"): ("unclaim", ANY, True),
    ("verifying", "pending"): ("unclaim", ANY, True),
    ("needs_revision", "pending"): ("unclaim", ANY, True),
    ("in_progress", "awaiting_documentation"): ("qa_pass", {"qa"}, True),
    ("in_progress", "needs_revision"): ("qa_fail", {"qa"}, True),
    ("verifying", "needs_revision"): ("fail_verification", PMS_BOARD | {"qa"}, True),
    ("awaiting_qa", "blocked"): ("block", ANY, True),
    ("needs_revision", "in_progress"): ("resume_revision", ANY, True),
}

# The only edges with git preconditions, in the order RoboCo checks them.
EXPECTED_PRECONDITIONS = {
    ("awaiting_documentation", "awaiting_pm_review"): ("docs_complete", "pr_created"),
    ("awaiting_pm_review", "awaiting_ceo_approval"): ("pr_number",),
    ("claimed", "in_progress"): ("branch_name",),
}

ALL_MET = TaskFacts(branch_name="feature/x", pr_number=7, pr_created=True, docs_complete=True)
NOTHING = TaskFacts()


def _role_ok(pair: tuple[str, str], role: str) -> bool:
    gate = EXPECTED[pair][1]
    return gate is None or role in gate


# --- enums ------------------------------------------------------------------------------


def test_enum_values_are_the_database_labels_in_label_order() -> None:
    assert [s.value for s in TaskStatus] == PG_TASKSTATUS
    assert [r.value for r in AgentRole] == PG_AGENTROLE


# --- the table --------------------------------------------------------------------------


def test_edge_count_is_fifty_one_forty_two_spec_nine_legacy() -> None:
    assert len(EDGES) == 51
    assert sum(not e.legacy for e in EDGES.values()) == 42
    assert sum(e.legacy for e in EDGES.values()) == 9
    assert len(EXPECTED) == 51  # guards the hand-written table itself


def test_edge_table_matches_roboco() -> None:
    assert {(a.value, b.value) for a, b in EDGES} == set(EXPECTED)
    for (src, dst), edge in EDGES.items():
        action, gate, legacy = EXPECTED[(src.value, dst.value)]
        assert edge.action == action, (src, dst)
        assert edge.legacy is legacy, (src, dst)
        if gate is None:
            assert edge.roles is None, (src, dst)
        else:
            assert edge.roles is not None, (src, dst)
            assert {r.value for r in edge.roles} == gate, (src, dst)
        assert tuple(edge.preconditions) == EXPECTED_PRECONDITIONS.get(
            (src.value, dst.value), ()
        ), (src, dst)


def test_table_is_immutable() -> None:
    with pytest.raises(TypeError):
        EDGES[(TaskStatus.COMPLETED, TaskStatus.PENDING)] = next(iter(EDGES.values()))  # type: ignore[index]
    edge = EDGES[(TaskStatus.BACKLOG, TaskStatus.PENDING)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        edge.action = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        CLAIMABLE_BY_ROLE[AgentRole.CEO] = frozenset()  # type: ignore[index]


# --- walking every pair for every role --------------------------------------------------


@pytest.mark.parametrize("role", list(AgentRole), ids=str)
def test_every_pair_with_all_facts_met(role: AgentRole) -> None:
    allowed = 0
    for src in TaskStatus:
        expected_targets = set()
        for dst in TaskStatus:
            pair = (src.value, dst.value)
            reason = refusal(src, dst, role, ALL_MET)
            if pair in EXPECTED and _role_ok(pair, role):
                assert reason is None, reason
                check(src, dst, role, ALL_MET)
                expected_targets.add(dst)
                allowed += 1
                continue
            assert reason is not None, pair
            assert reason.startswith(f"{src} -> {dst} refused for role {role}: "), reason
            if pair not in EXPECTED:
                assert "no such edge" in reason, reason
            else:
                gate = EXPECTED[pair][1]
                assert gate is not None
                assert f"role not allowed on {EXPECTED[pair][0]}" in reason, reason
                assert f"(allowed: {', '.join(sorted(gate))})" in reason, reason
            with pytest.raises(TransitionRefused) as info:
                check(src, dst, role, ALL_MET)
            assert str(info.value) == reason
            assert "\n" not in reason
        assert allowed_targets(src, role) == expected_targets
        assert allowed_targets(src, role, ALL_MET) == expected_targets
    assert allowed == sum(_role_ok(pair, role) for pair in EXPECTED)


@pytest.mark.parametrize("role", list(AgentRole), ids=str)
def test_every_pair_with_no_facts_refuses_only_gated_edges(role: AgentRole) -> None:
    for src in TaskStatus:
        for dst in TaskStatus:
            pair = (src.value, dst.value)
            reason = refusal(src, dst, role, NOTHING)
            if pair not in EXPECTED or not _role_ok(pair, role):
                assert reason is not None
                assert "precondition" not in reason, reason
            elif pair in EXPECTED_PRECONDITIONS:
                assert reason is not None, pair
                unmet = ", ".join(EXPECTED_PRECONDITIONS[pair])
                assert f": precondition{'s' if ',' in unmet else ''} {unmet} unmet (" in reason
            else:
                assert reason is None, reason
        assert allowed_targets(src, role, NOTHING) == {
            TaskStatus(dst)
            for (s, dst) in EXPECTED
            if s == src and _role_ok((s, dst), role) and (s, dst) not in EXPECTED_PRECONDITIONS
        }


def test_no_such_edge_names_the_way_out() -> None:
    reason = refusal("backlog", "claimed", "developer", ALL_MET)
    assert reason == (
        "backlog -> claimed refused for role developer: no such edge "
        "(from backlog: pending, cancelled)"
    )
    assert refusal("completed", "pending", "ceo", ALL_MET) == (
        "completed -> pending refused for role ceo: no such edge (completed is terminal)"
    )
    assert "no such edge" in (refusal("pending", "pending", "developer", ALL_MET) or "")


def test_role_refusal_lists_who_may() -> None:
    assert refusal("awaiting_ceo_approval", "completed", "main_pm", ALL_MET) == (
        "awaiting_ceo_approval -> completed refused for role main_pm: "
        "role not allowed on ceo_approve (allowed: ceo)"
    )


# --- git preconditions, both ways -------------------------------------------------------

DOCS = ("awaiting_documentation", "awaiting_pm_review", "documenter")
CEO_ESC = ("awaiting_pm_review", "awaiting_ceo_approval", "main_pm")
START = ("claimed", "in_progress", "developer")


@pytest.mark.parametrize(
    ("move", "facts", "unmet"),
    [
        (DOCS, TaskFacts(docs_complete=True, pr_created=True), None),
        (DOCS, TaskFacts(docs_complete=True), "precondition pr_created unmet"),
        (DOCS, TaskFacts(pr_created=True), "precondition docs_complete unmet"),
        (DOCS, TaskFacts(), "preconditions docs_complete, pr_created unmet"),
        (CEO_ESC, TaskFacts(pr_number=12), None),
        (CEO_ESC, TaskFacts(pr_number=0), None),
        (CEO_ESC, TaskFacts(pr_created=True, docs_complete=True), "precondition pr_number unmet"),
        (START, TaskFacts(branch_name="feature/be-1"), None),
        (START, TaskFacts(is_coordination=True), None),
        (START, TaskFacts(is_pr_review=True), None),
        (START, TaskFacts(), "precondition branch_name unmet"),
        (START, TaskFacts(branch_name=""), "precondition branch_name unmet"),
    ],
)
def test_git_preconditions(move: tuple[str, str, str], facts: TaskFacts, unmet: str | None) -> None:
    src, dst, role = move
    reason = refusal(src, dst, role, facts)
    if unmet is None:
        assert reason is None
        check(src, dst, role, facts)
        assert TaskStatus(dst) in allowed_targets(src, role, facts)
    else:
        assert reason is not None
        assert reason.startswith(f"{src} -> {dst} refused for role {role}: {unmet} (")
        with pytest.raises(TransitionRefused, match=unmet):
            check(src, dst, role, facts)
        assert TaskStatus(dst) not in allowed_targets(src, role, facts)
        assert TaskStatus(dst) in allowed_targets(src, role)


def test_developer_may_close_the_parallel_docs_phase_but_only_when_both_halves_are_done() -> None:
    assert refusal(*DOCS[:2], "developer", TaskFacts(docs_complete=True, pr_created=True)) is None
    assert "docs_complete unmet" in (
        refusal(*DOCS[:2], "developer", TaskFacts(pr_created=True)) or ""
    )


def test_role_gate_is_reported_before_preconditions() -> None:
    reason = refusal("awaiting_pm_review", "awaiting_ceo_approval", "cell_pm", NOTHING)
    assert reason is not None
    assert "role not allowed" in reason
    assert "precondition" not in reason


# --- facts from a row -------------------------------------------------------------------


def test_facts_from_a_task_row() -> None:
    row = {
        "id": "ignored",
        "status": "claimed",
        "branch_name": "feature/be-7",
        "pr_number": 31,
        "pr_created": True,
        "docs_complete": False,
        "project_id": "p",
        "product_id": None,
        "source": "manual",
    }
    assert TaskFacts.from_mapping(row) == TaskFacts(
        branch_name="feature/be-7", pr_number=31, pr_created=True, docs_complete=False
    )


@pytest.mark.parametrize(
    ("row", "coordination", "pr_review"),
    [
        ({"project_id": None, "product_id": "prod"}, True, False),
        ({"project_id": "proj", "product_id": "prod"}, False, False),
        ({"project_id": None, "product_id": None}, False, False),
        ({"product_id": "prod"}, False, False),  # project_id unknown: not assumed NULL
        ({"source": "external_pr"}, False, True),
        ({"source": "internal_pr"}, False, True),
        ({"source": "prompter"}, False, False),
        ({"is_coordination": True, "is_pr_review": True}, True, True),
        ({"is_coordination": False, "project_id": None, "product_id": "prod"}, False, False),
        ({}, False, False),
    ],
)
def test_facts_derive_the_branch_exemptions(
    row: dict[str, object], coordination: bool, pr_review: bool
) -> None:
    facts = TaskFacts.from_mapping(row)
    assert (facts.is_coordination, facts.is_pr_review) == (coordination, pr_review)
    exempt = coordination or pr_review
    assert (refusal("claimed", "in_progress", "developer", facts) is None) is exempt


def test_facts_missing_keys_read_as_not_done() -> None:
    assert TaskFacts.from_mapping({}) == NOTHING
    assert TaskFacts.from_mapping({"pr_created": None, "pr_number": None}) == NOTHING


@pytest.mark.parametrize(
    "row",
    [{"pr_number": "12"}, {"pr_number": True}, {"pr_created": 1}, {"branch_name": 5}],
)
def test_facts_reject_wrong_types(row: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match=next(iter(row))):
        TaskFacts.from_mapping(row)


def test_facts_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ALL_MET.pr_created = False  # type: ignore[misc]


# --- input handling ---------------------------------------------------------------------


def test_plain_strings_work_like_members() -> None:
    assert allowed_targets("verifying", "qa") == allowed_targets(TaskStatus.VERIFYING, AgentRole.QA)
    assert allowed_targets("verifying", "qa") == {
        TaskStatus.AWAITING_QA,
        TaskStatus.NEEDS_REVISION,
        TaskStatus.PENDING,
    }


@pytest.mark.parametrize(
    "call",
    [
        lambda: refusal("quarantined", "pending", "developer", NOTHING),
        lambda: refusal("pending", "done", "developer", NOTHING),
        lambda: check("pending", "claimed", "intern", NOTHING),
        lambda: allowed_targets("nope", "qa"),
        lambda: can_claim("qa", "nope"),
        lambda: can_claim("Developer", "pending"),
    ],
)
def test_unknown_labels_are_refused_as_bad_input(call: object) -> None:
    assert callable(call)
    with pytest.raises(ValidationError, match="unknown"):
        call()


# --- state sets -------------------------------------------------------------------------


def test_state_sets_are_roboco_s() -> None:
    assert {s.value for s in TERMINAL} == {"completed", "cancelled"}
    assert {s.value for s in WAITING} == {
        "blocked", "paused", "awaiting_qa", "awaiting_documentation", "awaiting_pm_review",
        "awaiting_ceo_approval",
    }  # fmt: skip
    assert {s.value for s in ACTIVE} == {"claimed", "in_progress", "verifying", "needs_revision"}
    assert not (TERMINAL & WAITING or TERMINAL & ACTIVE or WAITING & ACTIVE)
    unclassified = set(TaskStatus) - TERMINAL - WAITING - ACTIVE
    assert {s.value for s in unclassified} == {"backlog", "pending", "awaiting_pr_review"}


def test_terminal_means_no_way_out() -> None:
    sources = {src for src, _ in EDGES}
    assert set(TaskStatus) - sources == TERMINAL
    for status in TaskStatus:
        for role in AgentRole:
            targets = allowed_targets(status, role)
            if status in TERMINAL:
                assert targets == frozenset()
        if status not in TERMINAL:
            edge = EDGES[(status, TaskStatus.CANCELLED)]
            assert edge.action == "cancel"
            # the system actor may cancel anything unfinished; only the CEO decides on a task
            # waiting for the CEO
            gate = {AgentRole.CEO, AgentRole.SYSTEM}
            if status is not TaskStatus.AWAITING_CEO_APPROVAL:
                gate |= {AgentRole.CELL_PM, AgentRole.MAIN_PM}
            assert edge.roles == frozenset(gate)


def test_every_state_is_reachable_and_can_finish() -> None:
    def reach(start: TaskStatus, forward: bool) -> set[TaskStatus]:
        seen = {start}
        todo = deque([start])
        while todo:
            here = todo.popleft()
            for src, dst in EDGES:
                near, far = (src, dst) if forward else (dst, src)
                if near == here and far not in seen:
                    seen.add(far)
                    todo.append(far)
        return seen

    assert reach(TaskStatus.BACKLOG, forward=True) == set(TaskStatus)
    assert reach(TaskStatus.COMPLETED, forward=False) == set(TaskStatus) - {TaskStatus.CANCELLED}


# --- claims and depth -------------------------------------------------------------------

EXPECTED_CLAIMS = {
    "developer": {"pending", "needs_revision"},
    "qa": {"awaiting_qa"},
    "documenter": {"pending", "awaiting_documentation"},
    "cell_pm": {"pending", "needs_revision"},
    "main_pm": {"pending", "needs_revision"},
    "pr_reviewer": {"pending", "awaiting_pr_review"},
}


def test_claim_rules() -> None:
    assert set(CLAIMABLE_BY_ROLE) == set(AgentRole)
    for role in AgentRole:
        expected = EXPECTED_CLAIMS.get(role.value, set())
        assert {s.value for s in CLAIMABLE_BY_ROLE[role]} == expected, role
        for status in TaskStatus:
            assert can_claim(role, status) is (status.value in expected), (role, status)


def test_every_claimable_status_has_a_claim_edge_the_role_may_take() -> None:
    for role, statuses in CLAIMABLE_BY_ROLE.items():
        for status in statuses:
            assert refusal(status, TaskStatus.CLAIMED, role, NOTHING) is None, (role, status)
            assert EDGES[(status, TaskStatus.CLAIMED)].action == "claim"


def test_max_depth() -> None:
    assert MAX_DEPTH == 3


def test_public_names_exist() -> None:
    for name in lifecycle.__all__:
        assert hasattr(lifecycle, name), name


# --- the rules beyond the edge ------------------------------------------------------------


def test_every_spec_edge_open_to_any_role_has_its_action_gate() -> None:
    """An ungated spec edge is gated by its action (RoboCo's atomic action roles); the
    legacy operational edges carry the authority of the service call that takes them."""
    for (src, dst), edge in EDGES.items():
        if edge.roles is None and not edge.legacy:
            assert edge.action in lifecycle.ACTIONS, (src, dst)
    assert {e.action for e in EDGES.values()} >= set(lifecycle.ACTIONS)
    assert lifecycle.ACTIONS["unblock"].roles == frozenset({AgentRole.CELL_PM, AgentRole.MAIN_PM})


def test_authority_refusal_is_a_pure_function_of_its_facts() -> None:
    dev, other = "a" * 8, "b" * 8
    held = lifecycle.Standing(agent_id=dev, agent_team="backend", task_team="backend",
                              holders=frozenset({dev}))  # fmt: skip
    assert lifecycle.authority_refusal("in_progress", "verifying", "developer", held) is None
    stranger = dataclasses.replace(held, holders=frozenset({other}))
    why = lifecycle.authority_refusal("in_progress", "verifying", "developer", stranger)
    assert why == (
        f"in_progress -> verifying refused for role developer: agent {dev} does not hold it "
        f"(held by {other})"
    )
    # the system is exempt, an unknown edge is refusal()'s to explain
    assert lifecycle.authority_refusal("in_progress", "verifying", "system", stranger) is None
    assert lifecycle.authority_refusal("completed", "pending", "developer", held) is None
    with pytest.raises(ValidationError, match="unknown agent role"):
        lifecycle.authority_refusal("pending", "claimed", "intern", held)
    assert lifecycle.holds_own_work("qa", "in_progress")
    assert not lifecycle.holds_own_work("cell_pm", "in_progress")
    assert not lifecycle.holds_own_work("qa", "awaiting_qa")
