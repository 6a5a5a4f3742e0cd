"""What pending revisions would destroy: tables dropped with rows, columns dropped with values.

RoboCo's 060 drops five messaging tables and a column, rows and all, and cannot be undone.
Before applying anything, the runner reads every pending file's DROP TABLE and
ALTER TABLE ... DROP COLUMN statements and counts what they would take; if a table with rows
would go, it refuses unless the operator said --allow-data-loss. Statements inside DO blocks
are not read. Counting is one query per object, and
only objects that exist are counted (a DROP ... IF EXISTS of nothing loses nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from roboco_sql import sqllex
from roboco_sql.migrate.chain import Migration

Conn = psycopg.Connection[TupleRow]
_SKIP = {"IF", "EXISTS", "ONLY", "CASCADE", "RESTRICT", "COLUMN"}


@dataclass(frozen=True)
class Loss:
    revision: str
    table: str
    column: str | None
    rows: int

    def __str__(self) -> str:
        rows = f"{self.rows} row{'s' if self.rows != 1 else ''}"
        if self.column:
            return f"{self.table}.{self.column} (non-null in {rows})"
        return f"{self.table} ({rows})"


def _names(stmt: sqllex.Statement) -> list[str]:
    """Identifiers and keywords of a statement, in order, unquoted; punctuation as itself."""
    out = []
    for tok in sqllex.tokenize(stmt.text):
        if tok.kind is sqllex.Kind.WORD:
            out.append(tok.text.lower())
        elif tok.kind is sqllex.Kind.IDENT:
            out.append(tok.text[1:-1].replace('""', '"'))
        elif tok.kind is sqllex.Kind.OTHER:
            out.append(tok.text)
    return out


def _qualified(words: list[str], i: int) -> tuple[str, int]:
    """The (possibly schema-qualified) name starting at words[i], and the index after it."""
    name = words[i]
    if i + 2 < len(words) and words[i + 1] == ".":
        return f"{name}.{words[i + 2]}", i + 3
    return name, i + 1


def targets(stmt: sqllex.Statement) -> Iterator[tuple[str, str | None]]:
    """(table, column or None) for each table or column the statement drops."""
    if "DROP" not in stmt.text.upper():
        return  # drops nothing: not lexed (most of a chain's ALTER TABLEs)
    words = _names(stmt)
    upper = [w.upper() for w in words]
    if upper[:2] == ["DROP", "TABLE"]:
        i = 2
        while i < len(words):
            if upper[i] in _SKIP or words[i] == ",":
                i += 1
                continue
            table, i = _qualified(words, i)
            yield table, None
    elif upper[:2] == ["ALTER", "TABLE"]:
        i = 2
        while i < len(upper) and upper[i] in _SKIP:
            i += 1
        if i >= len(words):
            return
        table, i = _qualified(words, i)
        for j in range(i, len(upper) - 1):
            if upper[j] == "DROP" and (j == i or words[j - 1] == ","):
                k = j + 1
                if upper[k] in ("CONSTRAINT",):
                    continue
                while k < len(upper) and upper[k] in _SKIP:
                    k += 1
                if k < len(words):
                    yield table, words[k]


def find(conn: Conn, pending: Iterable[Migration]) -> list[Loss]:
    """Every table with rows that a pending revision would drop; for such a revision, also
    the columns it drops that hold values (named in the same refusal).

    A dropped column alone does not stop a run: RoboCo's chain drops columns whose data an
    earlier statement moved, or that only ever held their default (014, 015, 017), and an
    operator would learn nothing from a refusal there. One query finds which of the objects
    exist now (none, on a fresh build); only those are counted.
    """
    dropped = [
        (m.revision, table, column)
        for m in pending
        for stmt in m.statements
        if stmt.startswith("DROP", "TABLE") or stmt.startswith("ALTER", "TABLE")
        for table, column in targets(stmt)
    ]
    present = _present(conn, {(table, column) for _, table, column in dropped})
    counted = [
        Loss(revision, table, column, rows)
        for revision, table, column in dropped
        if (table, column) in present and (rows := _count(conn, table, column))
    ]
    with_tables = {loss.revision for loss in counted if loss.column is None}
    return [loss for loss in counted if loss.revision in with_tables]


_PRESENT = """
SELECT t.schema, t.name, t.col
  FROM unnest(%s::text[], %s::text[], %s::text[]) AS t (schema, name, col)
 WHERE EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = to_regclass(format('%%I.%%I', t.schema, t.name))
                  AND (t.col IS NULL OR (a.attname = t.col AND NOT a.attisdropped)))
"""


def _split(table: str) -> tuple[str, str]:
    schema, _, name = table.rpartition(".")
    return schema or "public", name


def _present(conn: Conn, objects: set[tuple[str, str | None]]) -> set[tuple[str, str | None]]:
    """Which of the (table, column or None) exist now, in one query."""
    if not objects:
        return set()
    ordered = sorted(objects, key=str)
    schemas, names = zip(*(_split(table) for table, _ in ordered), strict=True)
    rows = conn.execute(_PRESENT, (list(schemas), list(names), [c for _, c in ordered]))
    by_key = {(*_split(table), column): (table, column) for table, column in ordered}
    return {by_key[(schema, name, column)] for schema, name, column in rows}


def _count(conn: Conn, table: str, column: str | None) -> int:
    """Rows of a table, or its non-null values of a column (both known to exist)."""
    ident = sql.Identifier(*_split(table))
    what = sql.SQL("*") if column is None else sql.Identifier(column)
    row = conn.execute(sql.SQL("SELECT count({}) FROM {}").format(what, ident)).fetchone()
    return int(row[0]) if row else 0


def refusal(losses: list[Loss]) -> str:
    """One line naming what would be lost, and the way out."""
    by_revision: dict[str, list[str]] = {}
    for loss in losses:
        by_revision.setdefault(loss.revision, []).append(str(loss))
    what = "; ".join(f"{rev} drops {', '.join(items)}" for rev, items in by_revision.items())
    return (
        f"refusing to lose data: {what}. Nothing was applied. Back it up first "
        "(python -m roboco_sql backup FILE), then run migrate --allow-data-loss; or stay "
        "below it with ROBOCO_DATABASE_TARGET_REVISION / migrate --to"
    )
