"""Operations that lock or rewrite busy tables, found in the chain's files without a database.

`check` is the hard gate (a chain that cannot run); `lint` names what runs but hurts a live
database, each finding with file:line and a fix. It reads every top-level statement, the
static SQL inside DO blocks and the DDL strings those blocks EXECUTE (``format('ALTER TABLE
%I ...')``, whose table is known only at run time).

A table created earlier in the same file is new: nobody else uses it yet, so its indexes,
constraints and column changes are not findings.

Opt-outs carry a reason, which is the point of them:

    -- lint: allow set-not-null the column was filled from its default two statements up
    ALTER TABLE ...

on the statement's first line or in the comment lines directly above it (for a finding
inside a DO block, above the DO or above the inner statement); several rules are
separated by commas. ``-- lint: allow-file RULE REASON`` in the header block (the comments
before the first statement) covers the whole file. An opt-out without a reason, for an
unknown rule, outside its place, or that covers nothing is itself a finding (rule
``opt-out``), which no opt-out silences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from roboco_sql import sqllex
from roboco_sql.migrate.chain import Chain, Migration
from roboco_sql.sqllex import Kind

# rule -> the fix printed with each finding
RULES: dict[str, str] = {
    "index-not-concurrent": (
        "build it with CREATE INDEX CONCURRENTLY in a file marked '-- transaction: none'"
    ),
    "add-column-not-null": (
        "give it a DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill, "
        "then enforce NOT NULL through a NOT VALID check"
    ),
    "constraint-not-valid": (
        "ADD CONSTRAINT ... NOT VALID (new rows are checked, existing ones not scanned), then "
        "VALIDATE CONSTRAINT in a later statement, which does not block writes"
    ),
    "alter-column-type": (
        "add a column of the new type, backfill it in batches, move readers and writers, then "
        "drop the old one"
    ),
    "set-not-null": (
        "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT "
        "NULL (PostgreSQL 12+ skips the scan) and drop the check"
    ),
    "drop-column": (
        "release code that no longer reads or writes it first, then drop it in a later revision"
    ),
    "drop-table": ("release code that no longer uses it first, then drop it in a later revision"),
    "rename-column": (
        "add the new column, write both, move readers, then drop the old one; code still "
        "running uses the old name"
    ),
    "rename-table": (
        "leave a view under the old name for code still running, or move the code first"
    ),
    "enum-value-used": (
        "put ALTER TYPE ... ADD VALUE in a revision of its own: each file commits before the "
        "next runs, and a new label is usable only after that commit"
    ),
    "concurrent-if-not-exists": (
        "drop IF NOT EXISTS: it keeps an INVALID index a failed build left behind, whereas "
        "the runner drops such an index and builds it again"
    ),
}
META = "opt-out"

# What a down section does by its nature, so no finding there: it drops what its up part
# added (the release being gone back to never used it), and it runs in one transaction, so
# an index cannot be built concurrently.
DOWN_EXEMPT = frozenset({"drop-column", "drop-table", "index-not-concurrent"})

_DIRECTIVE = re.compile(r"--\s*lint\s*:\s*(\S*)\s*(\S*)\s*(.*?)\s*$")
_PLACEHOLDER = re.compile(r"%(\d+\$)?-?\d*[IsL]")
_MARK = "\u00a7"  # a format() placeholder, made a word: %I -> §I
_DDL_START = re.compile(
    r"\s*(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+TABLE|ALTER\s+TYPE|CREATE\s+TABLE)\b",
    re.I,
)
# where a statement may begin inside a PL/pgSQL body
_BODY_STARTS = {";", "BEGIN", "THEN", "ELSE", "LOOP"}


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    rule: str
    message: str
    fix: str = ""
    down: bool = False  # in a down section: what going back will lock (not for --strict)

    def __str__(self) -> str:
        fix = f"; fix: {self.fix}" if self.fix and not self.down else ""
        part = " (down section)" if self.down else ""
        return f"{self.file}:{self.line}: {self.rule}{part}: {self.message}{fix}"

    @property
    def strict(self) -> bool:
        """Whether `lint --strict` fails on it: every finding of an up part, and a misused
        opt-out anywhere. A down section's lock findings are reported only: going back is
        an operator's maintenance step, and its locks are those of undoing the up part."""
        return not self.down or self.rule == META

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
            "message": self.message,
            "fix": self.fix,
            "down": self.down,
        }


@dataclass(frozen=True)
class _Tok:
    kind: Kind
    text: str
    start: int  # offset in the file

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind is Kind.WORD else self.text


