"""How a run was asked to go and what it did: the options, and the report it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from roboco_sql.migrate import additions as additions_mod

Echo = Callable[[str], None]


def quiet(_: str) -> None:
    """An echo that says nothing (the default of the library calls)."""


@dataclass(frozen=True)
class Options:
    """Knobs for one run; defaults suit a boot-time migration."""

    lock_deadline: float = 60.0  # seconds to wait for another migrator
    lock_retries: int = 5  # retries of a file that hit lock_timeout or a deadlock
    backoff: float = 0.25  # first retry delay, doubled each time, with jitter
    # our additions to keep applied: names, "default" (those on by default), "none"
    additions: frozenset[str] = frozenset({additions_mod.DEFAULT})
    allow_data_loss: bool = False  # run revisions that drop tables or columns holding data
    # a target below the database's revision runs down sections (an operator's explicit
    # `migrate --to`); off, such a target is refused, so a pinned boot never goes back
    go_back: bool = False


@dataclass(frozen=True)
class Applied:
    revision: str
    file: str
    seconds: float
    resumed_at: int | None = None  # statement number a non-transactional file resumed at
    notices: tuple[str, ...] = ()  # what its RAISE NOTICE / WARNING said, once committed


@dataclass
class MigrationReport:
    from_revision: str | None
    to_revision: str | None
    applied: list[Applied] = field(default_factory=list)
    adopted: str | None = None  # an Alembic-managed database continued from this revision
    stamped: str | None = None  # a version-less database recognised as this revision
    relaid: str | None = None  # moved from one of our old in-chain revisions
    additions: list[str] = field(default_factory=list)  # additions (re)applied
    rag_enabled: bool | None = None
    rag_reason: str | None = None
    reverted: list[Applied] = field(default_factory=list)  # down sections run, newest first
    removed: list[str] = field(default_factory=list)  # additions taken out on the way down

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_revision,
            "to": self.to_revision,
            "applied": [
                {
                    "revision": a.revision,
                    "file": a.file,
                    "seconds": round(a.seconds, 4),
                    "resumed_at": a.resumed_at,
                    "notices": list(a.notices),
                }
                for a in self.applied
            ],
            "adopted": self.adopted,
            "stamped": self.stamped,
            "relaid": self.relaid,
            "additions": self.additions,
            "reverted": [
                {"revision": a.revision, "file": a.file, "seconds": round(a.seconds, 4)}
                for a in self.reverted
            ],
            "removed_additions": self.removed,
            "rag_enabled": self.rag_enabled,
            "rag_reason": self.rag_reason,
        }
