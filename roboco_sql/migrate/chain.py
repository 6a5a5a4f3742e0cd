"""Reading and validating the chain of migration files, with no database involved.

A file is plain SQL behind a few header comments:

    -- revision: 016_add_products_product_id
    -- down_revision: 015_drop_task_execution_outputs
    -- transaction: none        (optional; default per-file)
    -- lock_timeout: 10s        (optional; default 5s)
    -- supersedes: <sha256>, ... (optional: checksums of earlier versions of this file that
                                 an applied database may have recorded; accepted, re-recorded)
    <the up SQL>

    -- down
    -- irreversible: <reason>    (optional: going back loses data; refused without a flag)
    <the down SQL: the reverse, run when the operator goes back past this revision>

The checksum covers the up part only (the text before the `-- down` line, without the blank
lines directly above it), so appending a down section never changes a recorded checksum.

The chain is strictly linear: one base, one head, every parent present, no fork, no cycle,
and the files sort by name in chain order.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib.resources import files
from pathlib import Path

from roboco_sql import sqllex
from roboco_sql.errors import ChainError
from roboco_sql.migrate.additions import Addition
from roboco_sql.migrate.additions import load as load_additions

MAX_ID = 32
DEFAULT_LOCK_TIMEOUT = "5s"

_ID = re.compile(r"[a-z0-9_]+")
_HEADER = re.compile(r"--\s*(revision|down_revision|transaction|lock_timeout|supersedes)\s*:(.*)$")
_CHECKSUM = re.compile(r"[0-9a-f]{64}")
_TIMEOUT = re.compile(r"\d+\s*(ms|s|min|h)?")
_TX_CONTROL = {
    ("BEGIN",),
    ("START", "TRANSACTION"),
    ("COMMIT",),
    ("ROLLBACK",),
    ("END",),
    ("ABORT",),
    ("SAVEPOINT",),
    ("RELEASE",),
    ("PREPARE", "TRANSACTION"),
}
_NAMED_INDEX = re.compile(
    r"CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(IF\s+NOT\s+EXISTS\s+)?(?!ON\b)\S", re.I
)
_DETACH_CONCURRENTLY = re.compile(r"\bDETACH\s+PARTITION\b.*\bCONCURRENTLY\b", re.I | re.S)
DOWN_MARKER = "-- down"
_IRREVERSIBLE = re.compile(r"--\s*irreversible\s*:(.*)$")


def default_dir() -> Path:
    """The chain shipped inside the package (works from a wheel as from the repo)."""
    return Path(str(files("roboco_sql").joinpath("sql", "migrations")))


def normalize(raw: bytes) -> bytes:
    """Content as checksummed: BOM stripped, CRLF folded to LF, so checkouts agree."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.replace(b"\r\n", b"\n")


def autocommit_only(stmt: sqllex.Statement) -> str | None:
    """Why a statement cannot run inside a transaction block, or None if it can."""
    w = stmt.words
    if stmt.startswith("CREATE", "INDEX", "CONCURRENTLY") or stmt.startswith(
        "CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"
    ):
        return "CREATE INDEX CONCURRENTLY"
    if stmt.startswith("DROP", "INDEX", "CONCURRENTLY"):
        return "DROP INDEX CONCURRENTLY"
    if w[:1] == ("REINDEX",) and (
        kinds := [k for k in ("CONCURRENTLY", "SCHEMA", "DATABASE", "SYSTEM") if k in w]
    ):
        return "REINDEX " + kinds[0]
    for words in (
        ("VACUUM",),
        ("CREATE", "DATABASE"),
        ("DROP", "DATABASE"),
        ("ALTER", "SYSTEM"),
        ("CREATE", "TABLESPACE"),
        ("DROP", "TABLESPACE"),
        ("CREATE", "SUBSCRIPTION"),
        ("DROP", "SUBSCRIPTION"),
        ("DISCARD", "ALL"),
    ):
        if stmt.startswith(*words):
            return " ".join(words)
    if w[:1] == ("CLUSTER",) and set(w[1:]) <= {"VERBOSE", "(", ")"}:
        return "CLUSTER without a table"
    if stmt.startswith("ALTER", "DATABASE") and "TABLESPACE" in w:
        return "ALTER DATABASE ... SET TABLESPACE"
    if stmt.startswith("ALTER", "TABLE") and _DETACH_CONCURRENTLY.search(stmt.text):
        return "DETACH PARTITION CONCURRENTLY"
    return None


