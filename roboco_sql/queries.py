"""Named SQL queries: sql/queries/*.sql loaded once, compiled to $n, run on raw cursors.

A file is a run of blocks:

    -- name: get_task :one
    -- Fetch one task by id.          (optional docstring lines)
    SELECT ... FROM tasks WHERE id = :id;

A table's row, written once in ``columns/<table>.sql`` (the task row's 72 columns, ...), is
included as ``{{table}}``, or ``{{t.table}}`` with every column qualified by alias t; the list
is put on the line of the include, so file:line of everything after it stays true. A statement
run on several tables (keys.py's per-column queries) is written once in ``templates/`` and
rendered per table with ``render``.

The loader is deliberately dumb (lexer -> blocks -> compiler); mapping rows to models is the
caller's row factory's job. Statements go through psycopg's raw cursor, which takes $n
placeholders natively, so `%` and `::type` casts need no escaping.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection, AsyncRawCursor
from psycopg.pq import TransactionStatus
from psycopg.rows import AsyncRowFactory, tuple_row

from roboco_sql import sqllex
from roboco_sql.errors import ConfigError, RobocoSQLError, ValidationError
from roboco_sql.sqllex import Kind as Tok
from roboco_sql.validate import check_params

__all__ = [
    "Queries",
    "Query",
    "QueryFileError",
    "QueryKind",
    "atomic",
    "default_dir",
    "execute",
    "execute_many",
    "execute_rows",
    "fetch_all",
    "fetch_one",
    "fetch_scalar",
    "load",
    "parse",
    "render",
]

R = TypeVar("R")
T = TypeVar("T")

_HEADER = re.compile(r"--\s*name\s*:(.*)$")
_INCLUDE = re.compile(r"\{\{\s*(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\s*\}\}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# a statement naming one of these can fail on a constraint (or a lock) after changing nothing
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
_BLANK = (Tok.SPACE, Tok.COMMENT)
_LineOf = Callable[[sqllex.Token], int]


class QueryFileError(RobocoSQLError):
    """A query file is malformed; raised at load, before any query runs."""

    def __init__(self, file: str, line: int, message: str) -> None:
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {message}")


class QueryKind(StrEnum):
    """What a query returns; each kind has exactly one helper that runs it."""

    ONE = "one"
    MANY = "many"
    SCALAR = "scalar"
    EXEC = "exec"
    EXECROWS = "execrows"


_HELPER = {
    QueryKind.ONE: "fetch_one",
    QueryKind.MANY: "fetch_all",
    QueryKind.SCALAR: "fetch_scalar",
    QueryKind.EXEC: "execute",
    QueryKind.EXECROWS: "execute_rows",
}
_KINDS = " ".join(f":{k}" for k in QueryKind)


@dataclass(frozen=True, slots=True)
class Query:
    """One compiled statement: `sql` has $n placeholders, `params` their names in order."""

    name: str
    kind: QueryKind
    sql: str
    params: tuple[str, ...]
    doc: str = ""
    file: str = ""
    line: int = 0
    writes: bool = False

    @property
    def label(self) -> str:
        """file.sql:name, as in the statement's leading comment and in error messages."""
        return f"{self.file}:{self.name}"

    @property
    def qualname(self) -> str:
        """file_stem.name, the key Queries also accepts."""
        return f"{self.file.removesuffix('.sql')}.{self.name}"

    def args(
        self, values: Mapping[str, object] | None = None, /, **kwargs: object
    ) -> tuple[object, ...]:
        """Positional values for $1..$n; names only in errors, never values (they may be tokens)."""
        given = dict(values) if values is not None else {}
        twice = sorted(given.keys() & kwargs.keys())
        given.update(kwargs)
        missing = [p for p in self.params if p not in given]
        extra = sorted(given.keys() - set(self.params))
        if missing or extra or twice:
            problems = []
            if missing:
                problems.append("missing " + ", ".join(f":{p}" for p in missing))
            if extra:
                problems.append("unexpected " + ", ".join(f":{p}" for p in extra))
            if twice:
                problems.append("given twice " + ", ".join(f":{p}" for p in twice))
            expects = ", ".join(f":{p}" for p in self.params) or "no parameters"
            raise ValidationError(f"{self.label}: {'; '.join(problems)} (expects {expects})")
        bound = tuple(given[p] for p in self.params)
        check_params(self.label, self.params, bound)  # NUL, surrogates, int8, JSON depth/size
        return bound


