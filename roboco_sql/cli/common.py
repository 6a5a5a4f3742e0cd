"""What the commands share: exit codes, output (text or ``--json``), the URL a command
connects to (a hot standby refused for writes), and the chain it works on."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from roboco_sql.boot import migration_url
from roboco_sql.config import Settings, normalize_url
from roboco_sql.migrate import chain as chain_mod
from roboco_sql.redact import check_url

Handler = Callable[[argparse.Namespace], int]
"""A command: its parsed arguments in, its exit code out (errors are raised, see main)."""

# The exit codes of every command (README, "Exit codes"); a failure gets the same code
# whichever way the URL came (flag or variable) and with or without --debug.
EXIT_OK = 0
EXIT_ERROR = 1  # refused input, a migration or database error, status/verify: pending
EXIT_USAGE = 2  # argparse's own; also checksum mismatch, restore into a non-empty database
EXIT_CONFIG = 3  # a setting or URL is missing or malformed, or the server cannot be reached
EXIT_INTERRUPTED = 130


def say(message: str) -> None:
    print(message, file=sys.stderr)


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, default=str, indent=2) if args.json else text)


def plural(count: int, word: str) -> str:
    """``1 revision``, ``2 revisions``: a count and its noun."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def url(args: argparse.Namespace) -> str:
    flag: str | None = args.database_url
    if flag is not None:  # checked as the variable is: same error, same exit code
        check_url("--database-url", normalize_url(flag))
        flag = normalize_url(flag)
    return migration_url(Settings.from_env(), flag, announce=say)


def writable(args: argparse.Namespace, command: str) -> str:
    """The URL of a command that writes; a hot standby is refused in one line first."""
    from roboco_sql import replicas

    found = url(args)
    replicas.refuse_standby(found, command)
    return found


def standby_note(found: str, data: dict[str, Any]) -> str:
    """On a hot standby: its replay position and lag, for status and verify ("" elsewhere)."""
    from roboco_sql import replicas

    standby = replicas.standby_state(found)
    data["standby"] = None if standby is None else standby.as_dict()
    return "" if standby is None else f"; {standby.describe()}"


def chain(args: argparse.Namespace) -> chain_mod.Chain:
    """The chain ``--migrations-dir`` names (default: the shipped one), loaded and checked."""
    return chain_mod.load_chain(args.migrations_dir)