@dataclass
class _Directive:
    line: int
    whole_line: bool
    kind: str  # allow / allow-file
    rules: list[str]
    reason: str
    used: bool = False


@dataclass
class _Pending:
    line: int
    rule: str
    message: str
    scope: frozenset[int]  # lines where a per-statement opt-out covers it


@dataclass
class _File:
    m: Migration
    lines: list[str]
    header_end: int  # last line of the header block
    new_tables: set[str] = field(default_factory=set)
    pending: list[_Pending] = field(default_factory=list)
    directives: list[_Directive] = field(default_factory=list)
    meta: list[Finding] = field(default_factory=list)

    def line(self, offset: int) -> int:
        return sqllex.line_col(self.m.text, offset)[0]

    def scope(self, first_line: int) -> frozenset[int]:
        """The statement's first line and the comment lines directly above it."""
        lines = {first_line}
        k = first_line - 1
        while k >= 1 and self.lines[k - 1].strip().startswith("--"):
            lines.add(k)
            k -= 1
        return frozenset(lines)

    def find(self, tok: _Tok, rule: str, message: str, scope: frozenset[int]) -> None:
        self.pending.append(_Pending(self.line(tok.start), rule, message, scope))


def _tokens(text: str, base: int = 0) -> list[_Tok]:
    return [
        _Tok(t.kind, t.text, t.start + base)
        for t in sqllex.tokenize(text)
        if t.kind not in (Kind.SPACE, Kind.COMMENT)
    ]


def _comments(text: str, base: int = 0) -> Iterator[_Tok]:
    for t in sqllex.tokenize(text):
        if t.kind is Kind.COMMENT and t.text.startswith("--"):
            yield _Tok(t.kind, t.text, t.start + base)


def _unquote(tok: _Tok) -> str:
    if tok.kind is Kind.IDENT:
        return tok.text[1:-1].replace('""', '"')
    if tok.kind is Kind.STRING:
        return tok.text[1:-1].replace("''", "'")
    if _MARK in tok.text:
        return tok.text.replace(_MARK, "%")  # a format() placeholder, kept as written
    return tok.text.lower()


def _name(toks: list[_Tok], i: int) -> tuple[str, int]:
    """A possibly qualified name at toks[i]; public. is dropped. Returns (name, next index)."""
    parts: list[str] = []
    while i < len(toks) and toks[i].kind in (Kind.WORD, Kind.IDENT):
        parts.append(_unquote(toks[i]))
        i += 1
        if i < len(toks) and toks[i].text == ".":
            i += 1
            continue
        break
    if len(parts) == 2 and parts[0] == "public":
        parts = parts[1:]
    return ".".join(parts), i


def _skip(toks: list[_Tok], i: int, *words: str) -> int:
    """Past the words at toks[i] if they are all there, else i."""
    if [t.word for t in toks[i : i + len(words)]] == list(words):
        return i + len(words)
    return i


def _top_level(toks: list[_Tok]) -> Iterator[tuple[int, _Tok]]:
    depth = 0
    for i, t in enumerate(toks):
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        elif depth == 0:
            yield i, t


def _has(toks: list[_Tok], *words: str) -> _Tok | None:
    """The first token of the word sequence at parenthesis depth 0, if present."""
    top = [t for _, t in _top_level(toks)]
    n = len(words)
    for i in range(len(top) - n + 1):
        if [t.word for t in top[i : i + n]] == list(words):
            return top[i]
    return None


def _split_actions(toks: list[_Tok]) -> list[list[_Tok]]:
    actions: list[list[_Tok]] = [[]]
    depth = 0
    for t in toks:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        if t.text == "," and depth == 0:
            actions.append([])
        else:
            actions[-1].append(t)
    return [a for a in actions if a]