class Queries(Mapping[str, Query]):
    """Every loaded query by name; "tasks.get_task" and "get_task" both find it."""

    def __init__(self, queries: Iterable[Query] = ()) -> None:
        self._by_name = {q.name: q for q in queries}

    def __getitem__(self, key: str) -> Query:
        stem, dot, name = key.rpartition(".")
        q = self._by_name.get(name)
        if q is None or (dot and q.file != f"{stem}.sql"):
            raise KeyError(key)
        return q

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"<Queries: {len(self)} queries>"


# -- loading -----------------------------------------------------------------------------------


def default_dir() -> Path:
    """The queries shipped inside the package (works from a wheel as from the repo)."""
    return Path(str(files("roboco_sql").joinpath("sql", "queries")))


_cache: dict[Path, Queries] = {}


def load(directory: Path | str | None = None) -> Queries:
    """All *.sql files of a directory, parsed and compiled once per process.

    Query names are unique across files so repos can ask for a bare name.
    """
    path = Path(directory) if directory is not None else default_dir()
    key = path.resolve()
    cached = _cache.get(key)
    if cached is not None:
        return cached
    if not path.is_dir():
        raise ConfigError(f"query directory {path} does not exist")
    seen: dict[str, Query] = {}
    lists = column_lists(path / "columns")
    for file in sorted(path.glob("*.sql")):
        stem = file.name.removesuffix(".sql")
        if not _IDENT.fullmatch(stem):
            raise QueryFileError(
                file.name, 1, "file name must be an identifier (it prefixes names)"
            )
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            line = exc.object.count(b"\n", 0, exc.start) + 1
            raise QueryFileError(file.name, line, "not UTF-8 text") from None
        for q in parse(include(text, file.name, lists), file.name):
            first = seen.get(q.name)
            if first is not None:
                raise QueryFileError(
                    q.file, q.line, f"query {q.name!r} is also defined at {first.file}:{first.line}"
                )
            seen[q.name] = q
    result = _cache[key] = Queries(seen.values())
    return result


def render(template: str, directory: Path | str | None = None, **names: str) -> list[Query]:
    """The queries of templates/<template>, its {placeholders} filled with `names`.

    For one set of statements run on several tables or columns (keys.py's per-column
    queries): the names must be trusted identifiers or SQL of our own, never input.
    """
    path = Path(directory) if directory is not None else default_dir()
    text = (path / "templates" / template).read_text(encoding="utf-8")
    return parse(text.format(**names), template)


def column_lists(directory: Path) -> dict[str, list[str]]:
    """The column lists of columns/*.sql: identifiers separated by commas, comments allowed."""
    lists: dict[str, list[str]] = {}
    if not directory.is_dir():
        return lists
    for file in sorted(directory.glob("*.sql")):
        text = file.read_text(encoding="utf-8")
        words = [t for t in sqllex.tokenize(text) if t.kind not in _BLANK]
        names = [t.text for t in words if t.kind is Tok.WORD]
        commas = [t for t in words if t.text == ","]
        if not names or len(commas) != len(names) - 1 or len(words) != 2 * len(names) - 1:
            raise QueryFileError(f"columns/{file.name}", 1, "not a comma-separated column list")
        lists[file.name.removesuffix(".sql")] = names
    return lists


def include(text: str, file: str, lists: Mapping[str, list[str]]) -> str:
    """Replace each {{name}} / {{alias.name}} by its column list, on the include's line."""

    def expand(match: re.Match[str]) -> str:
        alias, name = match.group(1), match.group(2)
        if name not in lists:
            line = text.count("\n", 0, match.start()) + 1
            raise QueryFileError(file, line, f"no column list {name!r} in columns/")
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + column for column in lists[name])

    return _INCLUDE.sub(expand, text)


