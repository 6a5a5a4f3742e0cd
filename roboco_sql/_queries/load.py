"""A directory of query files -> one :class:`Queries`, with column lists and templates.

A table's row, written once in ``columns/<table>.sql`` (the task row's 72 columns, ...), is
included as ``{{table}}``, or ``{{t.table}}`` with every column qualified by alias t; the list
is put on the line of the include, so file:line of everything after it stays true. A statement
run on several tables (keys.py's per-column queries) is written once in ``templates/`` and
rendered per table with :func:`render`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

from roboco_sql import sqllex
from roboco_sql._queries.parse import BLANK, IDENT, parse
from roboco_sql._queries.query import Queries, Query, QueryFileError
from roboco_sql.errors import ConfigError
from roboco_sql.sqllex import Kind as Tok

_INCLUDE = re.compile(r"\{\{\s*(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\s*\}\}")


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
        for q in parse(include(_read(file), file.name, lists), file.name):
            first = seen.get(q.name)
            if first is not None:
                raise QueryFileError(
                    q.file, q.line, f"query {q.name!r} is also defined at {first.file}:{first.line}"
                )
            seen[q.name] = q
    result = _cache[key] = Queries(seen.values())
    return result


def _read(file: Path) -> str:
    """A query file's text; its stem must be an identifier (it prefixes qualified names)."""
    if not IDENT.fullmatch(file.name.removesuffix(".sql")):
        raise QueryFileError(file.name, 1, "file name must be an identifier (it prefixes names)")
    try:
        return file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise QueryFileError(file.name, line, "not UTF-8 text") from None


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
        words = [t for t in sqllex.tokenize(text) if t.kind not in BLANK]
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