class _Checker:
    def __init__(self, f: _File) -> None:
        self.f = f
        self.labels: list[tuple[str, str, int]] = []  # (type, label, line) added so far

    # -- statements -----------------------------------------------------------------------

    def statement(self, toks: list[_Tok], scope: frozenset[int], dynamic: bool = False) -> None:
        w = [t.word for t in toks[:4]]
        if w[:2] == ["CREATE", "INDEX"] or w[:3] == ["CREATE", "UNIQUE", "INDEX"]:
            self.create_index(toks, scope, dynamic)
        elif "TABLE" in w and w[0] == "CREATE":
            self.create_table(toks)
        elif w[:2] == ["ALTER", "TABLE"]:
            self.alter_table(toks, scope, dynamic)
        elif w[:2] == ["DROP", "TABLE"]:
            self.drop_table(toks, scope, dynamic)
        elif w[:2] == ["ALTER", "TYPE"]:
            self.alter_type(toks)

    def create_table(self, toks: list[_Tok]) -> None:
        i = next((k for k, t in enumerate(toks) if t.word == "TABLE"), len(toks)) + 1
        i = _skip(toks, i, "IF", "NOT", "EXISTS")
        name, _ = _name(toks, i)
        if name:
            self.f.new_tables.add(name)

    def create_index(self, toks: list[_Tok], scope: frozenset[int], dynamic: bool) -> None:
        words = [t.word for t in toks]
        concurrently = "CONCURRENTLY" in words[:4]
        on = next((k for k, t in enumerate(toks) if t.word == "ON"), None)
        if on is None:
            return
        head = words[:on]
        table, _ = _name(toks, _skip(toks, on + 1, "ONLY"))
        index = _unquote(toks[on - 1]) if toks[on - 1].word not in ("INDEX", "EXISTS") else "?"
        where = " (dynamic SQL)" if dynamic else ""
        if concurrently and "EXISTS" in head:
            self.f.find(
                toks[0],
                "concurrent-if-not-exists",
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index}{where} keeps an INVALID "
                "index from a failed build as if it were built",
                scope,
            )
        if not concurrently and table not in self.f.new_tables:
            self.f.find(
                toks[0],
                "index-not-concurrent",
                f"CREATE INDEX {index} on existing table {table}{where} blocks writes to it "
                "while the index builds",
                scope,
            )

    def drop_table(self, toks: list[_Tok], scope: frozenset[int], dynamic: bool) -> None:
        i = _skip(toks, 2, "IF", "EXISTS")
        while i < len(toks):
            name, nxt = _name(toks, i)
            if not name:
                break
            if name not in self.f.new_tables:
                self.f.find(
                    toks[i],
                    "drop-table",
                    f"DROP TABLE {name}{' (dynamic SQL)' if dynamic else ''} breaks code that "
                    "still uses it",
                    scope,
                )
            self.f.new_tables.discard(name)
            i = nxt + 1 if nxt < len(toks) and toks[nxt].text == "," else len(toks)

    def alter_type(self, toks: list[_Tok]) -> None:
        name, i = _name(toks, 2)
        if [t.word for t in toks[i : i + 2]] != ["ADD", "VALUE"]:
            return
        i = _skip(toks, i + 2, "IF", "NOT", "EXISTS")
        if i < len(toks) and toks[i].kind is Kind.STRING and self.f.m.transactional:
            self.labels.append((name, _unquote(toks[i]), self.f.line(toks[i].start)))

    def alter_table(self, toks: list[_Tok], scope: frozenset[int], dynamic: bool) -> None:
        i = _skip(toks, 2, "IF", "EXISTS")
        i = _skip(toks, i, "ONLY")
        table, i = _name(toks, i)
        if i < len(toks) and toks[i].text == "*":
            i += 1
        where = " (dynamic SQL)" if dynamic else ""
        new = table in self.f.new_tables
        for action in _split_actions(toks[i:]):
            a = [t.word for t in action]
            if a[:2] == ["RENAME", "TO"]:
                renamed, _ = _name(action, 2)
                if new:
                    self.f.new_tables.add(renamed)
                else:
                    self.f.find(
                        action[0],
                        "rename-table",
                        f"RENAME of table {table} to {renamed}{where} breaks code that still "
                        "uses the old name",
                        scope,
                    )
            elif new:
                continue
            elif a[0] == "RENAME" and a[1:2] != ["CONSTRAINT"]:
                column, _ = _name(action, _skip(action, 1, "COLUMN"))
                self.f.find(
                    action[0],
                    "rename-column",
                    f"RENAME of column {table}.{column}{where} breaks code that still uses the "
                    "old name",
                    scope,
                )
            elif a[0] == "DROP" and a[1:2] != ["CONSTRAINT"]:
                self.f.find(
                    action[0],
                    "drop-column",
                    f"DROP COLUMN {table}.{_drop_target(action)}{where} breaks code that still "
                    "reads or writes it",
                    scope,
                )
            elif a[0] == "ALTER" and a[1:2] != ["CONSTRAINT"]:
                self.alter_column(action, table, where, scope)
            elif a[0] == "ADD":
                self.add(action, table, where, scope)

    def alter_column(
        self, action: list[_Tok], table: str, where: str, scope: frozenset[int]
    ) -> None:
        i = _skip(action, 1, "COLUMN")
        column, i = _name(action, i)
        rest = [t.word for t in action[i : i + 3]]
        if rest[:1] == ["TYPE"] or rest == ["SET", "DATA", "TYPE"]:
            self.f.find(
                action[0],
                "alter-column-type",
                f"ALTER COLUMN {table}.{column} TYPE{where} rewrites the table (and its "
                "indexes) under an exclusive lock",
                scope,
            )
        elif rest == ["SET", "NOT", "NULL"]:
            self.f.find(
                action[0],
                "set-not-null",
                f"SET NOT NULL on {table}.{column}{where} scans the whole table under an "
                "exclusive lock",
                scope,
            )

    def add(self, action: list[_Tok], table: str, where: str, scope: frozenset[int]) -> None:
        kind = action[1].word if len(action) > 1 else ""
        if kind in ("CONSTRAINT", "CHECK", "FOREIGN", "UNIQUE", "PRIMARY", "EXCLUDE"):
            body = action[3:] if kind == "CONSTRAINT" else action[1:]
            what = body[0].word if body else ""
            if what in ("CHECK", "FOREIGN") and not _has(action, "NOT", "VALID"):
                label = "FOREIGN KEY" if what == "FOREIGN" else "CHECK"
                name = f" {_unquote(action[2])}" if kind == "CONSTRAINT" else ""
                self.f.find(
                    action[0],
                    "constraint-not-valid",
                    f"ADD CONSTRAINT{name} {label} on {table}{where} without NOT VALID scans "
                    "the whole table while blocking writes",
                    scope,
                )
            return
        i = _skip(action, 1, "COLUMN")
        i = _skip(action, i, "IF", "NOT", "EXISTS")
        column, i = _name(action, i)
        definition = action[i:]
        if (
            _has(definition, "NOT", "NULL")
            and not _has(definition, "DEFAULT")
            and not _has(definition, "GENERATED")
        ):
            self.f.find(
                action[0],
                "add-column-not-null",
                f"ADD COLUMN {table}.{column} NOT NULL without a default{where} fails on a "
                "table with rows",
                scope,
            )
        inline = _has(definition, "REFERENCES") or _has(definition, "CHECK")
        if inline is not None:
            self.f.find(
                inline,
                "constraint-not-valid",
                f"ADD COLUMN {table}.{column} with an inline {inline.word}{where} validates "
                "the whole table while blocking writes (inline constraints cannot be NOT VALID)",
                scope,
            )

    # -- enum labels ----------------------------------------------------------------------

    def uses(self, toks: list[_Tok], scope: frozenset[int]) -> None:
        """Report a string equal to a label this transactional file added earlier."""
        if not self.labels or [t.word for t in toks[:2]] == ["ALTER", "TYPE"]:
            return
        strings = {_unquote(t): t for t in reversed(toks) if t.kind is Kind.STRING}
        for typename, label, line in self.labels:
            if label in strings:
                self.f.find(
                    strings[label],
                    "enum-value-used",
                    f"'{label}' is used in the transaction that adds it to {typename} "
                    f"(line {line}); PostgreSQL refuses a new label before it commits",
                    scope,
                )


