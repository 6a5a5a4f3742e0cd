"""db-init's data: RoboCo's roster of agents and its channel catalog, as tuples.

Kept apart from the code that writes them (:mod:`roboco_sql.bootstrap`): this module is long
because the data is (one row per agent, one record and welcome text per channel).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from roboco_sql.models.enums import AgentRole, ChannelType, Team

__all__ = [
    "CELL_SCOPED",
    "CHANNELS",
    "ROSTER",
    "AgentSeed",
    "ChannelSeed",
    "Welcome",
    "channel_members",
    "silent_observers",
]

# -- the roster --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentSeed:
    slug: str
    name: str
    role: AgentRole
    team: Team | None
    id: uuid.UUID

    @property
    def system_prompt(self) -> str:
        """A placeholder until the orchestrator writes the agent's real prompt."""
        return f"Placeholder prompt: {self.name} ({self.role.value})."


def _agent(slug: str, name: str, role: AgentRole, team: Team | None, tail: str) -> AgentSeed:
    """`tail` is the id's last two groups: 00000000-0000-0000-<tail>."""
    return AgentSeed(slug, name, role, team, uuid.UUID(f"00000000-0000-0000-{tail}"))


R = AgentRole
_SEATS = (  # a delivery cell's six agents: slug tail, name tail, role
    ("dev-1", "Developer 1", R.DEVELOPER),
    ("dev-2", "Developer 2", R.DEVELOPER),
    ("qa", "QA", R.QA),
    ("pm", "PM", R.CELL_PM),
    ("doc", "Documenter", R.DOCUMENTER),
    ("pr-reviewer", "PR Reviewer", R.PR_REVIEWER),
)


def _cell(prefix: str, label: str, team: Team, group: str) -> tuple[AgentSeed, ...]:
    """Every cell is staffed alike; seat n's id is 00000000-0000-0000-<group>-<n, 12 digits>."""
    return tuple(
        _agent(f"{prefix}-{slug}", f"{label} {name}", role, team, f"{group}-{n:012d}")
        for n, (slug, name, role) in enumerate(_SEATS, 1)
    )


ROSTER: tuple[AgentSeed, ...] = (
    # 0000: the sentinel that authors system-made rows, and the human CEO
    _agent("system", "System", R.SYSTEM, None, "0000-000000000000"),
    _agent("ceo", "Renzo", R.CEO, Team.BOARD, "0000-000000000001"),
    # 0001-0003: the delivery cells
    *_cell("be", "Backend", Team.BACKEND, "0001"),
    *_cell("fe", "Frontend", Team.FRONTEND, "0002"),
    *_cell("ux", "UX/UI", Team.UX_UI, "0003"),
    # 0004: board and management
    _agent("main-pm", "Main PM", R.MAIN_PM, Team.MAIN_PM, "0004-000000000001"),
    _agent("product-owner", "Product Owner", R.PRODUCT_OWNER, Team.BOARD, "0004-000000000002"),
    _agent(
        "head-marketing", "Head of Marketing", R.HEAD_MARKETING, Team.BOARD, "0004-000000000003"
    ),
    _agent("auditor", "Auditor", R.AUDITOR, Team.BOARD, "0004-000000000004"),
    _agent("intake-1", "Intake", R.PROMPTER, Team.BOARD, "0004-000000000005"),
    _agent("secretary-1", "Secretary", R.SECRETARY, Team.BOARD, "0004-000000000006"),
    _agent("pr-reviewer-1", "PR Reviewer", R.PR_REVIEWER, Team.BOARD, "0004-000000000007"),
    _agent(
        "cell-pr-reviewer-2",
        "PR Reviewer (Overflow)",
        R.PR_REVIEWER,
        Team.BOARD,
        "0004-000000000008",
    ),
)

# -- the channels ------------------------------------------------------------------------------

# Roles a cell channel admits from its own cell only; every other reader role is company-wide.
CELL_SCOPED = frozenset({R.DEVELOPER, R.QA, R.DOCUMENTER, R.CELL_PM})
_CELL_READERS = frozenset({R.DEVELOPER, R.QA, R.DOCUMENTER, R.CELL_PM, R.MAIN_PM, R.AUDITOR})
_BOARD = frozenset({R.PRODUCT_OWNER, R.HEAD_MARKETING, R.AUDITOR})
_EVERYONE = frozenset(r for r in AgentRole if r is not R.SYSTEM)
_AUDITOR = frozenset({R.AUDITOR})


@dataclass(frozen=True, slots=True)
class Welcome:
    author: str  # agent slug
    text: str


@dataclass(frozen=True, slots=True)
class ChannelSeed:
    slug: str
    name: str
    type: ChannelType
    description: str
    readers: frozenset[AgentRole]  # members and writers: every agent of these roles...
    cell: Team | None = None  # ...the cell-scoped roles only from this cell
    silent: frozenset[AgentRole] = frozenset()  # silent observers, by role
    welcome: Welcome | None = None


