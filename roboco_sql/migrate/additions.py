"""Our own additions: what roboco_sql adds beside RoboCo's chain, in a layer of its own.

RoboCo owns the revision ids and the object names of its chain. An addition never takes a
revision id (nothing of it is written to ``alembic_version``), its objects are named
``rsql_*`` (a prefix RoboCo's naming convention, pk_/fk_/ix_/uq_/ck_, never produces), and it
is tracked in ``roboco_sql.additions``. So RoboCo's Alembic can take the database back at any
point, and roboco_sql can take back one RoboCo moved on.

A file in ``sql/additions/``:

    -- addition: task_graph_indexes
    -- requires: 044_convention_findings   (the chain revision whose tables it needs)
    -- default: on                         (off: applied only when asked for by name)
    <idempotent SQL>

    -- down
    <what removes it again: run, in one transaction, before the chain goes below `requires`>

Additions are applied after the chain, each in one transaction, and applied again whenever
the chain has moved since (or the file changed): so each file must be idempotent, and can
give way to what RoboCo adds later (RoboCo's 069 adds ix_tasks_parent_task_id; ours then
drops its own copy).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from pathlib import Path

from roboco_sql import sqllex
from roboco_sql.errors import ChainError

PREFIX = "rsql_"
_NAME = re.compile(r"[a-z0-9_]{1,63}")
_HEADER = re.compile(r"--\s*(addition|requires|default)\s*:(.*)$")

# ROBOCO_DATABASE_ADDITIONS: names of additions, plus these two words
DEFAULT, NONE = "default", "none"


def default_dir() -> Path:
    return Path(str(files("roboco_sql").joinpath("sql", "additions")))


@dataclass(frozen=True)
class Addition:
    name: str
    requires: str
    default_on: bool
    path: Path
    text: str = field(repr=False)  # the whole file
    checksum: str  # of the up part, as for a chain file
    up_end: int | None = field(default=None, repr=False)
    down_start: int | None = field(default=None, repr=False)  # None: no down section

    @property
    def up_text(self) -> str:
        return self.text if self.up_end is None else self.text[: self.up_end]

    @cached_property
    def statements(self) -> list[sqllex.Statement]:
        return sqllex.split(self.up_text)


def _read(path: Path, problems: list[str]) -> Addition | None:
    from roboco_sql.migrate.chain import checksum_of, normalize, sections

    text = normalize(path.read_bytes()).decode("utf-8", errors="replace")
    headers = _headers(text)
    count = len(problems)
    name, requires = headers.get("addition", ""), headers.get("requires", "")
    if not _NAME.fullmatch(name):
        problems.append(f"{path.name}:1: '-- addition:' must name it with a-z, 0-9 and _")
    if not requires:
        problems.append(f"{path.name}:1: '-- requires:' must name the chain revision it needs")
    default = headers.get("default", "on")
    if default not in ("on", "off"):
        problems.append(f"{path.name}:1: '-- default:' must be on or off, got '{default}'")
    parts = sections(text)
    spans = [(0, parts.up_end)]
    if parts.down_start is not None:
        spans.append((parts.down_start, len(text)))
    lexed = all(_part_lexes(path.name, text, start, end, problems) for start, end in spans)
    if not lexed or len(problems) != count:
        return None
    return Addition(
        name,
        requires,
        default == "on",
        path,
        text,
        checksum_of(text, parts),
        parts.up_end,
        parts.down_start,
    )


def _headers(text: str) -> dict[str, str]:
    """The `-- key: value` headers of the comment lines that open the file."""
    headers: dict[str, str] = {}
    for header in text.split("\n"):
        stripped = header.strip()
        if stripped and not stripped.startswith("--"):
            break
        if match := _HEADER.match(stripped):
            headers[match.group(1)] = match.group(2).strip()
    return headers


def _part_lexes(name: str, text: str, start: int, end: int, problems: list[str]) -> bool:
    """The problems of one part (text[start:end], up or down), added to problems; False when
    the part does not lex (nothing after that is checked)."""
    from roboco_sql.migrate.chain import autocommit_only, meta_command, transaction_control

    try:
        statements = sqllex.split(text[start:end])
    except sqllex.LexError as exc:
        line, col = sqllex.line_col(text, start + exc.start)
        problems.append(f"{name}:{line}:{col}: {exc}")
        return False
    if (at := meta_command(text[start:end], start)) is not None:
        line, col = sqllex.line_col(text, at)
        problems.append(f"{name}:{line}:{col}: a psql meta-command is not allowed")
    for stmt in statements:
        line, col = sqllex.line_col(text, start + stmt.start)
        if transaction_control(stmt) or autocommit_only(stmt):
            problems.append(
                f"{name}:{line}:{col}: {' '.join(stmt.words[:3])} is not allowed in "
                "an addition (each part runs in one transaction of the runner's)"
            )
    return True


def load(directory: Path | None, revisions: Collection[str]) -> tuple[Addition, ...]:
    """The additions of a directory, in file order; ChainError lists every problem."""
    directory = directory or default_dir()
    if not directory.is_dir():
        return ()
    problems: list[str] = []
    paths = sorted(p for p in directory.iterdir() if p.suffix == ".sql" and p.is_file())
    read = [a for p in paths if (a := _read(p, problems)) is not None]
    seen: set[str] = set()
    for a in read:
        if a.name in seen:
            problems.append(f"{a.path.name}:1: addition '{a.name}' is declared twice")
        seen.add(a.name)
        if a.requires not in revisions:
            problems.append(f"{a.path.name}:1: requires '{a.requires}', not in the chain")
    if problems:
        raise ChainError(problems)
    return tuple(read)


def selected(
    additions: tuple[Addition, ...], wanted: Collection[str], recorded: Collection[str]
) -> list[Addition]:
    """The additions to keep applied: the default ones (unless `none` is wanted), those
    named, and those a database already has (an addition once applied is maintained)."""
    use_default = NONE not in wanted
    return [
        a
        for a in additions
        if a.name in recorded or a.name in wanted or (a.default_on and use_default)
    ]


def parse_wanted(value: str, known: Collection[str]) -> frozenset[str]:
    """ROBOCO_DATABASE_ADDITIONS as a set; an unknown name is a one-line error."""
    from roboco_sql.errors import ConfigError

    names = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(names - set(known) - {DEFAULT, NONE})
    if unknown:
        raise ConfigError(
            f"ROBOCO_DATABASE_ADDITIONS names no addition {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))} (or default, none)"
        )
    return names or frozenset({DEFAULT})
