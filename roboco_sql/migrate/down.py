"""Going back: the down sections from the database's revision back to a target.

Only an operator's explicit `migrate --to` goes back. The steps are decided, and refused as a
whole, before any runs; each then runs in its own transaction with its bookkeeping.
"""

from __future__ import annotations

from roboco_sql.errors import DataLossRefused, MigrationError
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.chain import Chain, Migration, require_sound
from roboco_sql.migrate.report import MigrationReport
from roboco_sql.migrate.state import BASE, Recorded, State, goal
from roboco_sql.migrate.steps import Steps, one_flush

Back = Addition | Migration  # a step on the way down: an addition removed, a revision reverted


def back_steps(
    chain: Chain,
    current: str | None,
    target: str | None,
    recorded: Recorded,
    *,
    allow_data_loss: bool,
) -> list[Back]:
    """What going back from current to target (None: the base) runs, in order: each
    revision's down section, newest first, and each applied addition's down section just
    before the chain goes below the revision it requires. Refused as a whole, before
    anything runs, when a step has no down section or (without allow_data_loss) loses data."""
    steps: list[Back] = []
    for m in chain.back(current, target):
        steps += [a for a in chain.additions if a.requires == m.revision and a.name in recorded]
        steps.append(m)
    for step in steps:
        if step.down_start is None:
            what = step.name if isinstance(step, Addition) else step.revision
            raise MigrationError(
                f"cannot go back past {what}: {step.path.name} has no down section; "
                "nothing was applied"
            )
    lost = [m for m in steps if isinstance(m, Migration) and m.irreversible]
    if lost and not allow_data_loss:
        why = "; ".join(f"{m.revision}: {m.irreversible}" for m in lost)
        raise DataLossRefused(
            f"refusing to go back past irreversible revisions ({why}). Nothing was applied. "
            "Back it up first (python -m roboco_sql backup FILE), then run migrate --to "
            f"{target or BASE} --allow-data-loss"
        )
    return steps


def go_back(
    runner: Steps, target: str | None, state: State, report: MigrationReport
) -> MigrationReport:
    """Run the down sections from the database's revision back to target (see back_steps),
    each in its own transaction with its bookkeeping; then re-apply the additions due there.
    Only when the run was asked to go back (an operator's `migrate --to`)."""
    if not runner.options.go_back:
        raise MigrationError(
            f"the database is at {report.to_revision}, past {target}; going back runs down "
            f"sections and is done only when asked: migrate --to {target}"
        )
    if state.progress:
        raise MigrationError(
            f"{', '.join(state.progress)} is partly applied; finish it (migrate) before going back"
        )
    to = goal(target)
    options = runner.options
    steps = back_steps(
        runner.chain,
        report.to_revision,
        to,
        state.additions,
        allow_data_loss=options.allow_data_loss,
    )
    require_sound((s for s in steps if isinstance(s, Migration)), going_back=True)
    with one_flush(runner.conn):
        _revert_steps(runner, steps, report)
        if to is not None:
            runner.add_due(report, to)
    return report


def _revert_steps(
    runner: Steps, steps: list[Addition | Migration], report: MigrationReport
) -> None:
    echo = runner.echo
    for step in steps:
        if isinstance(step, Addition):
            runner.remove(step)
            report.removed.append(step.name)
            echo(f"removed addition {step.name} before going below {step.requires}")
            continue
        done = runner.revert(step)
        report.reverted.append(done)
        report.to_revision = step.down_revision
        lost = " (data lost, as allowed)" if step.irreversible else ""
        echo(f"reverted {step.revision} in {done.seconds * 1000:.0f} ms{lost}")
