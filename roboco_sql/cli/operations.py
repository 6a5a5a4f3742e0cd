"""The operators' commands on a running database: keys, db-init, backup, restore."""

from __future__ import annotations

import argparse
from pathlib import Path

from roboco_sql.config import Settings

from . import common
from .common import plural


def cmd_keys(args: argparse.Namespace) -> int:
    from roboco_sql import keys
    from roboco_sql.crypto import SecretBox, generate_key

    if args.action == "generate":
        print(generate_key())
        return 0
    box = SecretBox.from_settings(Settings.from_env())
    box.check()  # a missing or malformed key: the clear error, before any connection
    url = common.url(args) if args.action == "check" else common.writable(args, "keys rotate")
    if args.action == "check":
        checked = keys.check_keys_at(url, box, batch_size=args.batch_size)
        verdict = (
            f"{checked.readable} token(s) readable, none unreadable"
            if checked.ok
            else f"{checked.unreadable} token(s) no configured key opens "
            "(the key changed? set ROBOCO_ENCRYPTION_KEY=new,old)"
        )
        common.emit(args, checked.as_dict(), "\n".join([*checked.lines(), verdict]))
        return 0 if checked.ok else 1

    def progress(column: keys.ColumnRotation) -> None:
        common.say(f"{column.column}: batch {column.batches} committed, {column.rotated} rotated")

    rotated = keys.rotate_at(url, box, args.batch_size, on_batch=progress)
    verdict = (
        f"{rotated.rotated} token(s) rotated, {rotated.current} already under the newest key"
        if rotated.ok
        else f"{rotated.unreadable} token(s) left as they were: no configured key opens them"
    )
    common.emit(args, rotated.as_dict(), "\n".join([*rotated.lines(), verdict]))
    return 0 if rotated.ok else 1


def cmd_db_init(args: argparse.Namespace) -> int:
    import asyncio

    from roboco_sql import bootstrap

    settings = Settings.from_env()
    url = common.writable(args, "db-init")
    migrated, seeded = asyncio.run(
        bootstrap.db_init(url, settings=settings, migrations_dir=args.migrations_dir)
    )
    count = len(migrated.applied)
    schema = (
        f"schema: applied {plural(count, 'revision')}; at {migrated.to_revision}"
        if count
        else f"schema: at head ({migrated.to_revision})"
    )
    text = "\n".join([schema, *seeded.lines()])
    common.emit(args, {"migration": migrated.as_dict(), "seed": seeded.as_dict()}, text)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from roboco_sql import backup

    backup.check_target(args.file, force=args.force)  # before any connection
    tool = backup.backup(common.url(args), args.file, force=args.force)
    size = Path(args.file).stat().st_size
    print(f"wrote {args.file} ({size} bytes, custom format) with pg_dump {tool.major}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from roboco_sql import backup
    from roboco_sql.config import describe

    url = common.writable(args, "restore")
    tool = backup.restore(url, args.file)
    print(f"restored {args.file} into {describe(url)} with pg_restore {tool.major}")
    return 0
