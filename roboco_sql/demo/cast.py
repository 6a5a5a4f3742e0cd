"""The day's script: who works, what the cells build, and what befalls each subtask.

Fixed data, no I/O: the planning, the agents and the report's plan all read it from here, so
changing a fate changes the plan's arithmetic with it (:func:`planned`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from roboco_sql.lifecycle import TERMINAL
from roboco_sql.models.enums import TaskStatus, Team

DEMO_PREFIX: Final = "demo-day-"
"""Every slug the demo writes starts with this, then the day number."""

# UX/UI first: fan_out makes the backend and frontend tasks wait on its design.
CELLS: Final = (Team.UX_UI, Team.BACKEND, Team.FRONTEND)
PREFIX: Final = {Team.UX_UI: "ux", Team.BACKEND: "be", Team.FRONTEND: "fe"}
WORK: Final = {
    Team.UX_UI: ("Wireframes", "Design tokens", "Clickable prototype"),
    Team.BACKEND: ("Data model", "API endpoints", "Integration tests"),
    Team.FRONTEND: ("Screens", "Client state", "End-to-end wiring"),
}
FILES: Final = {
    Team.UX_UI: ("design/{f}.fig", "design/tokens.json"),
    Team.BACKEND: ("app/{f}/models.py", "app/{f}/api.py", "tests/test_{f}.py"),
    Team.FRONTEND: ("src/{f}/Screen.tsx", "src/{f}/store.ts"),
}
THEMES: Final = (
    ("Checkout", ("guest checkout", "saved carts", "promo codes", "order tracking")),
    ("Onboarding", ("sign-up wizard", "team invites", "sample data", "first-run tour")),
    ("Search", ("instant results", "filters", "saved searches", "typo tolerance")),
    ("Inbox", ("threaded replies", "snooze", "read receipts", "digest emails")),
    ("Billing", ("invoices", "usage meters", "card updates", "tax receipts")),
)
OPEN_STATUSES: Final = [s for s in TaskStatus if s not in TERMINAL]
IDLE_WAIT: Final = 0.5  # seconds an idle agent sleeps when nobody wakes it


def _crew() -> tuple[tuple[str, str, Team | None], ...]:
    crew: list[tuple[str, str, Team | None]] = []
    for team in CELLS:
        p = PREFIX[team]
        crew += [
            (f"{p}-dev-1", "dev", team),
            (f"{p}-dev-2", "dev", team),
            (f"{p}-qa", "qa", team),
            (f"{p}-doc", "doc", team),
            (f"{p}-pr-reviewer", "pr", team),
            (f"{p}-pm", "pm", team),
        ]
    return (*crew, ("main-pm", "main", None), ("ceo", "ceo", None))


CREW: Final = _crew()
"""The agents at work, in the order they start: (slug, role, cell); each gets a pooled
connection of its own."""


def theme(day: int) -> tuple[str, tuple[str, ...]]:
    """The day's theme and its feature names (the themes take turns, day by day)."""
    return THEMES[(day - 1) % len(THEMES)]


def cell_slug(team: Team) -> str:
    return team.value.replace("_", "-")


class Fate(StrEnum):
    """What happens to a subtask on its way to done (the first time through)."""

    SMOOTH = "smooth"
    RELEASE = "release"  # the developer hands it back to the pool (unclaim); another takes it
    QA_FAIL = "qa_fail"  # QA sends it back for revision
    PR_FAIL = "pr_fail"  # the PR reviewer sends it back
    PM_REJECT = "pm_reject"  # the cell PM sends it back
    WAIT_REPLY = "wait_reply"  # blocked on a question; the cell PM answers and unblocks
    ON_DECISION = "on_decision"  # blocked on the coordination task; the Main PM resolves it
    ESCALATE = "escalate"  # the Main PM escalates it to the CEO, who approves it


# (cell, subtask index) -> fate; the third subtask of each cell waits on the first two.
FATES: Final = {
    (Team.UX_UI, 0): Fate.QA_FAIL,
    (Team.UX_UI, 1): Fate.RELEASE,
    (Team.UX_UI, 2): Fate.SMOOTH,
    (Team.BACKEND, 0): Fate.ON_DECISION,
    (Team.BACKEND, 1): Fate.PR_FAIL,
    (Team.BACKEND, 2): Fate.ESCALATE,
    (Team.FRONTEND, 0): Fate.PM_REJECT,
    (Team.FRONTEND, 1): Fate.WAIT_REPLY,
    (Team.FRONTEND, 2): Fate.SMOOTH,
}
# Subtasks that start in the backlog and are activated by their PM.
FROM_BACKLOG: Final = frozenset({(Team.FRONTEND, 2)})

# Status changes each path takes, for the plan: claim, start, verify, QA hand-off (dev);
# claim, start, pass (QA); claim, start, hand-off (docs); pass (PR); complete (PM).
_SMOOTH_PATH: Final = 12
_EXTRA: Final = {
    Fate.SMOOTH: 0,
    Fate.RELEASE: 2,  # release, claim again
    Fate.QA_FAIL: 7,  # dev cycle (4) + QA again (3)
    Fate.PR_FAIL: 11,  # dev (4) + QA (3) + docs (3) + PR (1)
    Fate.PM_REJECT: 12,  # dev (4) + QA (3) + docs (3) + PR (1) + PM (1)
    Fate.WAIT_REPLY: 2,  # blocked, unblocked
    Fate.ON_DECISION: 2,
    Fate.ESCALATE: 1,  # awaiting_ceo_approval, then the CEO completes it
}


def planned(scale: int) -> dict[str, int]:
    """What a day of ``scale`` features should count, from the fates above."""
    per_feature = 0
    for (cell, index), fate in FATES.items():
        per_feature += _SMOOTH_PATH + _EXTRA[fate] + ((cell, index) in FROM_BACKLOG)
    per_feature += len(CELLS) * 1  # each spike: backlog -> cancelled
    per_feature += len(CELLS) * 3  # each cell task: claim, start, complete
    per_feature += 3  # the coordination task: claim, start, complete
    subtasks = len(FATES)
    return {
        "features": scale,
        "tasks": scale * (1 + len(CELLS) + subtasks + len(CELLS)),
        "completed": scale * (1 + len(CELLS) + subtasks),
        "cancelled": scale * len(CELLS),
        "transitions": scale * per_feature,
        "revisions": scale
        * sum(f in (Fate.QA_FAIL, Fate.PR_FAIL, Fate.PM_REJECT) for f in FATES.values()),
        "escalations": scale * sum(f is Fate.ESCALATE for f in FATES.values()),
        "releases": scale * sum(f is Fate.RELEASE for f in FATES.values()),
        "blocks": scale * sum(f in (Fate.WAIT_REPLY, Fate.ON_DECISION) for f in FATES.values()),
        "agents": len(CREW),
    }
