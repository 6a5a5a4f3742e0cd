"""Schema drift: the live schema against the one the chain builds at the recorded revision.

The chain's fingerprints (``sql/migrations/fingerprints.json``, one per revision) say what the
chain builds; the live schema is read in one query. Every difference is listed: a column
added by hand, a dropped index, a changed default or type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roboco_sql.db import connect
from roboco_sql.errors import MigrationError
from roboco_sql.migrate import fingerprint
from roboco_sql.migrate.chain import Chain
from roboco_sql.migrate.runner import read_state

DRIFT_EXIT = 8


@dataclass(frozen=True)
class Verification:
    revision: str
    changes: list[fingerprint.Change]
    partial: dict[str, int]  # revision -> statements done of a partly applied file

    @property
    def exit_code(self) -> int:
        return DRIFT_EXIT if self.changes else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "drift": [
                {"kind": c.kind, "object": c.key, "expected": c.expected, "live": c.live}
                for c in self.changes
            ],
            "partial": self.partial,
            "exit_code": self.exit_code,
        }

    def describe(self) -> str:
        notes = [
            f"note: {rev} is partly applied ({n} statements); what they built shows as extra"
            for rev, n in self.partial.items()
        ]
        if not self.changes:
            return "\n".join([f"no drift: the schema is exactly {self.revision}'s", *notes])
        count = len(self.changes)
        head = (
            f"drift at {self.revision}: {count} difference{'s' if count != 1 else ''} from the "
            "schema the chain builds"
        )
        return "\n".join([head, *(f"  {c}" for c in self.changes), *notes])


def verify(url: str, chain: Chain) -> Verification:
    """Compare the live schema with the stored fingerprint of the recorded revision."""
    prints = fingerprint.load(chain.directory)
    if prints is None:
        raise MigrationError(
            f"{chain.directory / fingerprint.FILENAME} does not exist; build it with "
            "`python -m roboco_sql fingerprint`"
        )
    with connect(url, autocommit=True, application_name="roboco_sql verify") as conn:
        state = read_state(conn)
        if len(state.versions) != 1:
            raise MigrationError(
                "the database records no revision; nothing to verify against"
                if not state.versions
                else f"alembic_version holds {len(state.versions)} revisions "
                f"({', '.join(state.versions)}); roboco_sql needs a linear history"
            )
        revision = state.versions[0]
        if revision not in chain:
            raise MigrationError(
                f"the database is at revision {revision}, which no file in "
                f"{chain.directory} declares"
            )
        if revision not in prints.revisions:
            raise MigrationError(
                f"{chain.directory / fingerprint.FILENAME} has no fingerprint of {revision}; "
                "regenerate it with `python -m roboco_sql fingerprint`"
            )
        live = fingerprint.snapshot(conn)
    changes = fingerprint.diff(prints.revisions[revision], live)
    partial = {rev: len(steps) for rev, steps in state.progress.items()}
    return Verification(revision, changes, partial)