def resume_unsafe(stmt: sqllex.Statement, why: str) -> str | None:
    """Why a statement that commits on its own (`why`, from autocommit_only) could not be
    re-run after a crash between it and its progress row; None when it can.

    Everything else in a `transaction: none` file commits together with its progress row.
    """
    w = stmt.words
    if why.startswith("CREATE INDEX CONCURRENTLY"):
        if _NAMED_INDEX.match(stmt.text):
            return None  # named: the runner finds a finished build by its name
        return "an unnamed CREATE INDEX CONCURRENTLY would be built twice after a crash; name it"
    if why in ("CREATE DATABASE", "CREATE TABLESPACE", "CREATE SUBSCRIPTION"):
        return f"{why} cannot be re-run after a crash; do it outside the chain"
    if why.startswith("DROP") and w[2:4] != ("IF", "EXISTS") and w[3:5] != ("IF", "EXISTS"):
        return f"write {why} IF EXISTS, so a re-run after a crash does not fail"
    if why == "DETACH PARTITION CONCURRENTLY":
        return "a DETACH PARTITION CONCURRENTLY cut short must be finished with FINALIZE"
    return None  # REINDEX, VACUUM, CLUSTER, ALTER SYSTEM, DISCARD: the same when repeated


def transaction_control(stmt: sqllex.Statement) -> bool:
    return any(stmt.startswith(*words) for words in _TX_CONTROL)


def meta_command(text: str, base: int = 0) -> int | None:
    """Offset of the first psql meta-command (a backslash outside strings and comments), if
    any: the runner sends plain SQL to the server, which knows no `\\set` or `\\i`."""
    if "\\" not in text:  # most files hold no backslash at all: no second pass of the lexer
        return None
    for tok in sqllex.tokenize(text):
        if tok.kind is sqllex.Kind.OTHER and tok.text.startswith("\\"):
            return base + tok.start
    return None


@dataclass(frozen=True)
class Sections:
    """Where a file's up part ends and its down section starts (see the module docstring)."""

    up_end: int  # offset just past the up part (its trailing blank lines excluded)
    down_start: int | None  # offset of the first character after the `-- down` line
    irreversible: str | None  # the reason given by `-- irreversible:`, if any
    irreversible_line: int = 0  # its line (0: none), for problems


def sections(text: str) -> Sections:
    """Split a file's text at its `-- down` line (the first line that is exactly that)."""
    offset = 0
    marker: int | None = None
    for line in text.split("\n"):
        if line.rstrip() == DOWN_MARKER:
            marker = offset
            break
        offset += len(line) + 1
    if marker is None:
        return Sections(len(text), None, None)
    up = text[:marker].split("\n")  # ends with "" (the marker's line start)
    while len(up) > 1 and not up[-2].strip():
        up.pop(-2)
    up_end = len("\n".join(up))
    down_start = min(len(text), marker + len(text[marker:].split("\n", 1)[0]) + 1)
    reason: str | None = None
    reason_line = 0
    line_no = text.count("\n", 0, down_start) + 1
    for line in text[down_start:].split("\n"):
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        if match := _IRREVERSIBLE.match(stripped):
            reason, reason_line = match.group(1).strip(), line_no
            break
        line_no += 1
    return Sections(up_end, down_start, reason, reason_line)


def _shifted(statements: list[sqllex.Statement], base: int) -> list[sqllex.Statement]:
    return [sqllex.Statement(s.text, s.start + base, s.words) for s in statements]