def _cell_welcome(cell: str, prefix: str, focus: str) -> Welcome:
    return Welcome(
        f"{prefix}-pm",
        f"This is the {cell} cell's room. Who is here: {prefix}-dev-1 and {prefix}-dev-2 build, "
        f"{prefix}-qa verifies, {prefix}-doc documents, and I, {prefix}-pm, plan and review. "
        f"What we look after: {focus}.\n\n"
        f"Need something to do? give_me_work() hands out the next {cell} task.",
    )


CHANNELS: tuple[ChannelSeed, ...] = (
    ChannelSeed(
        "backend-cell",
        "Backend Cell",
        ChannelType.CELL,
        "Backend development team channel",
        _CELL_READERS,
        Team.BACKEND,
        _AUDITOR,
        _cell_welcome("backend", "be", "APIs, data models, services and their performance"),
    ),
    ChannelSeed(
        "frontend-cell",
        "Frontend Cell",
        ChannelType.CELL,
        "Frontend development team channel",
        _CELL_READERS,
        Team.FRONTEND,
        _AUDITOR,
        _cell_welcome("frontend", "fe", "screens, components, client state and how they feel"),
    ),
    ChannelSeed(
        "uxui-cell",
        "UX/UI Cell",
        ChannelType.CELL,
        "UX/UI design team channel",
        _CELL_READERS,
        Team.UX_UI,
        _AUDITOR,
        _cell_welcome("UX/UI", "ux", "the design system, research, prototypes and accessibility"),
    ),
    ChannelSeed(
        "dev-all",
        "All Developers",
        ChannelType.CROSS_CELL,
        "Cross-cell developer discussion",
        _CELL_READERS,
        silent=_AUDITOR,
    ),
    ChannelSeed(
        "qa-all",
        "All QA",
        ChannelType.CROSS_CELL,
        "Cross-cell QA discussion",
        _CELL_READERS,
        silent=_AUDITOR,
    ),
    ChannelSeed(
        "pm-all",
        "All PMs",
        ChannelType.CROSS_CELL,
        "Cross-cell PM coordination",
        frozenset({R.CELL_PM, R.MAIN_PM, R.AUDITOR}),
        silent=_AUDITOR,
    ),
    ChannelSeed(
        "doc-all",
        "All Documenters",
        ChannelType.CROSS_CELL,
        "Cross-cell documentation discussion",
        frozenset({R.DOCUMENTER, R.CELL_PM, R.MAIN_PM, R.AUDITOR}),
        silent=_AUDITOR,
    ),
    ChannelSeed(
        "main-pm-board",
        "Main PM & Board",
        ChannelType.MANAGEMENT,
        "Main PM and Board communication",
        _BOARD | {R.MAIN_PM},
    ),
    ChannelSeed(
        "board-private",
        "Board Private",
        ChannelType.MANAGEMENT,
        "Board-only discussions",
        _BOARD | {R.CEO, R.MAIN_PM},
    ),
    ChannelSeed(
        "announcements",
        "Announcements",
        ChannelType.SPECIAL,
        "Company-wide announcements (read-only for most)",
        _EVERYONE,
        welcome=Welcome(
            "main-pm",
            "RoboCo is open for business. Company-wide news lands here; everything else has "
            "a room of its own: the cells meet in #backend-cell, #frontend-cell and "
            "#uxui-cell, each role across the cells in #dev-all, #qa-all, #pm-all and "
            "#doc-all, and anyone can talk to anyone in #all-hands.\n\n"
            "How work flows: give_me_work() gives you a task, you claim it, build it, verify "
            "it, and it moves on through QA and documentation to done. Keep your journal "
            "as you go.",
        ),
    ),
    ChannelSeed(
        "all-hands",
        "All Hands",
        ChannelType.SPECIAL,
        "Company-wide open discussion",
        _EVERYONE,
        welcome=Welcome(
            "main-pm",
            "The whole company reads this room. Bring questions that cross cells, findings "
            "worth sharing, decisions that touch everyone, and finished work worth a cheer. "
            "Talk that concerns one cell is better kept in that cell's channel.",
        ),
    ),
)


def channel_members(channel: ChannelSeed) -> tuple[str, ...]:
    """Slugs of the channel's members (and writers), sorted; never the system sentinel."""
    return tuple(
        sorted(
            a.slug
            for a in ROSTER
            if a.role is not R.SYSTEM
            and a.role in channel.readers
            and not (channel.cell is not None and a.role in CELL_SCOPED and a.team != channel.cell)
        )
    )


def silent_observers(channel: ChannelSeed) -> tuple[str, ...]:
    """Slugs of the agents that read the channel without being seen, sorted."""
    return tuple(sorted(a.slug for a in ROSTER if a.role in channel.silent))
