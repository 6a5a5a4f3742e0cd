"""Migrations: a fresh build of the chain against psql -1 (the floor), and the no-op at head.

Figures:

- fresh chain: ``load_chain()`` + in-process ``migrate()`` into an empty database, against
  ``psql -1 -v ON_ERROR_STOP=1 -f`` of the chain's files concatenated; both interleaved run by
  run, each run on a database created (untimed) just before it. Where one transaction cannot
  hold the whole chain (a new enum value used by a later file), the floor is split there into
  several ``psql -1`` runs, found by trying and recorded in the notes.
- no-op at head: ``migrate()`` on a database already at head, for the real chain and for
  synthetic chains of 5 and 500 one-table revisions; and how many statements it sends,
  counted by the server's own log (``log_statement = all`` for that database only).
- ``load_chain()`` of the real chain and of the 500-file chain (what a boot adds to the no-op).
"""

from __future__ import annotations

import bisect
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import psycopg

from bench.harness import BenchError, Context, Database, Figure, LoggedStatement, Target
from roboco_sql.migrate import Chain, Migration, load_chain, migrate

FRESH_RUNS = 7
NOOP_RUNS = 30
SYNTHETIC = (5, 500)
CONNECT = "connect + SELECT 1"

_PSQL_ERROR = re.compile(
    r"^psql:(?P<path>.+?):(?P<line>\d+): ERROR:\s+(?P<code>[0-9A-Z]{5}): (?P<msg>.*)$", re.M
)
UNSAFE_NEW_ENUM_VALUE = "55P04"
ACTIVE_SQL_TRANSACTION = "25001"  # "... cannot run inside a transaction block"

_SCHEMA = """
SELECT 'relation ' || c.relname || ' ' || c.relkind::text
  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'enum ' || t.typname || ' ' || e.enumlabel
  FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
 WHERE t.typnamespace = 'public'::regnamespace
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
"""


def run(ctx: Context) -> list[Figure]:
    chain = _chain()
    figures, built = _fresh_chain(ctx, chain)
    figures += _noop(ctx, chain, built)
    return figures


def _chain() -> Chain:
    """The shipped chain, or the one in $ROBOCO_BENCH_MIGRATIONS_DIR."""
    directory = os.environ.get("ROBOCO_BENCH_MIGRATIONS_DIR")
    return load_chain(Path(directory) if directory else None)


# -- fresh build ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """Part of the floor: files run by one psql invocation (-1 unless single_transaction off)."""

    migrations: tuple[Migration, ...]
    single_transaction: bool
    path: Path

    def args(self) -> list[str]:
        one = ["-1"] if self.single_transaction else []
        return [*one, "-v", "ON_ERROR_STOP=1", "-f", str(self.path)]

    def describe(self) -> str:
        first, last = self.migrations[0].name, self.migrations[-1].name
        span = first if first == last else f"{first}..{last}"
        how = "psql -1" if self.single_transaction else "psql (autocommit)"
        return f"{how}: {span} ({len(self.migrations)} files)"


def _script(migrations: tuple[Migration, ...]) -> tuple[str, list[int]]:
    """The files concatenated, and the line each one starts on."""
    parts: list[str] = []
    starts: list[int] = []
    line = 1
    for m in migrations:
        text = m.text if m.text.endswith("\n") else m.text + "\n"
        statements = m.statements
        if statements:
            end = statements[-1].start + len(statements[-1].text)
            if m.text[end : end + 1] != ";":  # an unterminated last statement
                text += ";\n"
        starts.append(line)
        parts.append(text)
        line += text.count("\n")
    return "".join(parts), starts


def _segment(ctx: Context, migrations: tuple[Migration, ...], single: bool, n: int) -> Segment:
    path = ctx.tmp / f"floor_{n}.sql"
    path.write_text(_script(migrations)[0])
    return Segment(migrations, single, path)