def parse(text: str, file: str) -> list[Query]:
    """The queries of one file's text; `file` is the name used in comments and errors."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    try:
        tokens = list(sqllex.tokenize(text))
    except sqllex.LexError as exc:
        line, col = sqllex.line_col(text, exc.start)
        raise QueryFileError(file, line, f"{exc} (column {col})") from None

    def line_of(tok: sqllex.Token) -> int:
        return sqllex.line_col(text, tok.start)[0]

    preamble: list[sqllex.Token] = []
    blocks: list[tuple[sqllex.Token, list[sqllex.Token]]] = []
    body = preamble
    for tok in tokens:
        if tok.kind is Tok.COMMENT and _HEADER.match(tok.text):
            if text[text.rfind("\n", 0, tok.start) + 1 : tok.start].strip():
                raise QueryFileError(file, line_of(tok), "'-- name:' must start its own line")
            body = []
            blocks.append((tok, body))
        else:
            body.append(tok)
    stray = next((t for t in preamble if t.kind not in _BLANK), None)
    if stray is not None:
        raise QueryFileError(file, line_of(stray), "SQL before the first '-- name:' line")

    out: list[Query] = []
    lines: dict[str, int] = {}
    for header, body in blocks:
        line = line_of(header)
        name, kind = _header(header.text, file, line)
        if name in lines:
            raise QueryFileError(
                file, line, f"duplicate query name {name!r} (first at line {lines[name]})"
            )
        lines[name] = line
        doc, stmt = _split_doc(body)
        stmt = _one_statement(stmt, file, name, line_of)
        if not any(t.kind not in _BLANK for t in stmt):
            raise QueryFileError(file, line, f"query {name!r} has no SQL")
        sql, params = _compile(stmt, file, name, text, line_of)
        out.append(
            Query(
                name=name,
                kind=kind,
                sql=f"/* {file}:{name} */\n{sql}",
                params=params,
                doc=doc,
                file=file,
                line=line,
                writes=any(t.kind is Tok.WORD and t.text.upper() in _WRITES for t in stmt),
            )
        )
    return out


def _header(comment: str, file: str, line: int) -> tuple[str, QueryKind]:
    m = _HEADER.match(comment)
    assert m is not None
    parts = m.group(1).split()
    usage = "expected '-- name: <name> :<kind>'"
    if not parts or parts[0].startswith(":"):
        raise QueryFileError(file, line, f"query has no name; {usage}")
    name = parts[0]
    if not _IDENT.fullmatch(name):
        raise QueryFileError(file, line, f"query name {name!r} is not an identifier; {usage}")
    if len(parts) == 1:
        raise QueryFileError(file, line, f"query {name!r} has no kind; expected one of {_KINDS}")
    raw = parts[1]
    try:
        kind = QueryKind(raw.removeprefix(":")) if raw.startswith(":") else None
    except ValueError:
        kind = None
    if kind is None:
        raise QueryFileError(
            file, line, f"query {name!r} has unknown kind {raw!r}; expected one of {_KINDS}"
        )
    if len(parts) > 2:
        raise QueryFileError(file, line, f"unexpected text after the kind: {' '.join(parts[2:])!r}")
    return name, kind


def _split_doc(body: list[sqllex.Token]) -> tuple[str, list[sqllex.Token]]:
    """Leading `--` lines are the docstring; the SQL starts at the first other token."""
    doc: list[str] = []
    i = 0
    while i < len(body) and (
        body[i].kind is Tok.SPACE or (body[i].kind is Tok.COMMENT and body[i].text.startswith("--"))
    ):
        if body[i].kind is Tok.COMMENT:
            line = body[i].text[2:]
            doc.append(line[1:] if line.startswith(" ") else line)
        i += 1
    return "\n".join(doc).strip(), body[i:]


def _one_statement(
    stmt: list[sqllex.Token], file: str, name: str, line_of: _LineOf
) -> list[sqllex.Token]:
    """The tokens before the first `;`, refusing anything but comments after it."""
    semi = next((i for i, t in enumerate(stmt) if t.kind is Tok.SEMI), len(stmt))
    after = next((t for t in stmt[semi:] if t.kind not in (*_BLANK, Tok.SEMI)), None)
    if after is not None:
        raise QueryFileError(file, line_of(after), f"query {name!r} has more than one statement")
    end = semi
    while end > 0 and stmt[end - 1].kind in _BLANK:
        end -= 1
    return stmt[:end]


def _compile(
    stmt: list[sqllex.Token], file: str, name: str, text: str, line_of: _LineOf
) -> tuple[str, tuple[str, ...]]:
    """`:name` -> `$n` (first use numbers it, repeats reuse it); everything else verbatim."""
    numbers: dict[str, int] = {}
    out: list[str] = []
    for i, tok in enumerate(stmt):
        nxt = stmt[i + 1] if i + 1 < len(stmt) else None
        if tok.kind is Tok.PARAM:
            before = text[tok.start - 1] if tok.start > 0 else " "
            if before.isalnum() or before in "_]).\"'$":
                raise QueryFileError(
                    file,
                    line_of(tok),
                    f"{tok.text} directly after {before!r} in query {name!r} reads as an "
                    "array slice; write 'lo : hi' for a slice, or separate the parameter",
                )
            param = tok.text[1:]
            number = numbers.setdefault(param, len(numbers) + 1)
            out.append(f"${number}")
            continue
        if (
            tok.kind is Tok.OTHER
            and tok.text == "$"
            and nxt is not None
            and nxt.start == tok.start + 1
            and nxt.text.isdigit()
        ):
            raise QueryFileError(
                file,
                line_of(tok),
                f"positional ${nxt.text} in query {name!r}; use :name parameters",
            )
        if (
            tok.kind is Tok.OTHER
            and tok.text == ":"
            and nxt is not None
            and nxt.start == tok.start + 1
            and nxt.kind in (Tok.STRING, Tok.IDENT)
        ):
            raise QueryFileError(
                file,
                line_of(tok),
                f"psql variable :{nxt.text} in query {name!r}; use :name parameters",
            )
        out.append(tok.text)
    return "".join(out), tuple(numbers)


# -- running -----------------------------------------------------------------------------------


def _check(q: Query, *kinds: QueryKind) -> None:
    if q.kind not in kinds:
        raise ValidationError(f"{q.label} is a :{q.kind} query; run it with {_HELPER[q.kind]}()")


def _refuse(q: Query, exc: UnicodeEncodeError | psycopg.DataError) -> None:
    """Values psycopg refuses before the server sees them (a NUL, a lone surrogate) are bad
    input, not database failures; errors from the server go on to the caller."""
    if isinstance(exc, UnicodeEncodeError):
        raise ValidationError(f"{q.label}: a text value is not valid Unicode") from None
    if exc.diag.sqlstate is None:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ValidationError(f"{q.label}: {first}") from None
    raise exc


_ATOMIC: ContextVar[AsyncConnection[Any] | None] = ContextVar("roboco_sql_atomic", default=None)


@asynccontextmanager
async def atomic(conn: AsyncConnection[Any]) -> AsyncIterator[None]:
    """A repository function's own all-or-nothing block: `conn.transaction()` (a savepoint
    inside the caller's transaction), inside which statements skip their own savepoint."""
    token = _ATOMIC.set(conn)
    try:
        async with conn.transaction():
            yield
    finally:
        _ATOMIC.reset(token)


