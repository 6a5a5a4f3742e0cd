"""Migrations as a user runs them: whole processes, each against its floor, side by side.

Every figure times a whole process (``subprocess.run`` wall time: interpreter start, imports,
connections, work, exit), the cases interleaved run by run (A B, B A, ...) so the noise of a
shared machine hits both sides alike:

- fresh build: ``createdb`` + ``python -m roboco_sql migrate`` (the whole chain, pgvector and
  the additions on by default) against ``createdb`` + ``psql -X -q -v ON_ERROR_STOP=1 -f`` of
  the exact script ``python -m roboco_sql plan`` printed for an empty database (made once,
  untimed). Both builds run once first with the server logging their statements, and must
  leave the same catalog. Target (issue 20): at most 1.2x. In the same interleaved loop, the
  floor any Python runner pays: ``createdb`` + a process that imports psycopg, connects and
  sends that script as one simple-query message, then exits as ``python -m roboco_sql`` does
  (``gc.freeze`` first; the server's work is psql's, the difference is the interpreter and
  psycopg). Target: migrate at most 1.15x that client.
- no-op: ``python -m roboco_sql migrate`` on a database already at head, against the floor: a
  process that imports psycopg, connects and runs ``SELECT 1``. Target: at most 1.5x. The same
  no-op on synthetic chains of 5 and 500 one-table revisions must send as many statements
  (constant in the chain's length), counted by the server's own log, pgvector present.
- ``python -c "import roboco_sql"`` against a bare interpreter (``python -c pass``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg

from bench.harness import BenchError, Context, Database, Figure, LoggedStatement, Target

FRESH_RUNS = 11  # whole builds swing by tens of ms on a shared machine: an odd count, a median
NOOP_RUNS = 11
IMPORT_RUNS = 15
SYNTHETIC = (5, 500)
FRESH_TARGET = 1.2
CLIENT_TARGET = 1.15
NOOP_TARGET = 1.5

FLOOR = "import psycopg, connect, SELECT 1"
BARE = "python -c pass"
IMPORT = 'python -c "import roboco_sql"'

_CONNECT_FLOOR = (
    "import sys, psycopg\n"
    "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
    "    c.execute('SELECT 1').fetchone()\n"
)

# the least a Python runner can do for a fresh build: the plan's script as one message, then
# the teardown spared the collector's last walk (gc.freeze), as roboco_sql's own entry does
_SCRIPT_CLIENT = (
    "import gc, sys, psycopg\n"
    "with psycopg.connect(sys.argv[1], autocommit=True) as c:\n"
    "    c.execute(open(sys.argv[2], encoding='utf-8').read())\n"
    "gc.freeze()\n"
)

_SCHEMA = """
SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('public', 'roboco_sql')
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
UNION ALL
SELECT 'extension ' || extname FROM pg_extension
UNION ALL
SELECT 'version ' || version_num FROM alembic_version
"""


def run(ctx: Context) -> list[Figure]:
    _compile_package()
    env = _env()
    figures, head_db = _fresh(ctx, env)
    figures += _noop(ctx, env, head_db)
    figures += _import(ctx, env)
    return figures


def _compile_package() -> None:
    """Byte-compile roboco_sql once, as pip does when it installs a wheel: an editable install
    under PYTHONDONTWRITEBYTECODE (set on this machine) would otherwise compile every module
    in every timed process, which no installed deployment pays (it reads the .pyc files)."""
    package = Path(__file__).resolve().parent.parent / "roboco_sql"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def _env(**extra: str) -> dict[str, str]:
    """This environment without ROBOCO_* settings (the URL goes on the command line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROBOCO_")}
    env.update(extra)
    return env


def _run(cmd: Sequence[str], env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise BenchError(
            f"{' '.join(cmd[:4])} ... exited {proc.returncode}: {proc.stderr.strip()[-600:]}"
        )


def _cli(env: dict[str, str], *args: str) -> Callable[[], None]:
    cmd = [sys.executable, "-m", "roboco_sql", *args]
    return lambda: _run(cmd, env)


def _schema(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(_SCHEMA).fetchall()}


def _commits(log: list[LoggedStatement]) -> int:
    """COMMITs sent, as statements of their own or as lines of a string (the runner ends each
    revision's one string with its COMMIT; the server logs the string as one statement)."""
    return sum(
        1
        for s in log
        for line in s.sql.splitlines()
        if line.strip().rstrip(";").upper() == "COMMIT"
    )


# -- fresh build -----------------------------------------------------------------------------------


def _fresh(ctx: Context, env: dict[str, str]) -> tuple[list[Figure], Database]:
    server = ctx.server
    createdb = str(server.bin("createdb"))
    psql = str(server.bin("psql"))
    names = iter(f"fresh_{n}" for n in range(1, 1000))
    made: list[str] = []

    def new_name() -> str:
        name = next(names)
        made.append(name)
        return name

    def create(name: str) -> None:
        _run([createdb, f"--maintenance-db={server.admin_url}", name], env)

    # the exact script plan prints for an empty database, once, untimed
    empty = ctx.new_database("planned")
    proc = subprocess.run(
        [sys.executable, "-m", "roboco_sql", "plan", "--database-url", empty.url],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise BenchError(f"plan failed ({proc.returncode}): {proc.stderr.strip()[-600:]}")
    script = ctx.tmp / "plan.sql"
    script.write_text(proc.stdout)
    ctx.drop_database(empty)

    def floor(name: str) -> None:
        create(name)
        _run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), "-d", server.url(name)],
            env,
        )

    def client(name: str) -> None:
        create(name)
        _run([sys.executable, "-c", _SCRIPT_CLIENT, server.url(name), str(script)], env)

    def runner(name: str) -> None:
        create(name)
        _run(
            [sys.executable, "-m", "roboco_sql", "migrate", "--database-url", server.url(name)], env
        )

    # once each with the statement log on (the log setting is per database, so create first)
    floor_db, runner_db = ctx.new_database("floorcheck"), ctx.new_database("runnercheck")
    with server.statement_log(floor_db.name) as floor_log:
        _run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), "-d", floor_db.url], env
        )
    with server.statement_log(runner_db.name) as runner_log:
        _cli(env, "migrate", "--database-url", runner_db.url)()
    floor_schema, runner_schema = _schema(floor_db.url), _schema(runner_db.url)
    ctx.drop_database(floor_db)
    if floor_schema != runner_schema:
        raise BenchError(
            "the plan script and migrate built different catalogs: only in the script "
            f"{sorted(floor_schema - runner_schema)[:10]}, only from migrate "
            f"{sorted(runner_schema - floor_schema)[:10]}"
        )

    try:
        samples = ctx.compare(
            {"floor": floor, "client": client, "runner": runner},
            runs=ctx.runs(FRESH_RUNS),
            warmup=1,
            setup=new_name,
        )
    finally:
        for name in made:
            server.drop_database(name)
    revisions = sum(1 for r in runner_schema if r.startswith("version "))
    ctx.note(
        "fresh",
        {
            "floor": "createdb --maintenance-db=URL NAME && psql -X -q -v ON_ERROR_STOP=1 "
            "-f plan.sql -d URL (plan.sql: `python -m roboco_sql plan` on an empty database)",
            "client": f"createdb --maintenance-db=URL NAME && python -c {_SCRIPT_CLIENT!r} URL "
            "plan.sql",
            "runner": "createdb --maintenance-db=URL NAME && python -m roboco_sql migrate "
            "--database-url URL (no ROBOCO_* settings: pgvector, default additions)",
            "plan_script": {
                "bytes": len(proc.stdout),
                "lines": proc.stdout.count("\n"),
                "summary": proc.stderr.strip().splitlines()[-1:],
            },
            "catalogs_match": True,
            "alembic_version_rows": revisions,
            "statements_sent": {"floor": len(floor_log), "runner": len(runner_log)},
            "commits": {"floor": _commits(floor_log), "runner": _commits(runner_log)},
            "runner_statements_not_in_floor": _top(_shapes(runner_log) - _shapes(floor_log)),
            "floor_statements_not_in_runner": _top(_shapes(floor_log) - _shapes(runner_log)),
        },
    )
    name = "fresh build, createdb + whole chain"
    client_name = f"{name}: createdb + python client sending <plan> as one message"
    figures = [
        samples["floor"].figure(f"{name}: createdb + psql -f <plan>"),
        samples["client"].figure(
            client_name,
            baseline=f"{name}: createdb + psql -f <plan>",
            note="the floor of any Python runner (its interpreter and psycopg), against psql",
        ),
        samples["runner"].figure(
            f"{name}: createdb + python -m roboco_sql migrate",
            baseline=f"{name}: createdb + psql -f <plan>",
            target=Target("<=", FRESH_TARGET, on="ratio"),
        ),
        samples["runner"].figure(
            f"{name}: createdb + python -m roboco_sql migrate, against the Python client",
            baseline=client_name,
            target=Target("<=", CLIENT_TARGET, on="ratio"),
            note="the same runs as the figure above",
        ),
    ]
    return figures, runner_db