@dataclass(frozen=True)
class Migration:
    revision: str
    down_revision: str | None
    path: Path
    text: str = field(repr=False)
    checksum: str
    transactional: bool = True
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT
    revision_line: int = field(default=1, repr=False, compare=False)
    down_line: int = field(default=1, repr=False, compare=False)
    # earlier versions of this file shipped with the chain (an edit made upstream, as RoboCo
    # edited its 030/031 in place): a database that recorded one of these is not "edited"
    supersedes: tuple[str, ...] = ()
    # the down section (offsets into text; None: the file has none), and why going back past
    # this revision loses data (None: it does not)
    up_end: int | None = field(default=None, repr=False)
    down_start: int | None = field(default=None, repr=False)
    irreversible: str | None = None
    # True for the object reverse() returns: its statements are the down section's
    going_down: bool = False

    def shipped(self, checksum: str) -> bool:
        """Whether a recorded checksum is this file's, now or in an earlier shipped version."""
        return checksum == self.checksum or checksum in self.supersedes

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        """How messages name this part: the revision, or its down section."""
        return f"the down section of {self.revision}" if self.going_down else self.revision

    @property
    def has_down(self) -> bool:
        return self.down_start is not None

    @property
    def span(self) -> tuple[int, int]:
        """The offsets of the part this object runs: the up part, or the down section."""
        if self.going_down:
            assert self.down_start is not None
            return self.down_start, len(self.text)
        return 0, len(self.text) if self.up_end is None else self.up_end

    @property
    def body(self) -> str:
        start, end = self.span
        return self.text[start:end]

    def reverse(self) -> Migration:
        """This revision's down section, as a file of its own (same name, same positions)."""
        if self.down_start is None:
            raise ChainError([f"{self.name}:1: {self.revision} has no down section"])
        return replace(self, going_down=True)

    @cached_property
    def statements(self) -> list[sqllex.Statement]:
        """The statements of this part, with offsets into the whole file."""
        start, _end = self.span
        return _shifted(sqllex.split(self.body), start)

    def where(self, offset: int) -> str:
        """file:line:column of a character offset in the file."""
        line, col = sqllex.line_col(self.text, offset)
        return f"{self.name}:{line}:{col}"


@dataclass(frozen=True)
class Chain:
    """The validated chain, oldest first."""

    migrations: tuple[Migration, ...]
    directory: Path
    additions: tuple[Addition, ...] = ()  # ours, applied after the chain (additions.py)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {m.revision: i for i, m in enumerate(self.migrations)}

    def __iter__(self) -> Iterator[Migration]:
        return iter(self.migrations)

    def __len__(self) -> int:
        return len(self.migrations)

    def __contains__(self, revision: object) -> bool:
        return revision in self._index

    def __getitem__(self, revision: str) -> Migration:
        return self.migrations[self._index[revision]]

    @property
    def head(self) -> str | None:
        return self.migrations[-1].revision if self.migrations else None

    def position(self, revision: str | None) -> int:
        """0-based index of a revision; -1 for "nothing applied"."""
        return -1 if revision is None else self._index[revision]

    def back(self, current: str | None, target: str | None) -> list[Migration]:
        """The revisions to go back past, newest first: current down to (not including)
        target; target None is the base (before the first revision)."""
        end = self.position(current) + 1
        return list(reversed(self.migrations[self.position(target) + 1 : end]))

    def between(self, current: str | None, target: str | None) -> list[Migration]:
        """The revisions after current, up to and including target (default: head)."""
        end = len(self.migrations) if target is None else self._index[target] + 1
        return list(self.migrations[self.position(current) + 1 : end])


def _read(path: Path, problems: list[str], deep: bool = True) -> Migration | None:
    raw = normalize(path.read_bytes())
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        problems.append(f"{path.name}:{bad_line}: not valid UTF-8")
        return None
    headers: dict[str, tuple[str, int]] = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            break
        match = _HEADER.match(stripped)
        if match:
            key, value = match.group(1), match.group(2).strip()
            if key in headers:
                problems.append(f"{path.name}:{lineno}: header '{key}' given twice")
            headers[key] = (value, lineno)
    count = len(problems)
    revision, rev_line = headers.get("revision", ("", 1))
    if "revision" not in headers:
        problems.append(f"{path.name}:1: missing '-- revision:' header")
    elif not revision:
        problems.append(f"{path.name}:{rev_line}: empty revision id")
    elif len(revision) > MAX_ID:
        problems.append(
            f"{path.name}:{rev_line}: revision id '{revision}' is {len(revision)} "
            f"characters; the version column holds at most {MAX_ID}"
        )
    elif not _ID.fullmatch(revision):
        problems.append(
            f"{path.name}:{rev_line}: revision id '{revision}' may use only a-z, 0-9 and _"
        )
    if "down_revision" not in headers:
        problems.append(
            f"{path.name}:1: missing '-- down_revision:' header (leave it empty for the base)"
        )
    down, down_line = headers.get("down_revision", ("", 1))
    if down and not _ID.fullmatch(down):
        problems.append(f"{path.name}:{down_line}: down_revision '{down}' is not a valid id")
    mode, mode_line = headers.get("transaction", ("per-file", 1))
    if mode not in ("per-file", "none"):
        problems.append(
            f"{path.name}:{mode_line}: transaction must be 'per-file' or 'none', got '{mode}'"
        )
    timeout, timeout_line = headers.get("lock_timeout", (DEFAULT_LOCK_TIMEOUT, 1))
    if not _TIMEOUT.fullmatch(timeout):
        problems.append(
            f"{path.name}:{timeout_line}: lock_timeout '{timeout}' is not a "
            "duration like 5s, 500ms or 1min"
        )
    older, older_line = headers.get("supersedes", ("", 1))
    supersedes = tuple(part.strip() for part in older.split(",") if part.strip())
    if any(not _CHECKSUM.fullmatch(c) for c in supersedes):
        problems.append(
            f"{path.name}:{older_line}: supersedes takes sha256 checksums (64 hex digits)"
        )
    parts = sections(text)
    if parts.irreversible == "":
        problems.append(
            f"{path.name}:{parts.irreversible_line}: '-- irreversible:' must say what is lost"
        )
    migration = Migration(
        revision=revision,
        down_revision=down or None,
        path=path,
        text=text,
        checksum=checksum_of(text, parts),
        transactional=mode != "none",
        lock_timeout=timeout,
        revision_line=rev_line,
        down_line=down_line,
        supersedes=supersedes,
        up_end=parts.up_end,
        down_start=parts.down_start,
        irreversible=parts.irreversible or None,
    )
    if deep:
        problems += statement_problems(migration)
    return migration if len(problems) == count else None


