"""db-init: RoboCo's first rows, written idempotently after the schema is migrated.

The roster and the channel catalog are data (:mod:`.catalog`, re-exported here); this module
writes them. Seeding is set-based: each kind of row is one statement over arrays, inserting
what is missing and leaving what is there alone, so a second run changes nothing. What gets
written:

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

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.boot import init_db, migration_url
from roboco_sql.bootstrap.catalog import (
    CELL_SCOPED,
    CHANNELS,
    ROSTER,
    AgentSeed,
    ChannelSeed,
    Welcome,
    channel_members,
    silent_observers,
)
from roboco_sql.config import Settings
from roboco_sql.db import connect_async
from roboco_sql.migrate.runner import MigrationReport

__all__ = [
    "CELL_SCOPED",
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
