"""The lint rules as data: one record per rule (id, severity, what it finds, its fix, its check),
and the checks, grouped by what they are about (indexes, tables, columns, constraints, enum
labels).

A check reads one statement (lint_sql.Statement) and what the file did before it (FileState:
the tables it created, the enum labels it added) and yields each offending token with its
message. The driver (lint.py) runs every rule over every statement, then lets the file's
state follow the statement (track).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from roboco_sql import sqllex
from roboco_sql.migrate.lint_sql import (
    Statement,
    Tok,
    action_kind,
    column_at,
    has,
    name_at,
    unquote,
)
from roboco_sql.sqllex import Kind

Hit = tuple[Tok, str]  # where a finding is (its line is the token's), and its message

# severity: when `lint --strict` fails on a finding. An error fails it anywhere; a warning in
# an up part only (in a down section it is a note: going back is an operator's maintenance
# step, and its locks are those of undoing the up part).
ERROR, WARNING = "error", "warning"


@dataclass
class FileState:
    """What the statements before this one did: a table created in the same file is new
    (nobody uses it yet), and a label added in a transactional file is unusable until the
    file commits."""

    text: str
    transactional: bool
    new_tables: set[str] = field(default_factory=set)
    labels: list[tuple[str, str, int]] = field(default_factory=list)  # (type, label, line)

    def line(self, offset: int) -> int:
        return sqllex.line_col(self.text, offset)[0]


Check = Callable[[FileState, Statement], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # ERROR or WARNING (see above)
    summary: str  # what it finds, in one line
    fix: str  # printed with each finding
    check: Check | None  # None: the opt-out rule, which the opt-out reader applies
    in_down: bool = True  # also a finding in a down section
    # "statement": one statement at a time (top-level, static in a DO block, or EXECUTEd);
    # "block": a top-level statement, and a DO block's body, as a whole
    reads: str = "statement"


# -- indexes ---------------------------------------------------------------------------------


def _index_not_concurrent(state: FileState, stmt: Statement) -> Iterator[Hit]:
    index = stmt.index
    if index is not None and not index.concurrently and index.table not in state.new_tables:
        yield (
            stmt.toks[0],
            f"CREATE INDEX {index.name} on existing table {index.table}{stmt.where} blocks "
            "writes to it while the index builds",
        )


def _concurrent_if_not_exists(state: FileState, stmt: Statement) -> Iterator[Hit]:
    index = stmt.index
    if index is not None and index.concurrently and index.if_not_exists:
        yield (
            stmt.toks[0],
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index.name}{stmt.where} keeps an "
            "INVALID index from a failed build as if it were built",
        )


# -- tables ----------------------------------------------------------------------------------


def _drop_table(state: FileState, stmt: Statement) -> Iterator[Hit]:
    new = set(state.new_tables)  # a name given twice: the second drop is of no new table
    for tok, name in stmt.dropped_tables:
        if name not in new:
            yield tok, f"DROP TABLE {name}{stmt.where} breaks code that still uses it"
        new.discard(name)


def _actions(state: FileState, stmt: Statement, kind: str) -> Iterator[tuple[str, list[Tok]]]:
    """(table, action) for each action of that kind of an ALTER TABLE of an existing table."""
    altered = stmt.altered_table
    if altered is None or altered[0] in state.new_tables:
        return
    table, actions = altered
    for action in actions:
        if action_kind(action) == kind:
            yield table, action


@dataclass(frozen=True)
class _BreaksCode:
    """The check that each action of that kind (of an ALTER TABLE of an existing table)
    breaks code still running: what(table, action) it does, where, and how the code uses
    what it takes away. A callable record rather than a closure, so that its logic runs (and
    can be mutation-tested) on each call, not only when the table is built at import."""

    kind: str
    what: Callable[[str, list[Tok]], str]
    uses: str

    def __call__(self, state: FileState, stmt: Statement) -> Iterator[Hit]:
        for table, action in _actions(state, stmt, self.kind):
            yield (
                action[0],
                f"{self.what(table, action)}{stmt.where} breaks code that still {self.uses}",
            )


_rename_table = _BreaksCode(
    "rename-table",
    lambda table, action: f"RENAME of table {table} to {name_at(action, 2)[0]}",
    "uses the old name",
)

# -- columns ---------------------------------------------------------------------------------

_rename_column = _BreaksCode(
    "rename-column",
    lambda table, action: f"RENAME of column {table}.{column_at(action, 1)[0]}",
    "uses the old name",
)
_drop_column = _BreaksCode(
    "drop-column",
    lambda table, action: f"DROP COLUMN {table}.{column_at(action, 1, ('IF', 'EXISTS'))[0]}",
    "reads or writes it",
)


def _altered_columns(
    state: FileState, stmt: Statement
) -> Iterator[tuple[str, str, list[str], Tok]]:
    """(table, column, the three words after the column, the action's first token) for
    each ALTER COLUMN of an existing table."""
    for table, action in _actions(state, stmt, "alter-column"):
        column, i = column_at(action, 1)
        yield table, column, [t.word for t in action[i : i + 3]], action[0]


def _alter_column_type(state: FileState, stmt: Statement) -> Iterator[Hit]:
    for table, column, rest, tok in _altered_columns(state, stmt):
        if rest[:1] == ["TYPE"] or rest == ["SET", "DATA", "TYPE"]:
            yield (
                tok,
                f"ALTER COLUMN {table}.{column} TYPE{stmt.where} rewrites the table (and its "
                "indexes) under an exclusive lock",
            )


def _set_not_null(state: FileState, stmt: Statement) -> Iterator[Hit]:
    for table, column, rest, tok in _altered_columns(state, stmt):
        if rest == ["SET", "NOT", "NULL"]:
            yield (
                tok,
                f"SET NOT NULL on {table}.{column}{stmt.where} scans the whole table under "
                "an exclusive lock",
            )


def _added_columns(state: FileState, stmt: Statement) -> Iterator[tuple[str, str, list[Tok], Tok]]:
    """(table, column, its definition's tokens, the ADD) for each ADD COLUMN to an existing
    table."""
    for table, action in _actions(state, stmt, "add-column"):
        column, i = column_at(action, 1, ("IF", "NOT", "EXISTS"))
        yield table, column, action[i:], action[0]


def _add_column_not_null(state: FileState, stmt: Statement) -> Iterator[Hit]:
    for table, column, definition, add in _added_columns(state, stmt):
        if (
            has(definition, "NOT", "NULL")
            and not has(definition, "DEFAULT")
            and not has(definition, "GENERATED")
        ):
            yield (
                add,
                f"ADD COLUMN {table}.{column} NOT NULL without a default{stmt.where} fails on "
                "a table with rows",
            )


# -- constraints -----------------------------------------------------------------------------


def _constraint_not_valid(state: FileState, stmt: Statement) -> Iterator[Hit]:
    for table, action in _actions(state, stmt, "add-constraint"):
        named = action[1].word == "CONSTRAINT"
        body = action[3:] if named else action[1:]
        what = body[0].word if body else ""
        if what in ("CHECK", "FOREIGN") and not has(action, "NOT", "VALID"):
            label = "FOREIGN KEY" if what == "FOREIGN" else "CHECK"
            name = f" {unquote(action[2])}" if named else ""
            yield (
                action[0],
                f"ADD CONSTRAINT{name} {label} on {table}{stmt.where} without NOT VALID scans "
                "the whole table while blocking writes",
            )
    for table, column, definition, _add in _added_columns(state, stmt):
        inline = has(definition, "REFERENCES") or has(definition, "CHECK")
        if inline is not None:
            yield (
                inline,
                f"ADD COLUMN {table}.{column} with an inline {inline.word}{stmt.where} "
                "validates the whole table while blocking writes (inline constraints cannot "
                "be NOT VALID)",
            )


# -- enum labels -----------------------------------------------------------------------------


def _enum_value_used(state: FileState, stmt: Statement) -> Iterator[Hit]:
    """A string equal to a label this transactional file added earlier."""
    if not state.labels or stmt.lead[:2] == ["ALTER", "TYPE"]:
        return
    strings = {unquote(t): t for t in reversed(stmt.toks) if t.kind is Kind.STRING}
    for typename, label, line in state.labels:
        if label in strings:
            yield (
                strings[label],
                f"'{label}' is used in the transaction that adds it to {typename} "
                f"(line {line}); PostgreSQL refuses a new label before it commits",
            )


# -- the table -------------------------------------------------------------------------------

# What a down section does by its nature is no finding there (in_down=False): it drops what
# its up part added (the release being gone back to never used it), and it runs in one
# transaction, so an index cannot be built concurrently.
RULES: tuple[Rule, ...] = (
    Rule(
        "index-not-concurrent",
        WARNING,
        "CREATE INDEX without CONCURRENTLY on a table the file did not create",
        "build it with CREATE INDEX CONCURRENTLY in a file marked '-- transaction: none'",
        _index_not_concurrent,
        in_down=False,
    ),
    Rule(
        "add-column-not-null",
        WARNING,
        "ADD COLUMN ... NOT NULL with neither a default nor GENERATED",
        "give it a DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill, "
        "then enforce NOT NULL through a NOT VALID check",
        _add_column_not_null,
    ),
    Rule(
        "constraint-not-valid",
        WARNING,
        "a CHECK or FOREIGN KEY added without NOT VALID, or inline with a new column",
        "ADD CONSTRAINT ... NOT VALID (new rows are checked, existing ones not scanned), then "
        "VALIDATE CONSTRAINT in a later statement, which does not block writes",
        _constraint_not_valid,
    ),
    Rule(
        "alter-column-type",
        WARNING,
        "ALTER COLUMN ... TYPE on an existing table",
        "add a column of the new type, backfill it in batches, move readers and writers, then "
        "drop the old one",
        _alter_column_type,
    ),
    Rule(
        "set-not-null",
        WARNING,
        "ALTER COLUMN ... SET NOT NULL on an existing table",
        "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT "
        "NULL (PostgreSQL 12+ skips the scan) and drop the check",
        _set_not_null,
    ),
    Rule(
        "drop-column",
        WARNING,
        "DROP COLUMN of an existing table",
        "release code that no longer reads or writes it first, then drop it in a later revision",
        _drop_column,
        in_down=False,
    ),
    Rule(
        "drop-table",
        WARNING,
        "DROP TABLE of a table the file did not create",
        "release code that no longer uses it first, then drop it in a later revision",
        _drop_table,
        in_down=False,
    ),
    Rule(
        "rename-column",
        WARNING,
        "RENAME of a column of an existing table",
        "add the new column, write both, move readers, then drop the old one; code still "
        "running uses the old name",
        _rename_column,
    ),
    Rule(
        "rename-table",
        WARNING,
        "RENAME of an existing table",
        "leave a view under the old name for code still running, or move the code first",
        _rename_table,
    ),
    Rule(
        "enum-value-used",
        WARNING,
        "a label used in the transactional file that adds it to its enum",
        "put ALTER TYPE ... ADD VALUE in a revision of its own: each file commits before the "
        "next runs, and a new label is usable only after that commit",
        _enum_value_used,
        reads="block",
    ),
    Rule(
        "concurrent-if-not-exists",
        WARNING,
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS",
        "drop IF NOT EXISTS: it keeps an INVALID index a failed build left behind, whereas "
        "the runner drops such an index and builds it again",
        _concurrent_if_not_exists,
    ),
    Rule(
        "opt-out",
        ERROR,
        "a '-- lint:' opt-out without a reason, for an unknown rule, misplaced or unused",
        "",  # each opt-out finding says its own fix
        None,
    ),
)
OPT_OUT = next(rule for rule in RULES if rule.check is None)


def checked() -> tuple[Rule, ...]:
    """The rules the driver runs over statements (and an opt-out may name), in table order;
    read from the table on each call."""
    return tuple(rule for rule in RULES if rule.check is not None)


def rule_named(rule_id: str) -> Rule:
    """The table's record of a rule id (KeyError naming it when the table has none)."""
    return {rule.id: rule for rule in RULES}[rule_id]


def track(state: FileState, stmt: Statement) -> None:
    """Let the file's state follow a statement the rules have read: tables created, renamed
    (when new) and dropped, labels added (in a transactional file)."""
    if stmt.created_table:
        state.new_tables.add(stmt.created_table)
    if (altered := stmt.altered_table) is not None and altered[0] in state.new_tables:
        for action in altered[1]:
            if action_kind(action) == "rename-table":
                state.new_tables.add(name_at(action, 2)[0])
    for _tok, name in stmt.dropped_tables:
        state.new_tables.discard(name)
    if (added := stmt.added_label) is not None and state.transactional:
        typename, label = added
        state.labels.append((typename, unquote(label), state.line(label.start)))