def _drop_target(action: list[_Tok]) -> str:
    i = _skip(action, 1, "COLUMN")
    i = _skip(action, i, "IF", "EXISTS")
    name, _ = _name(action, i)
    return name


def _do_body(toks: list[_Tok]) -> _Tok | None:
    if not toks or toks[0].word != "DO":
        return None
    return next((t for t in toks if t.kind is Kind.DOLLAR), None)


def _inner_statements(toks: list[_Tok]) -> Iterator[list[_Tok]]:
    """Static SQL statements of a DO body, found where PL/pgSQL lets a statement start."""
    i, at_start = 0, True
    while i < len(toks):
        t = toks[i]
        if at_start and t.word in ("ALTER", "CREATE", "DROP"):
            end = i
            depth = 0
            while end < len(toks) and not (toks[end].text == ";" and depth == 0):
                depth += toks[end].text == "("
                depth -= toks[end].text == ")"
                end += 1
            yield toks[i:end]
            i, at_start = end, False
            continue
        at_start = t.word in _BODY_STARTS
        i += 1


def _dynamic_statements(toks: list[_Tok]) -> Iterator[list[_Tok]]:
    """DDL held in string literals (EXECUTE format('ALTER TABLE %I ...')), placeholders
    turned into names."""
    for t in toks:
        if t.kind is Kind.STRING and _DDL_START.match(t.text[1:-1]):
            text = _PLACEHOLDER.sub(lambda m: _MARK + m.group(0)[1:], t.text[1:-1])
            try:
                yield _tokens(text, t.start + 1)
            except sqllex.LexError:
                continue  # not SQL after all


