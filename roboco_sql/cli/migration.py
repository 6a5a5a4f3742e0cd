"""The commands that move or inspect a database's place in the chain: migrate, status,
history, stamp, accept, verify."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from roboco_sql.boot import migration_options
from roboco_sql.config import Settings
from roboco_sql.migrate import chain as chain_mod
from roboco_sql.migrate import runner

from . import common
from .common import plural


def cmd_migrate(args: argparse.Namespace) -> int:
    # the chain's shape is checked before any database is touched; the SQL of the files to
    # run, by the runner before it runs any (a no-op reads none)
    chain = chain_mod.load_chain(args.migrations_dir, deep=False)
    url = common.url(args)
    started = time.perf_counter()
    settings = Settings.from_env()
    options = migration_options(settings, chain, allow_data_loss=args.allow_data_loss)
    options = replace(options, go_back=bool(args.to))  # only an explicit --to goes back
    report = runner.migrate(
        url,
        chain,
        args.to or settings.target_revision,
        options=options,
        echo=common.say if args.json else print,
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
        f"applied {plural(count, 'revision')} in {took:.2f} s; at {at}{extra}"
        if count
        else f"went back past {plural(back, 'revision')} in {took:.2f} s; at {at}{extra}"
        if back
        else f"nothing to apply; at {at}{extra}"
    )
    common.emit(args, report.as_dict() | {"seconds": round(took, 4)}, summary)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    url = common.url(args)
    st = runner.status(url, common.chain(args))
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
        text += (
            f"; schema drift: {plural(len(st.drift), 'difference')} from "
            f"{st.current} (`verify` lists them)"
        )
    data = st.as_dict()
    text += common.standby_note(url, data)
    common.emit(args, data, text)
    return st.exit_code


def cmd_history(args: argparse.Namespace) -> int:
    rows = runner.history(common.url(args))
    lines = [
        f"{r['revision']:<32} {r['how']:<8} {r['applied_at']:%Y-%m-%d %H:%M:%S} "
        f"{r['duration_ms']:>9.1f} ms  {r['applied_by']}"
        for r in rows
    ]
    common.emit(args, rows, "\n".join(lines) if lines else "no revisions recorded")
    return 0


def cmd_stamp(args: argparse.Namespace) -> int:
    runner.stamp(common.url(args), common.chain(args), args.revision, force=args.force, echo=print)
    return 0


def cmd_accept(args: argparse.Namespace) -> int:
    old = runner.accept(common.writable(args, "accept"), common.chain(args), args.revision)
    print(f"accepted the edit of {args.revision} (was {old[:12]})")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import verify

    url = common.url(args)
    result = verify.verify(url, common.chain(args))
    data = result.as_dict()
    text = result.describe() + common.standby_note(url, data)
    common.emit(args, data, text)
    return result.exit_code