def _plan_floor(ctx: Context, chain: Chain) -> tuple[list[Segment], list[str]]:
    """As few psql runs as the chain allows: one -1 run, split only where PostgreSQL refuses."""
    db = ctx.new_database("floorplan")
    pending = tuple(chain)
    segments: list[Segment] = []
    splits: list[str] = []
    while pending:
        seg = _segment(ctx, pending, True, len(segments) + 1)
        proc = ctx.server.psql(db.url, *seg.args(), "-v", "VERBOSITY=verbose", check=False)
        if proc.returncode == 0:
            segments.append(seg)
            break
        error = _PSQL_ERROR.search(proc.stderr)
        if error is None:
            raise BenchError(f"psql -1 of the chain failed: {proc.stderr.strip()[-500:]}")
        _, starts = _script(pending)
        k = bisect.bisect_right(starts, int(error["line"])) - 1
        failing, code, msg = pending[k], error["code"], error["msg"].strip()
        if code == UNSAFE_NEW_ENUM_VALUE and k > 0:
            head = _segment(ctx, pending[:k], True, len(segments) + 1)
            ctx.server.psql(db.url, *head.args())
            segments.append(head)
            splits.append(
                f"split before {failing.name}: in one transaction PostgreSQL refuses it "
                f"({code} {msg}); the enum value must be committed first"
            )
            pending = pending[k:]
        elif code == ACTIVE_SQL_TRANSACTION:
            if k > 0:
                head = _segment(ctx, pending[:k], True, len(segments) + 1)
                ctx.server.psql(db.url, *head.args())
                segments.append(head)
            alone = _segment(ctx, (failing,), False, len(segments) + 1)
            ctx.server.psql(db.url, *alone.args())
            segments.append(alone)
            splits.append(f"{failing.name} runs without -1: {msg}")
            pending = pending[k + 1 :]
        else:
            raise BenchError(f"the floor fails at {failing.name}: {code} {msg}")
    ctx.drop_database(db)
    return segments, splits