def _read_directives(f: _File, comment_toks: Iterable[_Tok]) -> None:
    for tok in comment_toks:
        match = _DIRECTIVE.match(tok.text)
        if match is None:
            continue
        line = f.line(tok.start)
        whole = f.lines[line - 1].strip().startswith("--")
        kind, rules_text, reason = match.groups()
        rules = [r for r in rules_text.split(",") if r]
        if kind not in ("allow", "allow-file"):
            f.meta.append(
                Finding(
                    f.m.name,
                    line,
                    META,
                    f"unknown lint directive '{kind}'",
                    "write '-- lint: allow RULE REASON' or '-- lint: allow-file RULE REASON'",
                )
            )
            continue
        unknown = [r for r in rules if r not in RULES]
        if rules_text.endswith(",") or reason.startswith(","):
            unknown.append("a list with spaces; write RULE1,RULE2")
        if not rules or unknown:
            f.meta.append(
                Finding(
                    f.m.name,
                    line,
                    META,
                    f"opt-out names no known rule ({', '.join(unknown) or 'none given'})",
                    "name one of: " + ", ".join(RULES),
                )
            )
            continue
        if not reason:
            f.meta.append(
                Finding(
                    f.m.name,
                    line,
                    META,
                    f"opt-out of {rules_text} gives no reason",
                    f"say why this is safe here: '-- lint: {kind} {rules_text} REASON'",
                )
            )
            continue
        if kind == "allow-file" and line > f.header_end:
            f.meta.append(
                Finding(
                    f.m.name,
                    line,
                    META,
                    f"allow-file {rules_text} is outside the header block and covers nothing",
                    "move it into the comments at the top of the file, before the first statement",
                )
            )
            continue
        f.directives.append(_Directive(line, whole, kind, rules, reason))


def _header_end(lines: list[str]) -> int:
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return number - 1
    return len(lines)


def lint_migration(m: Migration) -> list[Finding]:
    """The findings of one part of a file (its up part, or m.reverse()'s down section),
    opt-outs applied; lines are the file's."""
    lines = m.text.split("\n")
    f = _File(m, lines, _header_end(lines))
    checker = _Checker(f)
    start, _end = m.span
    comments: list[_Tok] = list(_comments(m.body, start))
    for stmt in m.statements:
        toks = _tokens(stmt.text, stmt.start)
        if not toks:
            continue
        scope = f.scope(f.line(stmt.start))
        checker.uses(toks, scope)
        body = _do_body(toks)
        if body is None:
            checker.statement(toks, scope)
            continue
        tag_len = body.text.index("$", 1) + 1
        inner_text, base = body.text[tag_len:-tag_len], body.start + tag_len
        try:
            inner_all = _tokens(inner_text, base)
            comments += _comments(inner_text, base)
        except sqllex.LexError:
            continue  # a body our lexer cannot read is left to the server
        checker.uses(inner_all, scope)
        for inner in _inner_statements(inner_all):
            checker.statement(inner, scope | f.scope(f.line(inner[0].start)))
        for dynamic in _dynamic_statements(inner_all):
            checker.statement(dynamic, scope | f.scope(f.line(dynamic[0].start)), dynamic=True)
    _read_directives(f, comments)

    out = list(f.meta)
    if m.going_down:
        f.pending = [p for p in f.pending if p.rule not in DOWN_EXEMPT]
    down = m.going_down
    for p in f.pending:
        covering = [
            d
            for d in f.directives
            if p.rule in d.rules and (d.kind == "allow-file" or d.line in p.scope)
        ]
        for d in covering:
            d.used = True
        if not covering:
            out.append(Finding(m.name, p.line, p.rule, p.message, RULES[p.rule], down))
    for d in f.directives:
        if not d.used:
            out.append(
                Finding(
                    m.name,
                    d.line,
                    META,
                    f"{d.kind} {','.join(d.rules)} covers no finding",
                    "remove it, or move it onto the statement's first line or the line above",
                )
            )
    return sorted(out)


def lint_chain(chain: Chain) -> list[Finding]:
    """Every file's findings: its up part, then its down section (which runs on a live
    database too, when an operator goes back)."""
    parts = [p for m in chain for p in ((m, m.reverse()) if m.has_down else (m,))]
    return [finding for part in parts for finding in lint_migration(part)]
