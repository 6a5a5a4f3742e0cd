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
    operator would learn nothing from a refusal there.
    """
    losses = []
    for m in pending:
        found = [
            (table, column)
            for stmt in m.statements
            if stmt.startswith("DROP", "TABLE") or stmt.startswith("ALTER", "TABLE")
            for table, column in targets(stmt)
        ]
        tables = [
            Loss(m.revision, t, None, rows)
            for t, c in found
            if c is None and (rows := _count(conn, t, None))
        ]
        if tables:
            columns = [
                Loss(m.revision, t, c, rows)
                for t, c in found
                if c is not None and (rows := _count(conn, t, c))
            ]
            losses += tables + columns
    return losses


def _count(conn: Conn, table: str, column: str | None) -> int:
    schema, _, name = table.rpartition(".")
    ident = sql.Identifier(schema or "public", name)
    row = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{schema or 'public'}.{name}",)
    ).fetchone()
    if not (row and row[0]):
        return 0
    if column is None:
        query = sql.SQL("SELECT count(*) FROM {}").format(ident)
    else:
        exists = conn.execute(
            "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s "
            "AND NOT attisdropped",
            (f"{schema or 'public'}.{name}", column),
        ).fetchone()
        if exists is None:
            return 0
        query = sql.SQL("SELECT count({}) FROM {}").format(sql.Identifier(column), ident)
    counted = conn.execute(query).fetchone()
    return int(counted[0]) if counted else 0


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
