"""Kill tests for the task state machine's mutation survivors (`make mutate MODULES=lifecycle`,
`claims`, `transitions`): each pins a behaviour a surviving mutant changed and no other test
asserted. Named after what they pin; the mutants they kill are in mutation/results."""

from __future__ import annotations

import pytest

from roboco_sql import lifecycle
from roboco_sql.errors import ValidationError
from roboco_sql.lifecycle import Standing, TaskFacts

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
