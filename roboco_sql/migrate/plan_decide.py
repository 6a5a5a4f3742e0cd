"""What a `plan` decides before it writes anything: migrate's own decisions, read only.

Where the chain starts (adopt, stamp, move over, as `start.decide_start`), the new checksums
of files edited upstream, and the steps: going back (`down.back_steps`) or the pending
revisions, a half-done `transaction: none` file refused when a done statement changed since.
"""

from __future__ import annotations

from dataclasses import dataclass

from roboco_sql.errors import MigrationError
from roboco_sql.migrate import bookkeeping
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.autocommit import changed_step
from roboco_sql.migrate.chain import Chain, Migration
from roboco_sql.migrate.down import back_steps
from roboco_sql.migrate.start import Start, decide_start
from roboco_sql.migrate.state import (
    BASE,
    Conn,
    Recorded,
    State,
    check_width,
    goal,
    past,
    verify_checksums,
    who_runs,
)


@dataclass(frozen=True)
class Decided:
    """What migrate would decide under the lock: where it starts, and the steps it takes."""

    chain: Chain
    state: State
    start: Start
    who: str
    target: str | None
    wanted: frozenset[str]
    superseded: list[Migration]
    back: list[Addition | Migration]
    pending: list[Migration]

    @property
    def current(self) -> str | None:
        return self.start.revision


def decide(
    conn: Conn,
    chain: Chain,
    state: State,
    target: str | None,
    wanted: frozenset[str],
    *,
    allow_data_loss: bool,
) -> Decided:
    """The start and the steps, refused as migrate refuses them (reads only)."""
    who = who_runs(conn)
    check_width(conn)
    start = decide_start(conn, chain, state, who)
    superseded = verify_checksums(state, chain)
    current = start.revision
    back: list[Addition | Migration] = []
    if past(chain, current, target):
        if state.progress:
            raise MigrationError(
                f"{', '.join(state.progress)} is partly applied; finish it (migrate) before "
                "going back"
            )
        recorded = start_additions(state, start)
        back = back_steps(chain, current, goal(target), recorded, allow_data_loss=allow_data_loss)
    pending = [] if back or target == BASE else chain.between(current, target)
    if pending and pending[0].revision in state.progress and not pending[0].transactional:
        done = state.progress[pending[0].revision]
        for number, stmt in enumerate(pending[0].statements, start=1):
            if number in done and done[number] != bookkeeping.statement_checksum(stmt.text):
                raise changed_step(pending[0], number, stmt)
    return Decided(chain, state, start, who, target, wanted, superseded, back, pending)


def start_additions(state: State, start: Start) -> Recorded:
    """The additions recorded once the start's queries ran (a move-over records some)."""
    recorded = dict(state.additions)
    if start.relaid:
        for name in bookkeeping.LEGACY[start.relaid]:
            recorded.setdefault(name, ("", None))
    return recorded
