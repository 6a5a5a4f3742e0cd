"""Where a database stands, and what it went through: `status` and `history`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from roboco_sql.db import connect
from roboco_sql.migrate import bookkeeping, fingerprint
from roboco_sql.migrate.chain import Chain
from roboco_sql.migrate.state import read_state


@dataclass(frozen=True)
class Status:
    current: str | None
    head: str | None
    pending: list[str]
    mismatched: list[str]  # edited or missing applied files
    partial: dict[str, int]  # revision -> statements done
    unknown: str | None  # a version this chain does not know
    adoptable: bool  # an Alembic database we have not recorded yet
    # how the schema differs from the chain's at current; None when not checked (the
    # database is not clean at a known revision, or the chain stores no fingerprints)
    drift: list[fingerprint.Change] | None = None

    @property
    def exit_code(self) -> int:
        if self.mismatched or self.unknown:
            return 2
        if self.partial:
            return 4
        if self.drift:
            return 8
        return 1 if self.pending else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "head": self.head,
            "pending": self.pending,
            "mismatched": self.mismatched,
            "partial": self.partial,
            "unknown": self.unknown,
            "adoptable": self.adoptable,
            "drift": None if self.drift is None else [str(c) for c in self.drift],
            "exit_code": self.exit_code,
        }


def status(url: str, chain: Chain) -> Status:
    """Where the database stands; a clean database at a known revision is also checked for
    schema drift against the chain's stored fingerprint (one more query)."""
    with connect(url, autocommit=True, application_name="roboco_sql status") as conn:
        state = read_state(conn)
        mismatched = sorted(
            rev
            for rev, (checksum, _) in state.history.items()
            if (rev not in chain and rev not in bookkeeping.LEGACY)
            or (rev in chain and not chain[rev].shipped(checksum))
        )
        version = state.version
        legacy = version in bookkeeping.LEGACY and version not in chain
        if legacy:
            version = bookkeeping.LEGACY_BASE  # migrate moves it over, then goes on from here
        unknown = version if version and version not in chain else None
        pending = [] if unknown else [m.revision for m in chain.between(version, None)]
        partial = {rev: len(steps) for rev, steps in state.progress.items()}
        clean = not (mismatched or unknown or partial or legacy or len(state.versions) != 1)
        drift = fingerprint.drift(conn, chain, state.versions[0]) if clean else None
    return Status(
        state.version,
        chain.head,
        pending,
        mismatched,
        partial,
        unknown,
        adoptable=bool(state.version and state.version not in state.history and not unknown),
        drift=drift,
    )


def history(url: str) -> list[dict[str, Any]]:
    with connect(url, autocommit=True, application_name="roboco_sql history") as conn:
        row = bookkeeping.named("has_history").run(conn).fetchone()
        if row is None or row[0] is None:
            return []
        cur = bookkeeping.named("applied_and_reverted" if row[1] else "applied").run(conn)
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def to_json(value: Any) -> str:
    return json.dumps(value, default=str, indent=2)