def statement_problems(migration: Migration, *, up: bool = True, down: bool = True) -> list[str]:
    """What is wrong inside a file's SQL: it does not lex, holds a psql meta-command or
    transaction control, or runs outside a transaction where it may not.

    This is the one costly check (the lexer reads every byte), so loading a chain can leave it
    to the runner, which makes it for the steps it is about to run before running any: a
    no-op never reads the SQL of the revisions it already has.
    """
    problems: list[str] = []
    statements = _checked_statements(migration, problems) if up else []
    for stmt in statements or ():
        if transaction_control(stmt):
            problems.append(
                f"{migration.where(stmt.start)}: {stmt.words[0]} is not allowed; "
                "the runner owns the transactions"
            )
        elif why := autocommit_only(stmt):
            if migration.transactional:
                problems.append(
                    f"{migration.where(stmt.start)}: {why} cannot run inside a "
                    "transaction; put it in a file marked '-- transaction: none'"
                )
            elif unsafe := resume_unsafe(stmt, why):
                problems.append(f"{migration.where(stmt.start)}: {unsafe}")
    if down and migration.has_down and (up is False or statements is not None):
        _check_down(migration.reverse(), problems)
    return problems


def require_sound(steps: Iterable[Migration], *, going_back: bool = False) -> None:
    """ChainError listing the statement problems of the steps about to run (their up parts,
    or their down sections when going back), before any of them runs."""
    problems = [p for m in steps for p in statement_problems(m, up=not going_back, down=going_back)]
    if problems:
        raise ChainError(problems)


def checksum_of(text: str, parts: Sections) -> str:
    """sha256 of the up part (the whole file when it has no down section)."""
    return hashlib.sha256(text[: parts.up_end].encode("utf-8")).hexdigest()


def _checked_statements(m: Migration, problems: list[str]) -> list[sqllex.Statement] | None:
    """m's statements, or None with a problem when the part does not lex or holds a psql
    meta-command."""
    start, _end = m.span
    try:
        statements = m.statements
    except sqllex.LexError as exc:
        problems.append(f"{m.where(start + exc.start)}: {exc}")
        return None
    if (at := meta_command(m.body, start)) is not None:
        problems.append(
            f"{m.where(at)}: a psql meta-command is not allowed; the runner sends plain SQL"
        )
        return None
    return statements


def _check_down(down: Migration, problems: list[str]) -> None:
    """A down section runs in one transaction with its bookkeeping: no transaction control,
    nothing that must run outside a transaction, and something to say if it does nothing."""
    statements = _checked_statements(down, problems)
    if statements is None:
        return
    if not statements and not any(line.strip().startswith("--") for line in down.body.split("\n")):
        problems.append(
            f"{down.name}:{down.text.count(chr(10), 0, down.span[0] - 1) + 1}:1: empty down "
            "section; when nothing is to be undone, "
            "say why in a comment"
        )
    for stmt in statements:
        if transaction_control(stmt):
            problems.append(
                f"{down.where(stmt.start)}: {stmt.words[0]} is not allowed in a down section; "
                "the runner owns the transactions"
            )
        elif why := autocommit_only(stmt):
            problems.append(
                f"{down.where(stmt.start)}: {why} cannot run inside a transaction, and a down "
                "section runs in one"
            )


