"""python -m roboco_sql: the command line, as a table of commands.

``table`` holds every command (name, help, arguments, handler) and builds the parser from it;
``run.main`` parses, calls the handler, prints and returns the exit code (``run.console`` is
the process's entry around it); ``common`` is what the handlers share (exit codes, output, the
URL, the chain). The handlers are grouped by kind: ``migration`` (migrate, status, history,
stamp, accept, verify), ``authoring`` (check, lint, plan, new, fingerprint), ``operations``
(keys, db-init, backup, restore) and ``local`` (embedded, demo). Each imports what it needs
when called: ``--help`` and ``migrate`` load no lint, plan, verify, scaffold, models,
pydantic, numpy or cryptography.
"""

from __future__ import annotations

from roboco_sql.migrate import chain as chain_mod

from .authoring import cmd_check, cmd_fingerprint, cmd_lint, cmd_new, cmd_plan
from .common import (
    EXIT_CONFIG,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Handler,
)
from .local import MAX_DEMO_SCALE, cmd_demo, cmd_embedded
from .migration import cmd_accept, cmd_history, cmd_migrate, cmd_stamp, cmd_status, cmd_verify
from .operations import cmd_backup, cmd_db_init, cmd_keys, cmd_restore
from .run import main
from .table import COMMANDS, Command, build_parser

__all__ = [
    "COMMANDS",
    "EXIT_CONFIG",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "MAX_DEMO_SCALE",
    "Command",
    "Handler",
    "build_parser",
    "chain_mod",
    "cmd_accept",
    "cmd_backup",
    "cmd_check",
    "cmd_db_init",
    "cmd_demo",
    "cmd_embedded",
    "cmd_fingerprint",
    "cmd_history",
    "cmd_keys",
    "cmd_lint",
    "cmd_migrate",
    "cmd_new",
    "cmd_plan",
    "cmd_restore",
    "cmd_stamp",
    "cmd_status",
    "cmd_verify",
    "main",
]
