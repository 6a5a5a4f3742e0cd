"""python -m bench [suite ...]: run the suites, print one table, write the results as JSON.

A full run (every suite, --scale 1) writes bench/results/latest.json, the committed file the
README's Performance table is generated from (python -m bench.readme); a partial run writes
bench/results/partial.json, so a quick look never replaces the published figures.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import bench
from bench.harness import (
    Context,
    Figure,
    git_state,
    load_average,
    machine,
    make_server,
    peak_rss_bytes,
    reset_peak_rss,
    resolve,
    table,
    versions,
)

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
PARTIAL = RESULTS.with_name("partial.json")
PREFIX = "bench_"
SERVER_SETTINGS = ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers", "jit")


def suites() -> list[str]:
    """Every bench/bench_<name>.py, by name."""
    return sorted(
        m.name[len(PREFIX) :]
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name.startswith(PREFIX)
    )


def _describe(module: ModuleType) -> str:
    doc = (module.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def main(argv: Sequence[str] | None = None) -> int:
    known = suites()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="suite", help=f"default: all of {known}")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every suite's run counts (e.g. 0.2 for a quick smoke run)",
    )
    parser.add_argument(
        "--out", type=Path, help=f"default: {RESULTS} for a full run, else {PARTIAL}"
    )
    parser.add_argument("--list", action="store_true", help="list the suites and exit")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a target is not met")
    args = parser.parse_args(argv)
    if args.list:
        for name in known:
            print(f"{name:16} {_describe(importlib.import_module(f'bench.{PREFIX}{name}'))}")
        return 0
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = args.names or known
    full = set(chosen) == set(known) and args.scale == 1.0
    out: Path = args.out or (RESULTS if full else PARTIAL)

    started = time.perf_counter()
    date = datetime.now(UTC).isoformat(timespec="seconds")
    server, root = make_server()
    results: dict[str, Any] = {}
    figures: list[Figure] = []
    try:
        about: dict[str, Any] = {
            "date": date,
            "command": " ".join(["python -m bench", *sys.argv[1:]]),
            "full_run": full,
            "scale": args.scale,
            "suites_run": chosen,
            "git": git_state(),
            "machine": machine(),
            "versions": versions(server),
            "server_settings": server.settings(*SERVER_SETTINGS),
        }
        for name in chosen:
            suite_figures, results[name] = _run_suite(name, server, root, args.scale)
            figures.extend(suite_figures)
    finally:
        server.stop()
        _rmtree(root)

    about["machine"]["load_avg_at_end"] = load_average()
    met = [f for f in figures if f.met is True]
    missed = [f for f in figures if f.met is False]
    errors = {n: r["error"] for n, r in results.items() if r["error"]}
    document = {
        "schema": 1,
        **about,
        "seconds": round(time.perf_counter() - started, 1),
        "suites": results,
        "figures": [f.as_dict() for f in figures],
        "targets": {
            "met": len(met),
            "not_met": len(missed),
            "all_met": not missed and not errors,
            "missed": [f"{f.suite}: {f.name}" for f in missed],
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, default=str) + "\n")

    print()
    print(table(figures))
    m = about["machine"]
    print(
        f"\n{date}  PostgreSQL {about['versions']['postgresql_server']}  "
        f"Python {about['versions']['python']}  psycopg {about['versions']['psycopg']}  "
        f"{m['cores_logical']} cores, {m['memory_gb']} GB  "
        f"targets met {len(met)}/{len(met) + len(missed)}  {document['seconds']} s"
    )
    print(f"wrote {out}")
    if out == RESULTS:
        from bench import readme

        readme.main([])  # the README's table follows the results file it was made from
    for name, error in errors.items():
        print(f"suite {name} FAILED: {error}", file=sys.stderr)
    if errors:
        return 1
    return 3 if args.strict and missed else 0


def _run_suite(
    name: str, server: Any, root: Path, scale: float
) -> tuple[list[Figure], dict[str, Any]]:
    module = importlib.import_module(f"bench.{PREFIX}{name}")
    run: Callable[[Context], list[Figure]] = module.run
    ctx = Context(server, Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root)), scale)
    print(f"bench {name}: {_describe(module)}", file=sys.stderr, flush=True)
    reset = reset_peak_rss()
    load_start = load_average()
    started = time.perf_counter()
    figures: list[Figure] = []
    error = None
    try:
        figures = run(ctx)
        resolve(figures, name)
    except Exception as exc:
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
        figures = []
    finally:
        ctx.close()
    seconds = time.perf_counter() - started
    print(f"bench {name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    return figures, {
        "description": _describe(module),
        "seconds": round(seconds, 2),
        "load_avg": {"start": load_start, "end": load_average()},
        "peak_rss_mb": round(peak_rss_bytes() / 2**20, 1),
        "peak_rss_scope": "this suite" if reset else "the process so far",
        "notes": ctx.notes,
        "error": error,
    }


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