def validate(directory: Path, *, deep: bool = True) -> tuple[Chain | None, list[str]]:
    """Every problem of a chain directory (file:line: message), and the chain if none; not
    deep: the headers, the chain's shape and the checksums only (see statement_problems)."""
    problems: list[str] = []
    if not directory.is_dir():
        return None, [f"{directory}: no such migrations directory"]
    paths = sorted(p for p in directory.iterdir() if p.suffix == ".sql" and p.is_file())
    read = [m for p in paths if (m := _read(p, problems, deep)) is not None]
    if len(read) != len(paths):
        return None, problems
    if not read:
        return Chain((), directory), []

    by_id: dict[str, Migration] = {}
    for m in read:
        if m.revision in by_id:
            problems.append(
                f"{m.name}:{m.revision_line}: revision '{m.revision}' is also declared by "
                f"{by_id[m.revision].name}"
            )
        else:
            by_id[m.revision] = m
    children: dict[str | None, list[Migration]] = {}
    for m in by_id.values():
        children.setdefault(m.down_revision, []).append(m)
        if m.down_revision is not None and m.down_revision not in by_id:
            problems.append(
                f"{m.name}:{m.down_line}: down_revision '{m.down_revision}' names no revision "
                "in this chain"
            )
    bases = children.get(None, [])
    if not bases:
        problems.append(
            f"{read[0].name}:{read[0].down_line}: no base revision "
            "(a file with an empty down_revision)"
        )
    elif len(bases) > 1:
        problems.append(
            f"{bases[1].name}:{bases[1].down_line}: {len(bases)} base revisions: "
            + ", ".join(m.name for m in bases)
        )
    for parent, kids in children.items():
        if parent is not None and len(kids) > 1:
            problems.append(
                f"{kids[1].name}:{kids[1].down_line}: fork: "
                f"{', '.join(k.name for k in kids)} all follow '{parent}'"
            )
    if problems:
        return None, problems

    order: list[Migration] = []
    current: Migration | None = bases[0]
    while current is not None:
        order.append(current)
        kids = children.get(current.revision, [])
        current = kids[0] if kids else None
    if len(order) != len(by_id):
        stray = sorted(set(by_id) - {m.revision for m in order})
        first = min((by_id[r] for r in stray), key=lambda m: m.name)
        problems.append(
            f"{first.name}:{first.down_line}: cycle: {', '.join(stray)} cannot be reached "
            "from the base"
        )
        return None, problems
    for position, (by_name, by_chain) in enumerate(zip(read, order, strict=True)):
        if by_name is not by_chain:
            problems.append(
                f"{by_name.name}:1: file order differs from chain order: "
                f"position {position + 1} in the chain is {by_chain.name}"
            )
            break
    if problems:
        return None, problems
    return Chain(tuple(order), directory), []


# Every file of a chain must have a down section (`check` reports one without): on since
# all 94 of RoboCo's revisions have theirs (issue 23).
DOWN_REQUIRED = True


def missing_downs(chain: Chain) -> list[str]:
    """`check`'s problems for files without a down section (none while not DOWN_REQUIRED)."""
    if not DOWN_REQUIRED:
        return []
    return [
        f"{m.name}:1: no down section (a '-- down' line, then the SQL that undoes the file)"
        for m in chain
        if not m.has_down
    ] + [f"{a.path.name}:1: no down section" for a in chain.additions if a.down_start is None]


def load_chain(
    directory: Path | None = None, additions_dir: Path | None = None, *, deep: bool = True
) -> Chain:
    """The validated chain, or ChainError listing every problem.

    The shipped chain comes with the shipped additions; another directory has none unless
    additions_dir names them. Not deep: the files' SQL is checked by the runner for the steps
    it runs (require_sound), not here.
    """
    chain, problems = validate(directory or default_dir(), deep=deep)
    if chain is None:
        raise ChainError(problems)
    if directory is None or additions_dir is not None:
        revisions = {m.revision for m in chain}
        chain = replace(chain, additions=load_additions(additions_dir, revisions))
    return chain
