"""The validated chain: its revisions in order, and the walks the runner takes along it.

The chain is strictly linear (one base, one head, every parent present, no fork, no cycle;
chain.py refuses anything else), so a walk is a slice: forward up to a target, or back past
the revisions newer than one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.migration import Migration


@dataclass(frozen=True)
class Chain:
    """The validated chain, oldest first."""

    migrations: tuple[Migration, ...]
    directory: Path
    additions: tuple[Addition, ...] = ()  # ours, applied after the chain (additions.py)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {m.revision: i for i, m in enumerate(self.migrations)}

    def __iter__(self) -> Iterator[Migration]:
        return iter(self.migrations)

    def __len__(self) -> int:
        return len(self.migrations)

    def __contains__(self, revision: object) -> bool:
        return revision in self._index

    def __getitem__(self, revision: str) -> Migration:
        return self.migrations[self._index[revision]]

    @property
    def head(self) -> str | None:
        return self.migrations[-1].revision if self.migrations else None

    def position(self, revision: str | None) -> int:
        """0-based index of a revision; -1 for "nothing applied"."""
        return -1 if revision is None else self._index[revision]

    def back(self, current: str | None, target: str | None) -> list[Migration]:
        """The revisions to go back past, newest first: current down to (not including)
        target; target None is the base (before the first revision)."""
        end = self.position(current) + 1
        return list(reversed(self.migrations[self.position(target) + 1 : end]))

    def between(self, current: str | None, target: str | None) -> list[Migration]:
        """The revisions after current, up to and including target (default: head)."""
        end = len(self.migrations) if target is None else self._index[target] + 1
        return list(self.migrations[self.position(current) + 1 : end])
