"""What may stand in a migration's SQL: the rules read off its statements, without a database.

A file's SQL must lex, hold no psql meta-command (the runner sends plain SQL to the server),
leave the transactions to the runner, and run outside a transaction only where its file says
`-- transaction: none`, in a form that a re-run after a crash does not break. A down section
runs in one transaction with its bookkeeping, so it has no `transaction: none`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from roboco_sql import sqllex
from roboco_sql.errors import ChainError
from roboco_sql.migrate.migration import Migration

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
# statements that start with these words commit on their own, wherever they stand
_AUTOCOMMIT_WORDS = (
    ("VACUUM",),
    ("CREATE", "DATABASE"),
    ("DROP", "DATABASE"),
    ("ALTER", "SYSTEM"),
    ("CREATE", "TABLESPACE"),
    ("DROP", "TABLESPACE"),
    ("CREATE", "SUBSCRIPTION"),
    ("DROP", "SUBSCRIPTION"),
    ("DISCARD", "ALL"),
)
_NAMED_INDEX = re.compile(
    r"CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(IF\s+NOT\s+EXISTS\s+)?(?!ON\b)\S", re.I
)
_DETACH_CONCURRENTLY = re.compile(r"\bDETACH\s+PARTITION\b.*\bCONCURRENTLY\b", re.I | re.S)


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
    for words in _AUTOCOMMIT_WORDS:
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
    """Offset of the first psql meta-command (a backslash outside strings, quoted names,
    dollar quotes and comments), if any: the runner sends plain SQL to the server, which
    knows no `\\set` or `\\i`.

    psql reads a meta-command's arguments to the end of its line, quotes and all, so the text
    after one need not lex: the scan stops at the first backslash, and a lexing error after
    it is the meta-command's (one before it is left to the statement check).
    """
    if "\\" not in text:  # most files hold no backslash at all: no second pass of the lexer
        return None
    try:
        for tok in sqllex.tokenize(text):
            if tok.kind is sqllex.Kind.OTHER and tok.text.startswith("\\"):
                return base + tok.start
    except sqllex.LexError:
        return None
    return None


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


def _checked_statements(m: Migration, problems: list[str]) -> list[sqllex.Statement] | None:
    """m's statements, or None with a problem when the part holds a psql meta-command or does
    not lex (the meta-command first: its arguments need not lex)."""
    start, _end = m.span
    if (at := meta_command(m.body, start)) is not None:
        problems.append(
            f"{m.where(at)}: a psql meta-command is not allowed; the runner sends plain SQL"
        )
        return None
    try:
        return m.statements
    except sqllex.LexError as exc:
        problems.append(f"{m.where(start + exc.start)}: {exc}")
        return None


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
