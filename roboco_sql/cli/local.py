"""The commands about this machine's own PostgreSQL and the demo day run on it: embedded,
demo."""

from __future__ import annotations

import argparse

from roboco_sql.config import Settings
from roboco_sql.errors import ValidationError

from . import common

# a day at scale 20 takes about 12 s; 100 bounds a run to minutes, not the hour an
# unbounded one took (and a killed day leaves a partial one behind)
MAX_DEMO_SCALE = 100


def cmd_embedded(args: argparse.Namespace) -> int:
    from roboco_sql import embedded

    data_dir = Settings.from_env().embedded_dir
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
    data = {"data_dir": str(st.data_dir), "state": state, "pid": st.pid, "url": st.url}
    common.emit(args, data, text)
    return 0 if st.running else 1


def cmd_demo(args: argparse.Namespace) -> int:
    """The demo package is loaded here, and only here: the library never imports it."""
    import asyncio

    from roboco_sql import demo

    if not 1 <= args.scale <= MAX_DEMO_SCALE:
        raise ValidationError(f"--scale must be between 1 and {MAX_DEMO_SCALE}, got {args.scale}")
    common.writable(args, "demo")
    report = asyncio.run(
        demo.run_day(
            args.database_url,
            scale=args.scale,
            migrations_dir=args.migrations_dir,
            echo=None if args.json else print,
        )
    )
    if args.json:  # otherwise the day printed its report as it went
        common.emit(args, report.as_dict(), "")
    return 0