async def _execute(cur: AsyncRawCursor[Any], q: Query, args: Sequence[object]) -> None:
    """Run one statement so that its failure never costs the caller their transaction.

    RoboCo's call sites go on after a refused write (a get-or-create race, a duplicate), so a
    failed statement must leave the connection usable with the caller's earlier work intact:
    - in the caller's open transaction, a writing statement runs under a savepoint (two more
      round trips, paid only there);
    - with no transaction open yet, the failed statement's own implicit transaction, which
      holds nothing of the caller's, is rolled back;
    - inside a repository function's own `atomic` block (already a savepoint or its own
      transaction), the block undoes the work, so no second savepoint is taken.
    """
    conn = cur.connection
    status = conn.info.transaction_status
    guard = q.writes and status is TransactionStatus.INTRANS and _ATOMIC.get() is not conn
    try:
        if guard:
            async with conn.transaction():
                await cur.execute(q.sql, args)
        else:
            await cur.execute(q.sql, args)
    except (UnicodeEncodeError, psycopg.Error) as exc:
        if status is TransactionStatus.IDLE and (
            conn.info.transaction_status is TransactionStatus.INERROR
        ):
            await conn.rollback()
        if isinstance(exc, (UnicodeEncodeError, psycopg.DataError)):
            _refuse(q, exc)
        raise


