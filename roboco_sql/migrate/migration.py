"""One migration file as the runner sees it: its headers, its text, and its checksum.

The checksum covers the up part only (the text before the `-- down` line, without the blank
lines directly above it), so appending a down section never changes a recorded checksum.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from roboco_sql import sqllex
from roboco_sql.errors import ChainError
from roboco_sql.migrate.fileformat import DEFAULT_LOCK_TIMEOUT, Sections


def checksum_of(text: str, parts: Sections) -> str:
    """sha256 of the up part (the whole file when it has no down section)."""
    return hashlib.sha256(text[: parts.up_end].encode("utf-8")).hexdigest()


def _shifted(statements: list[sqllex.Statement], base: int) -> list[sqllex.Statement]:
    return [sqllex.Statement(s.text, s.start + base, s.words) for s in statements]


@dataclass(frozen=True)
class Migration:
    revision: str
    down_revision: str | None
    path: Path
    text: str = field(repr=False)
    checksum: str
    transactional: bool = True
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT
    revision_line: int = field(default=1, repr=False, compare=False)
    down_line: int = field(default=1, repr=False, compare=False)
    # earlier versions of this file shipped with the chain (an edit made upstream, as RoboCo
    # edited its 030/031 in place): a database that recorded one of these is not "edited"
    supersedes: tuple[str, ...] = ()
    # the down section (offsets into text; None: the file has none), and why going back past
    # this revision loses data (None: it does not)
    up_end: int | None = field(default=None, repr=False)
    down_start: int | None = field(default=None, repr=False)
    irreversible: str | None = None
    # True for the object reverse() returns: its statements are the down section's
    going_down: bool = False

    def shipped(self, checksum: str) -> bool:
        """Whether a recorded checksum is this file's, now or in an earlier shipped version."""
        return checksum == self.checksum or checksum in self.supersedes

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        """How messages name this part: the revision, or its down section."""
        return f"the down section of {self.revision}" if self.going_down else self.revision

    @property
    def has_down(self) -> bool:
        return self.down_start is not None

    @property
    def span(self) -> tuple[int, int]:
        """The offsets of the part this object runs: the up part, or the down section."""
        if self.going_down:
            assert self.down_start is not None
            return self.down_start, len(self.text)
        return 0, len(self.text) if self.up_end is None else self.up_end

    @property
    def body(self) -> str:
        start, end = self.span
        return self.text[start:end]

    def reverse(self) -> Migration:
        """This revision's down section, as a file of its own (same name, same positions)."""
        if self.down_start is None:
            raise ChainError([f"{self.name}:1: {self.revision} has no down section"])
        return replace(self, going_down=True)

    @cached_property
    def statements(self) -> list[sqllex.Statement]:
        """The statements of this part, with offsets into the whole file."""
        start, _end = self.span
        return _shifted(sqllex.split(self.body), start)

    def where(self, offset: int) -> str:
        """file:line:column of a character offset in the file."""
        line, col = sqllex.line_col(self.text, offset)
        return f"{self.name}:{line}:{col}"