def _shapes(log: list[LoggedStatement]) -> Counter[str]:
    return Counter(s.short.rstrip(";").strip() for s in log)


def _top(counter: Counter[str], n: int = 12) -> dict[str, int]:
    return dict(counter.most_common(n))


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


def _noop(ctx: Context, env: dict[str, str], head: Database) -> list[Figure]:
    floor_cmd = [sys.executable, "-c", _CONNECT_FLOOR, head.url]
    real = "python -m roboco_sql migrate at head"
    cases: dict[str, Callable[[], None]] = {
        FLOOR: lambda: _run(floor_cmd, env),
        real: _cli(env, "migrate", "--database-url", head.url),
    }
    logs: dict[str, list[LoggedStatement]] = {}
    with ctx.server.statement_log(head.name) as log:
        cases[real]()
    logs["real chain"] = log

    synthetic_env = _env(ROBOCO_DATABASE_ADDITIONS="none")
    for n in SYNTHETIC:
        directory = synthetic_chain(ctx.tmp / f"chain_{n}", n)
        db = ctx.new_database(f"noop{n}")
        args = ("migrate", "--migrations-dir", str(directory), "--database-url", db.url)
        _cli(synthetic_env, *args)()  # build, untimed
        with ctx.server.statement_log(db.name) as log:
            _cli(synthetic_env, *args)()
        logs[f"{n} revisions"] = log
        if n == SYNTHETIC[-1]:
            cases[f"python -m roboco_sql migrate at head, {n} synthetic revisions"] = _cli(
                synthetic_env, *args
            )

    samples = ctx.compare(cases, runs=ctx.runs(NOOP_RUNS), warmup=2)
    figures = [
        samples.pop(FLOOR).figure(
            f"no-op floor: {FLOOR}", note="a whole process: python -c, psycopg, one query"
        )
    ]
    for label, sample in samples.items():
        figures.append(
            sample.figure(
                f"no-op: {label}",
                baseline=f"no-op floor: {FLOOR}",
                target=Target("<=", NOOP_TARGET, on="ratio") if label == real else None,
            )
        )
    small, large = (f"{n} revisions" for n in SYNTHETIC)
    figures += [
        Figure(
            "no-op statements sent: real chain, pgvector present",
            len(logs["real chain"]),
            "statements",
            note="; ".join(s.short for s in logs["real chain"]),
        ),
        Figure(f"no-op statements sent: {small}", len(logs[small]), "statements"),
        Figure(
            f"no-op statements sent: {large}",
            len(logs[large]),
            "statements",
            baseline=f"no-op statements sent: {small}",
            target=Target("==", 1.0, on="ratio"),
        ),
    ]
    ctx.note(
        "noop",
        {
            "floor": f"python -c {_CONNECT_FLOOR!r} URL",
            "runner": "python -m roboco_sql migrate --database-url URL on a database at head "
            "(pgvector installed by the build)",
            "synthetic": "--migrations-dir <n one-table files>, ROBOCO_DATABASE_ADDITIONS=none",
            "statement_count_method": "server log, log_statement=all on the measured database "
            "only, during one extra untimed process: one entry per simple-protocol Query or "
            "extended-protocol Execute, BEGIN/COMMIT included",
            "statements": {label: [s.short for s in log] for label, log in logs.items()},
        },
    )
    return figures


# -- import ----------------------------------------------------------------------------------------


def _import(ctx: Context, env: dict[str, str]) -> list[Figure]:
    bare = [sys.executable, "-c", "pass"]
    lib = [sys.executable, "-c", "import roboco_sql"]
    samples = ctx.compare(
        {BARE: lambda: _run(bare, env), IMPORT: lambda: _run(lib, env)},
        runs=ctx.runs(IMPORT_RUNS),
        warmup=2,
    )
    modules = subprocess.run(
        [sys.executable, "-c", "import sys, roboco_sql; print(len(sys.modules))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    ctx.note("import", {"modules_loaded_by_import_roboco_sql": int(modules)})
    return [
        samples[BARE].figure(f"import: {BARE}"),
        samples[IMPORT].figure(f"import: {IMPORT}", baseline=f"import: {BARE}"),
    ]
