"""The commands for the chain's authors, most without a database: check, lint, plan, new,
fingerprint."""

from __future__ import annotations

import argparse
import sys

from roboco_sql.errors import ChainError
from roboco_sql.migrate import chain as chain_mod

from . import common
from .common import plural


def cmd_check(args: argparse.Namespace) -> int:
    directory = args.migrations_dir or chain_mod.default_dir()
    chain, problems = chain_mod.validate(directory)
    if chain is None:
        raise ChainError(problems)
    if problems := chain_mod.check_problems(chain):
        raise ChainError(problems)
    common.emit(
        args,
        {"ok": True, "revisions": len(chain), "head": chain.head},
        f"{directory}: {plural(len(chain), 'revision')}, head {chain.head}, no problems",
    )
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import lint

    chain = common.chain(args)
    findings = lint.lint_chain(chain)
    failing = [f for f in findings if f.strict]
    files = len({f.file for f in failing})
    summary = (
        f"{plural(len(failing), 'finding')} in {plural(files, 'file')} of {len(chain)}"
        if failing
        else f"no findings in {plural(len(chain), 'file')}"
    )
    if notes := len(findings) - len(failing):
        summary += (
            f"; {plural(notes, 'note')} on down sections (what going back "
            "locks; --strict does not fail on them)"
        )
    common.emit(
        args,
        {"findings": [f.as_dict() for f in findings], "strict": args.strict},
        "\n".join([*(str(f) for f in findings), summary]),
    )
    return 1 if failing and args.strict else 0


def cmd_plan(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import plan

    chain = common.chain(args)
    url = common.url(args)
    result = plan.plan(url, chain, args.to, pgvector=True, allow_data_loss=args.allow_data_loss)
    sys.stdout.write(result.sql)
    count = len(result.revisions)
    back = len(result.reverted)
    common.say(
        f"plan: {plural(count, 'revision')} from "
        f"{result.current or 'an empty database'} to {result.target}"
        if count
        else f"plan: back past {plural(back, 'revision')} from {result.current} to {result.target}"
        if back
        else f"plan: nothing to apply; at {result.current}"
    )
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import scaffold

    path = scaffold.new_revision(args.migrations_dir or chain_mod.default_dir(), args.name)
    print(f"wrote {path}")
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    from roboco_sql.migrate import fingerprint, scratch

    chain = common.chain(args)
    prints = scratch.build_fingerprints(common.writable(args, "fingerprint"), chain)
    path = chain.directory / fingerprint.FILENAME
    path.write_text(prints.to_json(), encoding="utf-8")
    print(f"wrote {path} ({plural(len(prints.revisions), 'revision')})")
    return 0
