"""db-init: RoboCo's first rows, written idempotently after the schema is migrated.

The roster and the channel catalog are data (the tuples below). Seeding is set-based: each
kind of row is one statement over arrays, inserting what is missing and leaving what is there
alone, so a second run changes nothing. What gets written:

* 28 agents with fixed ids: the 27 of the roster and the `system` sentinel (team NULL); this
  is all RoboCo's own boot seeds since it retired messaging.

On a database below RoboCo's 060_drop_messaging (pinned with ROBOCO_DATABASE_TARGET_REVISION),
whose messaging tables are still there, also what RoboCo's boot seeded before:

* 11 channels, each one's members and writers set to the agents its reader roles name (in
  slug order), the auditor a silent observer of the cell and cross-cell channels;
* for five channels with no message yet: a "General" group, its active session and one
  welcome message.

Which of the two is one catalog query (are the five messaging tables there?); past 060 no
statement names a dropped table. Channel membership follows the catalog on every run, as
RoboCo's boot did; groups, sessions and welcomes are written only into a channel that has no
message at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.boot import init_db, migration_url
from roboco_sql.config import Settings
from roboco_sql.db import connect_async
from roboco_sql.migrate.runner import MigrationReport
from roboco_sql.models.enums import AgentRole, ChannelType, Team

__all__ = [
    "CHANNELS",
    "MESSAGING_GONE",
    "ROSTER",
    "AgentSeed",
    "ChannelSeed",
    "MessagingSeed",
    "SeedCount",
    "SeedReport",
    "Welcome",
    "channel_members",
    "db_init",
    "seed",
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


# -- seeding -----------------------------------------------------------------------------------

LOCK_KEY = 0x726F626F7365  # "robose"; distinct from the migration runner's lock
_Q = queries.load()


@dataclass(frozen=True, slots=True)
class SeedCount:
    inserted: int
    present: int

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "already_present": self.present}


@dataclass(frozen=True, slots=True)
class MessagingSeed:
    """What db-init wrote into the messaging tables (below RoboCo's 060 only)."""

    channels: SeedCount
    welcomes: SeedCount  # each: a General group, its active session, its welcome message
    memberships_set: int  # channels whose members/writers were (re)set to the catalog
    observers_set: int  # channels that gained a silent observer

    @property
    def changed(self) -> bool:
        return bool(
            self.channels.inserted
            or self.welcomes.inserted
            or self.memberships_set
            or self.observers_set
        )


MESSAGING_GONE: Final = (
    "messaging: none (RoboCo's 060_drop_messaging dropped channels, groups, sessions and "
    "messages; pin ROBOCO_DATABASE_TARGET_REVISION below 060 to keep them)"
)


@dataclass(frozen=True, slots=True)
class SeedReport:
    agents: SeedCount
    messaging: MessagingSeed | None  # None: the database is past 060, no messaging tables

    @property
    def changed(self) -> bool:
        return bool(self.agents.inserted or (self.messaging and self.messaging.changed))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"agents": self.agents.as_dict(), "messaging": None}
        if self.messaging is not None:
            m = self.messaging
            out["messaging"] = {
                "channels": m.channels.as_dict(),
                "welcomes": m.welcomes.as_dict(),
                "memberships_set": m.memberships_set,
                "observers_set": m.observers_set,
            }
        return out

    def lines(self) -> list[str]:
        def line(what: str, count: SeedCount) -> str:
            return f"{what}: {count.inserted} inserted, {count.present} already present"

        if self.messaging is None:
            return [line("agents", self.agents), MESSAGING_GONE]
        m = self.messaging
        return [
            line("agents", self.agents),
            line("channels", m.channels),
            line("welcome groups, sessions and messages", m.welcomes),
            f"channel memberships set: {m.memberships_set}, "
            f"silent observers added: {m.observers_set}",
        ]


async def seed(conn: AsyncConnection[Any]) -> SeedReport:
    """Write the bootstrap rows that are missing, in one transaction; returns the counts.

    Agents always; channels, memberships and welcomes only where the messaging tables still
    exist (below RoboCo's 060). Concurrent runs queue on an advisory lock, so the second one
    finds everything there.
    """
    async with queries.atomic(conn):
        await queries.execute(conn, _Q["bootstrap.lock_bootstrap"], key=LOCK_KEY)
        agents = await queries.execute_rows(
            conn,
            _Q["bootstrap.seed_agents"],
            ids=[a.id for a in ROSTER],
            names=[a.name for a in ROSTER],
            slugs=[a.slug for a in ROSTER],
            roles=[a.role.value for a in ROSTER],
            teams=[a.team.value if a.team is not None else None for a in ROSTER],
            system_prompts=[a.system_prompt for a in ROSTER],
        )
        present = await queries.fetch_scalar(conn, _Q["bootstrap.messaging_tables_present"], bool)
        messaging = await _seed_messaging(conn) if present else None
    return SeedReport(agents=SeedCount(agents, len(ROSTER) - agents), messaging=messaging)


async def _by_pair(
    conn: AsyncConnection[Any], query: str, agents_of: Callable[[ChannelSeed], Iterable[str]]
) -> int:
    """Run a bootstrap_messaging statement over every (channel slug, agent slug) pair."""
    pairs = [(c.slug, agent) for c in CHANNELS for agent in agents_of(c)]
    return await queries.execute_rows(
        conn,
        _Q[f"bootstrap_messaging.{query}"],
        channel_slugs=[c for c, _ in pairs],
        agent_slugs=[a for _, a in pairs],
    )


async def _seed_messaging(conn: AsyncConnection[Any]) -> MessagingSeed:
    """Channels, their memberships and the welcomes, inside seed()'s transaction."""
    channels = await queries.execute_rows(
        conn,
        _Q["bootstrap_messaging.seed_channels"],
        names=[c.name for c in CHANNELS],
        slugs=[c.slug for c in CHANNELS],
        types=[c.type.value for c in CHANNELS],
        descriptions=[c.description for c in CHANNELS],
    )
    memberships = await _by_pair(conn, "sync_channel_members", channel_members)
    observed = await _by_pair(conn, "add_silent_observers", silent_observers)
    welcomes = [(c.slug, c.welcome) for c in CHANNELS if c.welcome is not None]
    welcomed = await queries.execute_rows(
        conn,
        _Q["bootstrap_messaging.seed_welcomes"],
        channel_slugs=[slug for slug, _ in welcomes],
        author_slugs=[w.author for _, w in welcomes],
        contents=[w.text for _, w in welcomes],
    )
    return MessagingSeed(
        channels=SeedCount(channels, len(CHANNELS) - channels),
        welcomes=SeedCount(welcomed, len(welcomes) - welcomed),
        memberships_set=memberships,
        observers_set=observed,
    )


async def db_init(
    url: str | None = None,
    *,
    settings: Settings | None = None,
    migrations_dir: Path | None = None,
) -> tuple[MigrationReport, SeedReport]:
    """RoboCo's bootstrap: the schema to head (pgvector first, where possible), then seed()."""
    settings = settings or Settings.from_env()
    migration = await init_db(url, settings=settings, migrations_dir=migrations_dir)
    async with await connect_async(migration_url(settings, url)) as conn:
        seeded = await seed(conn)
    return migration, seeded
