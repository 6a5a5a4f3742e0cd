"""Every command as one row: its name, help, arguments and handler; the parser is built from
the rows. The handlers live with their kind (migration, authoring, operations, local) and
import what they need when called, so ``--help`` and ``migrate`` load none of it."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .authoring import cmd_check, cmd_fingerprint, cmd_lint, cmd_new, cmd_plan
from .common import Handler
from .local import cmd_demo, cmd_embedded
from .migration import cmd_accept, cmd_history, cmd_migrate, cmd_stamp, cmd_status, cmd_verify
from .operations import cmd_backup, cmd_db_init, cmd_keys, cmd_restore


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument as ``add_argument`` takes it: its name (or flags), then its options."""

    names: tuple[str, ...]
    options: Mapping[str, Any]


def arg(*names: str, **options: Any) -> Arg:
    return Arg(names, options)


@dataclass(frozen=True, slots=True)
class Command:
    """A row of the table. ``chain``, ``db`` and ``json`` give it the shared options
    (--migrations-dir, --database-url, --json), in that order, before its own ``args``."""

    name: str
    help: str
    handler: Handler
    args: tuple[Arg, ...] = ()
    chain: bool = True
    db: bool = True
    json: bool = True


MIGRATIONS_DIR: Final = arg(
    "--migrations-dir",
    type=Path,
    metavar="DIR",
    help="the chain to use (default: the one shipped in the package)",
)
DATABASE_URL: Final = arg(
    "--database-url",
    metavar="URL",
    help="server to use (default: ROBOCO_* settings, else embedded)",
)
JSON: Final = arg("--json", action="store_true", help="print data as JSON")
REVISION: Final = arg("revision", metavar="REV")

COMMANDS: Final = (
    Command(
        "migrate",
        "apply pending revisions (pgvector first, where possible), or go back to an older one",
        cmd_migrate,
        (
            arg(
                "--to",
                metavar="REV",
                help="stop at this revision (default: ROBOCO_DATABASE_TARGET_REVISION, else "
                "head); an older one (or `base`) goes back through the down sections",
            ),
            arg(
                "--allow-data-loss",
                action="store_true",
                help="run revisions that drop tables or columns holding data (060 drops "
                "messaging), and go back past revisions marked irreversible",
            ),
        ),
    ),
    Command(
        "status",
        "current revision; exit 0 at head, 1 pending, 2 edited or missing files, 4 partly "
        "applied, 8 schema drift",
        cmd_status,
    ),
    Command(
        "history",
        "the revisions recorded, with timings and who applied them",
        cmd_history,
        chain=False,
    ),
    Command("check", "validate the chain's files without a database", cmd_check, db=False),
    Command(
        "stamp",
        "record the database as at REV without running anything",
        cmd_stamp,
        (
            REVISION,
            arg(
                "--force",
                action="store_true",
                help="allow stamping to an older revision (forgets the later history rows, "
                "and says so)",
            ),
        ),
        json=False,
    ),
    Command(
        "accept",
        "accept an intended edit of an applied file (recorded)",
        cmd_accept,
        (REVISION,),
        json=False,
    ),
    Command(
        "fingerprint",
        "rebuild the chain's stored schema fingerprints (for contributors)",
        cmd_fingerprint,
        json=False,
    ),
    Command(
        "plan",
        "print the SQL the next migrate would run (psql script), running nothing",
        cmd_plan,
        (
            arg(
                "--to",
                metavar="REV",
                help="stop at this revision (default: head); an older one (or `base`) plans "
                "going back",
            ),
            arg(
                "--allow-data-loss",
                action="store_true",
                help="plan going back past revisions marked irreversible",
            ),
        ),
        json=False,
    ),
    Command(
        "lint",
        "find operations that lock or rewrite busy tables (warnings; --strict fails)",
        cmd_lint,
        (arg("--strict", action="store_true", help="exit 1 on any finding (for CI)"),),
        db=False,
    ),
    Command(
        "verify",
        "compare the live schema with the chain's at the recorded revision; exit 8 on drift",
        cmd_verify,
    ),
    Command(
        "new",
        "write the next numbered migration file with its headers",
        cmd_new,
        (arg("name", metavar="NAME", help="a-z, 0-9 and _; the file is NNN_NAME.sql"),),
        db=False,
        json=False,
    ),
    Command(
        "embedded",
        "the embedded PostgreSQL used when none is configured",
        cmd_embedded,
        (arg("action", choices=["status", "stop"]),),
        chain=False,
        db=False,
    ),
    Command(
        "keys",
        "the stored tokens: check (which the key opens), generate (a new key), rotate",
        cmd_keys,
        (
            arg("action", choices=["check", "generate", "rotate"]),
            arg(
                "--batch-size",
                type=int,
                default=500,
                metavar="N",
                help="rows per batch; rotate commits each batch (default 500)",
            ),
        ),
        chain=False,
    ),
    Command(
        "db-init",
        "migrate, then write RoboCo's first rows (agents; below 060 also channels and "
        "welcomes); idempotent",
        cmd_db_init,
    ),
    Command(
        "demo",
        "run a day at RoboCo through the public API (a new day on every run) and report it",
        cmd_demo,
        (
            arg(
                "--scale",
                type=int,
                default=1,
                metavar="N",
                help="multiply the day's work: N features, so N times the tasks and messages",
            ),
        ),
    ),
    Command(
        "backup",
        "pg_dump the database to FILE (custom format, the server's major version)",
        cmd_backup,
        (
            arg("file", metavar="FILE"),
            arg("--force", action="store_true", help="overwrite FILE if it exists"),
        ),
        chain=False,
        json=False,
    ),
    Command(
        "restore",
        "pg_restore FILE into an empty database (a non-empty one is refused)",
        cmd_restore,
        (arg("file", type=Path, metavar="FILE"),),
        chain=False,
        json=False,
    ),
)


def build_parser(commands: Sequence[Command] = COMMANDS) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m roboco_sql",
        description="RoboCo's PostgreSQL state layer: migrations and operations.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        shared = [(command.chain, MIGRATIONS_DIR), (command.db, DATABASE_URL), (command.json, JSON)]
        for one in [a for wanted, a in shared if wanted] + list(command.args):
            p.add_argument(*one.names, **one.options)
        p.set_defaults(func=command.handler)
    return parser
