"""python -m roboco_sql: parse, call, print, exit code. No logic lives here."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg

from roboco_sql import embedded
from roboco_sql.boot import migration_options, migration_url
from roboco_sql.config import Settings, normalize_url
from roboco_sql.errors import ChainError, RobocoSQLError, ValidationError
from roboco_sql.migrate import chain as chain_mod
from roboco_sql.migrate import runner
from roboco_sql.redact import check_url, install_log_filter, redact

Handler = Callable[[argparse.Namespace], int]

# a day at scale 20 takes about 12 s; 100 bounds a run to minutes, not the hour an
# unbounded one took (and a killed day leaves a partial one behind)
MAX_DEMO_SCALE = 100

# The exit codes of every command (README, "Exit codes"); a failure gets the same code
# whichever way the URL came (flag or variable) and with or without --debug.
EXIT_OK = 0
EXIT_ERROR = 1  # refused input, a migration or database error, status/verify: pending
EXIT_USAGE = 2  # argparse's own; also checksum mismatch, restore into a non-empty database
EXIT_CONFIG = 3  # a setting or URL is missing or malformed, or the server cannot be reached
EXIT_INTERRUPTED = 130


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, default=str, indent=2) if args.json else text)


def _url(args: argparse.Namespace) -> str:
    flag: str | None = args.database_url
    if flag is not None:  # checked as the variable is: same error, same exit code
        check_url("--database-url", normalize_url(flag))
        flag = normalize_url(flag)
    return migration_url(Settings.from_env(), flag, announce=_say)


def _writable(args: argparse.Namespace, command: str) -> str:
    """The URL of a command that writes; a hot standby is refused in one line first."""
    from roboco_sql import replicas

    url = _url(args)
    replicas.refuse_standby(url, command)
    return url


def _standby_note(url: str, data: dict[str, Any]) -> str:
    """On a hot standby: its replay position and lag, for status and verify ("" elsewhere)."""
    from roboco_sql import replicas

    standby = replicas.standby_state(url)
    data["standby"] = None if standby is None else standby.as_dict()
    return "" if standby is None else f"; {standby.describe()}"


def _chain(args: argparse.Namespace) -> chain_mod.Chain:
    return chain_mod.load_chain(args.migrations_dir)


def cmd_check(args: argparse.Namespace) -> int:
    directory = args.migrations_dir or chain_mod.default_dir()
    chain, problems = chain_mod.validate(directory)
    if chain is None:
        raise ChainError(problems)
    if problems := chain_mod.missing_downs(chain):
        raise ChainError(problems)
    _emit(
        args,
        {"ok": True, "revisions": len(chain), "head": chain.head},
        f"{directory}: {len(chain)} revisions, head {chain.head}, no problems",
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    # the chain's shape is checked before any database is touched; the SQL of the files to
    # run, by the runner before it runs any (a no-op reads none)
    chain = chain_mod.load_chain(args.migrations_dir, deep=False)
    url = _url(args)
    started = time.perf_counter()
    settings = Settings.from_env()
    options = migration_options(settings, chain, allow_data_loss=args.allow_data_loss)
    options = replace(options, go_back=bool(args.to))  # only an explicit --to goes back
    report = runner.migrate(
        url,
        chain,
        args.to or settings.target_revision,
        options=options,
        echo=_say if args.json else print,
        pgvector=True,
    )
    took = time.perf_counter() - started
    notes = [f"adopted at {report.adopted}"] if report.adopted else []
    notes += [f"stamped at {report.stamped}"] if report.stamped else []
    notes += [f"moved over from {report.relaid}"] if report.relaid else []
    notes += ["RAG disabled"] if report.rag_enabled is False else []
    extra = f" ({'; '.join(notes)})" if notes else ""
    count = len(report.applied)
    back = len(report.reverted)
    at = report.to_revision or f"{runner.BASE} (no revision applied)"
    summary = (
        f"applied {count} revision{'s' if count != 1 else ''} in {took:.2f} s; at {at}{extra}"
        if count
        else f"went back past {back} revision{'s' if back != 1 else ''} in {took:.2f} s; "
        f"at {at}{extra}"
        if back
        else f"nothing to apply; at {at}{extra}"
    )
    _emit(args, report.as_dict() | {"seconds": round(took, 4)}, summary)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    url = _url(args)
    st = runner.status(url, _chain(args))
    if st.unknown:
        text = f"at {st.unknown}, which this chain does not know"
    elif st.mismatched:
        text = f"at {st.current}; applied files edited or missing: {', '.join(st.mismatched)}"
    elif st.partial:
        text = f"at {st.current}; partly applied: " + ", ".join(
            f"{rev} ({n} statements done)" for rev, n in st.partial.items()
        )
    elif st.pending:
        text = (
            f"at {st.current or 'nothing (empty database)'}; {len(st.pending)} pending: "
            f"{st.pending[0]} .. {st.pending[-1]}"
        )
    else:
        text = f"at head ({st.current})"
    if st.adoptable:
        text += " (an Alembic-managed database; migrate will adopt it)"
    if st.drift:
        count = len(st.drift)
        text += (
            f"; schema drift: {count} difference{'s' if count != 1 else ''} from "
            f"{st.current} (`verify` lists them)"
        )
    data = st.as_dict()
    text += _standby_note(url, data)
    _emit(args, data, text)
    return st.exit_code


def cmd_history(args: argparse.Namespace) -> int:
    rows = runner.history(_url(args))
    lines = [
        f"{r['revision']:<32} {r['how']:<8} {r['applied_at']:%Y-%m-%d %H:%M:%S} "
        f"{r['duration_ms']:>9.1f} ms  {r['applied_by']}"
        for r in rows
    ]
    _emit(args, rows, "\n".join(lines) if lines else "no revisions recorded")
    return 0


def cmd_stamp(args: argparse.Namespace) -> int:
    runner.stamp(_url(args), _chain(args), args.revision, echo=print)
    return 0


def cmd_accept(args: argparse.Namespace) -> int:
    old = runner.accept(_writable(args, "accept"), _chain(args), args.revision)
    print(f"accepted the edit of {args.revision} (was {old[:12]})")
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import fingerprint, scratch

    chain = _chain(args)
    prints = scratch.build_fingerprints(_writable(args, "fingerprint"), chain)
    path = chain.directory / fingerprint.FILENAME
    path.write_text(prints.to_json(), encoding="utf-8")
    print(f"wrote {path} ({len(prints.revisions)} revisions)")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import plan

    chain = _chain(args)
    url = _url(args)
    result = plan.plan(url, chain, args.to, pgvector=True, allow_data_loss=args.allow_data_loss)
    sys.stdout.write(result.sql)
    count = len(result.revisions)
    back = len(result.reverted)
    _say(
        f"plan: {count} revision{'s' if count != 1 else ''} from "
        f"{result.current or 'an empty database'} to {result.target}"
        if count
        else f"plan: back past {back} revision{'s' if back != 1 else ''} from "
        f"{result.current} to {result.target}"
        if back
        else f"plan: nothing to apply; at {result.current}"
    )
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import lint

    chain = _chain(args)
    findings = lint.lint_chain(chain)
    failing = [f for f in findings if f.strict]
    files = len({f.file for f in failing})
    summary = (
        f"{len(failing)} finding{'s' if len(failing) != 1 else ''} in {files} "
        f"file{'s' if files != 1 else ''} of {len(chain)}"
        if failing
        else f"no findings in {len(chain)} files"
    )
    if notes := len(findings) - len(failing):
        summary += (
            f"; {notes} note{'s' if notes != 1 else ''} on down sections (what going back "
            "locks; --strict does not fail on them)"
        )
    _emit(
        args,
        {"findings": [f.as_dict() for f in findings], "strict": args.strict},
        "\n".join([*(str(f) for f in findings), summary]),
    )
    return 1 if failing and args.strict else 0


def cmd_verify(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import verify

    url = _url(args)
    result = verify.verify(url, _chain(args))
    data = result.as_dict()
    text = result.describe() + _standby_note(url, data)
    _emit(args, data, text)
    return result.exit_code


def cmd_new(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import scaffold

    path = scaffold.new_revision(args.migrations_dir or chain_mod.default_dir(), args.name)
    print(f"wrote {path}")
    return 0


def cmd_embedded(args: argparse.Namespace) -> int:
    data_dir = Settings.from_env().data_dir
    if args.action == "stop":
        stopped = embedded.stop(data_dir)
        print(
            f"stopped the embedded PostgreSQL in {data_dir}"
            if stopped
            else f"the embedded PostgreSQL in {data_dir} was not running"
        )
        return 0
    st = embedded.status(data_dir)
    state = "running" if st.running else ("stopped" if st.initialized else "not created")
    text = f"embedded PostgreSQL {embedded.MAJOR} in {st.data_dir}: {state}"
    if st.running:
        text += f" (pid {st.pid}, {st.url})"
    _emit(args, {"data_dir": str(st.data_dir), "state": state, "pid": st.pid, "url": st.url}, text)
    return 0 if st.running else 1


def cmd_keys(args: argparse.Namespace) -> int:
    from roboco_sql import keys
    from roboco_sql.crypto import SecretBox, generate_key

    if args.action == "generate":
        print(generate_key())
        return 0
    box = SecretBox.from_settings(Settings.from_env())
    box.check()  # a missing or malformed key: the clear error, before any connection
    url = _url(args) if args.action == "check" else _writable(args, "keys rotate")
    if args.action == "check":
        checked = keys.check_keys_at(url, box, batch_size=args.batch_size)
        verdict = (
            f"{checked.readable} token(s) readable, none unreadable"
            if checked.ok
            else f"{checked.unreadable} token(s) no configured key opens "
            "(the key changed? set ROBOCO_ENCRYPTION_KEY=new,old)"
        )
        _emit(args, checked.as_dict(), "\n".join([*checked.lines(), verdict]))
        return 0 if checked.ok else 1

    def progress(column: keys.ColumnRotation) -> None:
        _say(f"{column.column}: batch {column.batches} committed, {column.rotated} rotated")

    rotated = keys.rotate_at(url, box, args.batch_size, on_batch=progress)
    verdict = (
        f"{rotated.rotated} token(s) rotated, {rotated.current} already under the newest key"
        if rotated.ok
        else f"{rotated.unreadable} token(s) left as they were: no configured key opens them"
    )
    _emit(args, rotated.as_dict(), "\n".join([*rotated.lines(), verdict]))
    return 0 if rotated.ok else 1


def cmd_db_init(args: argparse.Namespace) -> int:
    import asyncio

    from roboco_sql import bootstrap

    settings = Settings.from_env()
    url = _writable(args, "db-init")
    migrated, seeded = asyncio.run(
        bootstrap.db_init(url, settings=settings, migrations_dir=args.migrations_dir)
    )
    count = len(migrated.applied)
    schema = (
        f"schema: applied {count} revision{'s' if count != 1 else ''}; at {migrated.to_revision}"
        if count
        else f"schema: at head ({migrated.to_revision})"
    )
    text = "\n".join([schema, *seeded.lines()])
    _emit(args, {"migration": migrated.as_dict(), "seed": seeded.as_dict()}, text)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import asyncio

    from roboco_sql import demo

    if not 1 <= args.scale <= MAX_DEMO_SCALE:
        raise ValidationError(f"--scale must be between 1 and {MAX_DEMO_SCALE}, got {args.scale}")
    _writable(args, "demo")
    report = asyncio.run(
        demo.run_day(
            args.database_url,
            scale=args.scale,
            migrations_dir=args.migrations_dir,
            echo=None if args.json else print,
        )
    )
    if args.json:  # otherwise the day printed its report as it went
        _emit(args, report.as_dict(), "")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from roboco_sql import backup

    backup.check_target(args.file, force=args.force)  # before any connection
    tool = backup.backup(_url(args), args.file, force=args.force)
    size = Path(args.file).stat().st_size
    print(f"wrote {args.file} ({size} bytes, custom format) with pg_dump {tool.major}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from roboco_sql import backup
    from roboco_sql.config import describe

    url = _writable(args, "restore")
    tool = backup.restore(url, args.file)
    print(f"restored {args.file} into {describe(url)} with pg_restore {tool.major}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m roboco_sql",
        description="RoboCo's PostgreSQL state layer: migrations and operations.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str,
        handler: Handler,
        help_text: str,
        *,
        db: bool = True,
        chain: bool = True,
        json_out: bool = True,
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if chain:
            p.add_argument(
                "--migrations-dir",
                type=Path,
                metavar="DIR",
                help="the chain to use (default: the one shipped in the package)",
            )
        if db:
            p.add_argument(
                "--database-url",
                metavar="URL",
                help="server to use (default: ROBOCO_* settings, else embedded)",
            )
        if json_out:
            p.add_argument("--json", action="store_true", help="print data as JSON")
        p.set_defaults(func=handler)
        return p

    p = add(
        "migrate",
        cmd_migrate,
        "apply pending revisions (pgvector first, where possible), or go back to an older one",
    )
    p.add_argument(
        "--to",
        metavar="REV",
        help="stop at this revision (default: ROBOCO_DATABASE_TARGET_REVISION, else head); "
        "an older one (or `base`) goes back through the down sections",
    )
    p.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="run revisions that drop tables or columns holding data (060 drops messaging), "
        "and go back past revisions marked irreversible",
    )
    add(
        "status",
        cmd_status,
        "current revision; exit 0 at head, 1 pending, 2 edited or missing files, 4 partly applied, "
        "8 schema drift",
    )
    add(
        "history",
        cmd_history,
        "the revisions recorded, with timings and who applied them",
        chain=False,
    )
    add("check", cmd_check, "validate the chain's files without a database", db=False)
    p = add(
        "stamp", cmd_stamp, "record the database as at REV without running anything", json_out=False
    )
    p.add_argument("revision", metavar="REV")
    p = add(
        "accept",
        cmd_accept,
        "accept an intended edit of an applied file (recorded)",
        json_out=False,
    )
    p.add_argument("revision", metavar="REV")
    add(
        "fingerprint",
        cmd_fingerprint,
        "rebuild the chain's stored schema fingerprints (for contributors)",
        json_out=False,
    )
    p = add(
        "plan",
        cmd_plan,
        "print the SQL the next migrate would run (psql script), running nothing",
        json_out=False,
    )
    p.add_argument(
        "--to",
        metavar="REV",
        help="stop at this revision (default: head); an older one (or `base`) plans going back",
    )
    p.add_argument(
        "--allow-data-loss",
        action="store_true",
        help="plan going back past revisions marked irreversible",
    )
    p = add(
        "lint",
        cmd_lint,
        "find operations that lock or rewrite busy tables (warnings; --strict fails)",
        db=False,
    )
    p.add_argument("--strict", action="store_true", help="exit 1 on any finding (for CI)")
    add(
        "verify",
        cmd_verify,
        "compare the live schema with the chain's at the recorded revision; exit 8 on drift",
    )
    p = add(
        "new",
        cmd_new,
        "write the next numbered migration file with its headers",
        db=False,
        json_out=False,
    )
    p.add_argument("name", metavar="NAME", help="a-z, 0-9 and _; the file is NNN_NAME.sql")
    p = add(
        "embedded",
        cmd_embedded,
        "the embedded PostgreSQL used when none is configured",
        db=False,
        chain=False,
    )
    p.add_argument("action", choices=["status", "stop"])
    p = add(
        "keys",
        cmd_keys,
        "the stored tokens: check (which the key opens), generate (a new key), rotate",
        chain=False,
    )
    p.add_argument("action", choices=["check", "generate", "rotate"])
    p.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="rows per batch; rotate commits each batch (default 500)",
    )
    add(
        "db-init",
        cmd_db_init,
        "migrate, then write RoboCo's first rows (agents; below 060 also channels and "
        "welcomes); idempotent",
    )
    p = add(
        "demo",
        cmd_demo,
        "run a day at RoboCo through the public API (a new day on every run) and report it",
    )
    p.add_argument(
        "--scale",
        type=int,
        default=1,
        metavar="N",
        help="multiply the day's work: N features, so N times the tasks and messages",
    )
    p = add(
        "backup",
        cmd_backup,
        "pg_dump the database to FILE (custom format, the server's major version)",
        chain=False,
        json_out=False,
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    p = add(
        "restore",
        cmd_restore,
        "pg_restore FILE into an empty database (a non-empty one is refused)",
        chain=False,
        json_out=False,
    )
    p.add_argument("file", type=Path, metavar="FILE")
    return parser


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
