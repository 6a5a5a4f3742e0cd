"""A directory of query files -> one :class:`Queries`, with includes and templates.

Each file's ``{{table}}`` column lists and ``{{> name}}`` fragments are expanded first (see
:mod:`roboco_sql._queries.include`). A statement run on several tables (keys.py's per-column
queries) is written once in ``templates/`` and rendered per table with :func:`render`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from roboco_sql._queries.include import (
    column_lists,
    fragments,
    include,
    include_fragments,
    named_fragments,
)
from roboco_sql._queries.parse import IDENT, parse
from roboco_sql._queries.query import Queries, Query, QueryFileError
from roboco_sql.errors import ConfigError


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
    pieces = fragments(path / "fragments")
    for file in sorted(path.glob("*.sql")):
        for q in parse(include(_read(file), file.name, lists, pieces), file.name):
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
    """The queries of templates/<template>, its {{> fragments}} included, then its
    {placeholders} filled with `names` (a fragment may hold placeholders too).

    For one set of statements run on several tables or columns (keys.py's per-column
    queries): the names must be trusted identifiers or SQL of our own, never input.
    """
    path = Path(directory) if directory is not None else default_dir()
    text = (path / "templates" / template).read_text(encoding="utf-8")
    pieces = fragments(path / "fragments", named_fragments(text))
    return parse(include_fragments(text, template, pieces).format(**names), template)