def _schema(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(_SCHEMA).fetchall()
    return {r[0] for r in rows if "alembic_version" not in r[0]}


def _commits(log: list[LoggedStatement]) -> int:
    return sum(1 for s in log if s.sql.strip().rstrip(";").upper() in ("COMMIT", "END"))


def _fresh_chain(ctx: Context, chain: Chain) -> tuple[list[Figure], Database]:
    server = ctx.server
    segments, splits = _plan_floor(ctx, chain)

    def floor(db: Database) -> None:
        for seg in segments:
            server.psql(db.url, *seg.args())

    def runner(db: Database) -> None:
        migrate(db.url, load_chain(chain.directory))

    # once each, logged: the two builds must agree, and what each sends explains the ratio
    floor_db, runner_db = ctx.new_database("floorcheck"), ctx.new_database("runnercheck")
    with server.statement_log(floor_db.name) as floor_log:
        floor(floor_db)
    with server.statement_log(runner_db.name) as runner_log:
        runner(runner_db)
    floor_schema, runner_schema = _schema(floor_db.url), _schema(runner_db.url)
    ctx.drop_database(floor_db)

    samples = ctx.compare(
        {"floor": floor, "runner": runner},
        runs=ctx.runs(FRESH_RUNS),
        warmup=1,
        setup=lambda: ctx.new_database("fresh"),
        teardown=ctx.drop_database,
    )
    ctx.note(
        "fresh_chain",
        {
            "files": len(chain),
            "floor": [s.describe() for s in segments],
            "floor_split": splits
            or ["none: the whole chain runs as one psql -1 (single transaction)"],
            "floor_command": "psql -X -q -1 -v ON_ERROR_STOP=1 -f <concatenated files>",
            "runner": "load_chain() + migrate(url, chain) in-process (pgvector=False, as psql)",
            "each_run": "on a database created just before it (CREATE DATABASE, untimed); "
            "floor and runner interleaved",
            "schemas_match": floor_schema == runner_schema,
            "schema_only_in_floor": sorted(floor_schema - runner_schema)[:20],
            "schema_only_in_runner": sorted(runner_schema - floor_schema)[:20],
            "statements_sent": {"floor": len(floor_log), "runner": len(runner_log)},
            "commits": {"floor": _commits(floor_log), "runner": _commits(runner_log)},
        },
    )
    if floor_schema != runner_schema:
        raise BenchError("psql -1 and the runner built different schemas; see the notes")
    name = f"fresh chain ({len(chain)} files)"
    figures = [
        samples["floor"].figure(f"{name}: psql -1", note="; ".join(splits)),
        samples["runner"].figure(
            f"{name}: runner",
            baseline=f"{name}: psql -1",
            target=Target("<=", 1.5, on="ratio"),
        ),
    ]
    return figures, runner_db


# -- no-op at head -------------------------------------------------------------------------------


def synthetic_chain(directory: Path, n: int) -> Path:
    """n one-table revisions, s0001 .. sNNNN, as files a chain loader accepts."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        rev, parent = f"s{i:04d}_bench", f"s{i - 1:04d}_bench" if i > 1 else ""
        (directory / f"{i:04d}_{rev}.sql").write_text(
            f"-- revision: {rev}\n-- down_revision: {parent}\n"
            f"CREATE TABLE bench_t{i:04d} (id integer PRIMARY KEY);\n"
        )
    return directory


def _noop(ctx: Context, real: Chain, real_db: Database) -> list[Figure]:
    chains: dict[str, tuple[Chain, Database]] = {f"{len(real)} revisions (real)": (real, real_db)}
    for n in SYNTHETIC:
        chain = load_chain(synthetic_chain(ctx.tmp / f"chain_{n}", n))
        db = ctx.new_database(f"noop{n}")
        migrate(db.url, chain)
        chains[f"{n} revisions"] = (chain, db)

    real_url = real_db.url

    def connect_floor() -> None:
        with psycopg.connect(real_url, autocommit=True) as conn:
            conn.execute("SELECT 1").fetchone()

    cases: dict[str, Callable[[], object]] = {CONNECT: connect_floor}
    logs: dict[str, list[LoggedStatement]] = {}
    for label, (chain, db) in chains.items():
        report = migrate(db.url, chain)
        if report.applied or report.to_revision != chain.head:
            raise BenchError(f"{label}: the database is not at head after a build")
        cases[label] = partial(migrate, db.url, chain)
        with ctx.server.statement_log(db.name) as log:
            migrate(db.url, chain)
        logs[label] = log
    samples = ctx.compare(cases, runs=ctx.runs(NOOP_RUNS), warmup=3)
    figures = [
        samples.pop(CONNECT).figure(CONNECT, note="the floor of any in-process no-op"),
        *(
            sample.figure(f"no-op at head: {label}", baseline=CONNECT, target=Target("<", 10.0))
            for label, sample in samples.items()
        ),
    ]

    small, large = (f"{n} revisions" for n in SYNTHETIC)
    for label in (small, large):
        figures.append(
            Figure(
                f"no-op statements: {label}",
                len(logs[label]),
                "statements",
                baseline=None if label == small else f"no-op statements: {small}",
                target=None if label == small else Target("==", 1.0, on="ratio"),
            )
        )
    extra = Counter(s.short for s in logs[large]) - Counter(s.short for s in logs[small])
    ctx.note(
        "noop",
        {
            "call": "migrate(url, chain) on a database at head, chain loaded beforehand",
            "statement_count_method": "server log, log_statement=all set for the measured "
            "database only during one extra call: one entry per simple-protocol Query "
            "or extended-protocol Execute, BEGIN/COMMIT included",
            "statements": {label: len(log) for label, log in logs.items()},
            "sent_at_head": [s.short for s in logs[small]],
            "only_with_500": dict(extra),
        },
    )

    for label, path in (
        (f"{len(real)} files (real)", real.directory),
        (f"{SYNTHETIC[-1]} files", ctx.tmp / f"chain_{SYNTHETIC[-1]}"),
    ):
        sample = ctx.measure(partial(load_chain, path), runs=ctx.runs(10), warmup=1)
        figures.append(sample.figure(f"load_chain(): {label}", note="boot adds this to the no-op"))
    return figures