async def fetch_one(
    conn: AsyncConnection[Any], q: Query, row_factory: AsyncRowFactory[R], /, **params: object
) -> R | None:
    """The first row of a :one query as the row factory builds it, or None."""
    _check(q, QueryKind.ONE)
    args = q.args(params)
    async with AsyncRawCursor(conn, row_factory=row_factory) as cur:
        await _execute(cur, q, args)
        return await cur.fetchone()


async def fetch_all(
    conn: AsyncConnection[Any], q: Query, row_factory: AsyncRowFactory[R], /, **params: object
) -> list[R]:
    """Every row of a :many query."""
    _check(q, QueryKind.MANY)
    args = q.args(params)
    async with AsyncRawCursor(conn, row_factory=row_factory) as cur:
        await _execute(cur, q, args)
        return await cur.fetchall()


async def fetch_scalar(
    conn: AsyncConnection[Any], q: Query, type_: type[T], /, **params: object
) -> T | None:
    """The first column of the first row of a :scalar query, checked against `type_`.

    The check keeps the annotation honest: a column whose type drifts (int -> numeric) fails
    here, by name, instead of somewhere downstream.
    """
    _check(q, QueryKind.SCALAR)
    args = q.args(params)
    async with AsyncRawCursor(conn, row_factory=tuple_row) as cur:
        await _execute(cur, q, args)
        row = await cur.fetchone()
    if row is None or row[0] is None:
        return None
    value = row[0]
    if not isinstance(value, type_):
        raise TypeError(f"{q.label} returned {type(value).__name__}, expected {type_.__name__}")
    return value


async def execute(conn: AsyncConnection[Any], q: Query, /, **params: object) -> None:
    """Run an :exec query."""
    _check(q, QueryKind.EXEC)
    args = q.args(params)
    async with AsyncRawCursor(conn) as cur:
        await _execute(cur, q, args)


async def execute_rows(conn: AsyncConnection[Any], q: Query, /, **params: object) -> int:
    """Run an :execrows query; the number of rows it touched."""
    _check(q, QueryKind.EXECROWS)
    args = q.args(params)
    async with AsyncRawCursor(conn) as cur:
        await _execute(cur, q, args)
        return cur.rowcount


async def execute_many(
    conn: AsyncConnection[Any], q: Query, rows: Iterable[Mapping[str, object]], /
) -> int:
    """Run an :exec or :execrows query once per mapping (psycopg pipelines the batch).

    Every mapping is bound before anything runs; the result is the total row count.
    """
    _check(q, QueryKind.EXEC, QueryKind.EXECROWS)
    batch: Sequence[tuple[object, ...]] = [q.args(r) for r in rows]
    if not batch:
        return 0
    async with AsyncRawCursor(conn) as cur:
        try:
            await cur.executemany(q.sql, batch)
        except (UnicodeEncodeError, psycopg.DataError) as exc:
            _refuse(q, exc)
        return cur.rowcount
