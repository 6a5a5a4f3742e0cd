"""python -m roboco_sql: parse, call, print, exit code. No logic lives here."""

from __future__ import annotations

import gc
import logging
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

import psycopg

from roboco_sql.config import normalize_url
from roboco_sql.errors import ChainError, RobocoSQLError
from roboco_sql.redact import check_url, install_log_filter, redact

from .common import EXIT_ERROR, EXIT_INTERRUPTED
from .table import build_parser


def _split_debug(argv: Sequence[str]) -> tuple[list[str], bool]:
    """--debug taken from anywhere on the line (before or after the command), up to `--`."""
    rest: list[str] = []
    debug = False
    for i, arg in enumerate(argv):
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg == "--debug":
            debug = True
        else:
            rest.append(arg)
    return rest, debug


def _fail(debug: bool, message: str) -> None:
    """One line on stderr, or with --debug the traceback; masked either way."""
    if debug:
        print(redact(traceback.format_exc()).rstrip(), file=sys.stderr)
    print(redact(message), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    install_log_filter()
    parser = build_parser()
    rest, debug = _split_debug(sys.argv[1:] if argv is None else list(argv))
    args = parser.parse_args(rest)
    args.debug = args.debug or debug
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if getattr(args, "database_url", None) is not None:  # a bad one fails before any work
            check_url("--database-url", normalize_url(args.database_url))
        code: int = args.func(args)
    except ChainError as exc:
        for problem in exc.problems:
            print(redact(problem), file=sys.stderr)
        _fail(
            args.debug,
            f"error: {len(exc.problems)} problem(s) in the migration chain; "
            "no database was touched",
        )
        return exc.exit_code
    except RobocoSQLError as exc:
        _fail(args.debug, f"error: {exc}")
        return exc.exit_code
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        _fail(args.debug, f"error: database error: {first}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one masked line (--debug: the traceback)
        first = (str(exc).strip().splitlines() or [""])[0]
        _fail(args.debug, f"error: internal error: {type(exc).__name__}: {first}")
        return EXIT_ERROR
    return code


def console() -> NoReturn:
    """The process's entry (``python -m roboco_sql``, the ``roboco-sql`` script): main, exit.

    Everything the imports made lives until the process ends; freezing it spares the
    interpreter's teardown one more walk of the collector over all of it (about 25 ms of a
    fresh build). main() does not freeze: tests and embedders call it in a process that goes on.
    """
    code = main()
    gc.freeze()
    sys.exit(code)
