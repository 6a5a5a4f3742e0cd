"""Includes: SQL written once in columns/ and fragments/, put into the statements that use it.

A table's row, written once in ``columns/<table>.sql`` (the task row's 72 columns, ...), is
included as ``{{table}}``, or ``{{t.table}}`` with every column qualified by alias t. A piece of
SQL logic several statements share (the locked read of a task's markers, the unmet-dependency
rule, ...) is written once in ``fragments/<name>.sql`` and included as ``{{> name}}``; its
``:params`` are bound like the statement's own, and it may use column lists but no fragment.

Both are put on the line of their include (a fragment folded onto one line, its comments
dropped), so file:line of everything after an include stays true. Templates (see
``load.render``) take fragments only, before their ``{placeholders}`` are filled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from roboco_sql import sqllex
from roboco_sql._queries.parse import BLANK
from roboco_sql._queries.query import QueryFileError
from roboco_sql.sqllex import Kind as Tok

_COLUMNS = re.compile(r"\{\{\s*(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)\s*\}\}")
_FRAGMENT = re.compile(r"\{\{>\s*([A-Za-z_]\w*)\s*\}\}")
_NESTED = re.compile(r"\{\{\s*>")
_QUOTED = (Tok.STRING, Tok.IDENT, Tok.DOLLAR)


def column_lists(directory: Path) -> dict[str, list[str]]:
    """The column lists of columns/*.sql: identifiers (plain or "quoted", as audit_log's
    "timestamp") separated by commas, comments allowed."""
    lists: dict[str, list[str]] = {}
    if not directory.is_dir():
        return lists
    for file in sorted(directory.glob("*.sql")):
        text = file.read_text(encoding="utf-8")
        words = [t for t in sqllex.tokenize(text) if t.kind not in BLANK]
        names = [t.text for t in words if t.kind in (Tok.WORD, Tok.IDENT)]
        commas = [t for t in words if t.text == ","]
        if not names or len(commas) != len(names) - 1 or len(words) != 2 * len(names) - 1:
            raise QueryFileError(f"columns/{file.name}", 1, "not a comma-separated column list")
        lists[file.name.removesuffix(".sql")] = names
    return lists


def fragments(directory: Path, names: Iterable[str] | None = None) -> dict[str, str]:
    """The fragments of fragments/*.sql (only `names`, when given, that exist), each folded
    onto one line for :func:`include`."""
    pieces: dict[str, str] = {}
    if not directory.is_dir():
        return pieces
    wanted = (
        sorted(directory.glob("*.sql"))
        if names is None
        else [directory / f"{name}.sql" for name in sorted(set(names))]
    )
    for file in wanted:
        if file.is_file():
            pieces[file.name.removesuffix(".sql")] = _fold(
                file.read_text(encoding="utf-8"), f"fragments/{file.name}"
            )
    return pieces


def named_fragments(text: str) -> set[str]:
    """The names of the fragments a text includes."""
    return set(_FRAGMENT.findall(text))


def _fold(text: str, file: str) -> str:
    """A fragment's SQL on one line: comments dropped, each run of blanks one space.

    Refused: what cannot be folded (quoted text across lines), what would end or nest the
    including statement (a `;`, a fragment include), and a fragment with no SQL.
    """
    try:
        tokens = list(sqllex.tokenize(text))
    except sqllex.LexError as exc:
        line, col = sqllex.line_col(text, exc.start)
        raise QueryFileError(file, line, f"{exc} (column {col})") from None
    out: list[str] = []
    for tok in tokens:
        line = sqllex.line_col(text, tok.start)[0]
        if tok.kind is Tok.SEMI:
            raise QueryFileError(file, line, "a fragment is part of one statement: no ';'")
        if tok.kind in _QUOTED and "\n" in tok.text:
            raise QueryFileError(file, line, "quoted text across lines cannot be folded")
        if tok.kind is Tok.OTHER and _NESTED.match(text, tok.start):
            raise QueryFileError(file, line, "a fragment cannot include a fragment")
        if tok.kind in BLANK:
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(tok.text)
    folded = "".join(out).strip()
    if not folded:
        raise QueryFileError(file, 1, "fragment has no SQL")
    return folded


def include_fragments(text: str, file: str, pieces: Mapping[str, str]) -> str:
    """Replace each {{> name}} by its folded SQL, on the include's line."""

    def fragment(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in pieces:
            line = text.count("\n", 0, match.start()) + 1
            raise QueryFileError(file, line, f"no fragment {name!r} in fragments/")
        return pieces[name]

    return _FRAGMENT.sub(fragment, text)


def include(
    text: str,
    file: str,
    lists: Mapping[str, list[str]],
    pieces: Mapping[str, str] | None = None,
) -> str:
    """Replace each {{> fragment}} by its folded SQL, then each {{name}} / {{alias.name}} by
    its column list, all on the include's line."""
    expanded = include_fragments(text, file, pieces or {})

    def columns(match: re.Match[str]) -> str:
        alias, name = match.group(1), match.group(2)
        if name not in lists:
            line = expanded.count("\n", 0, match.start()) + 1
            raise QueryFileError(file, line, f"no column list {name!r} in columns/")
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + column for column in lists[name])

    return _COLUMNS.sub(columns, expanded)
