"""Operations that lock or rewrite busy tables, found in the chain's files without a database.

`check` is the hard gate (a chain that cannot run); `lint` names what runs but hurts a live
database, each finding with file:line and a fix. It reads every top-level statement, the
static SQL inside DO blocks and the DDL strings those blocks EXECUTE (``format('ALTER TABLE
%I ...')``, whose table is known only at run time).

The rules are data (lint_rules.RULES: id, severity, summary, fix, check); this module runs
them over a file's statements and applies the opt-outs (lint_optouts.py). A table created
earlier in the same file is new: nobody else uses it yet, so its indexes, constraints and
column changes are not findings.

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

from dataclasses import dataclass

from roboco_sql import sqllex
from roboco_sql.migrate.chain import Chain, Migration
from roboco_sql.migrate.lint_optouts import FileLines, read_opt_outs
from roboco_sql.migrate.lint_rules import (
    ERROR,
    OPT_OUT,
    RULES,
    FileState,
    Rule,
    checked,
    rule_named,
    track,
)
from roboco_sql.migrate.lint_sql import (
    Statement,
    Tok,
    do_body,
    dynamic_statements,
    inner_statements,
    line_comments,
    tokens,
)

__all__ = ["DOWN_EXEMPT", "META", "RULES", "Finding", "Rule", "lint_chain", "lint_migration"]

META = OPT_OUT.id
DOWN_EXEMPT = frozenset(rule.id for rule in RULES if not rule.in_down)


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
        """Whether `lint --strict` fails on it: an error anywhere (a misused opt-out), a
        warning in an up part (see lint_rules: a down section's are notes)."""
        return not self.down or rule_named(self.rule).severity == ERROR

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
class _Unit:
    """A statement and the rules that read it ("statement", "block"; see lint_rules.Rule),
    with the lines where an opt-out covers its findings."""

    stmt: Statement
    scope: frozenset[int]
    reads: frozenset[str]


_BOTH = frozenset({"statement", "block"})
_BLOCK = frozenset({"block"})
_STATEMENT = frozenset({"statement"})


def _units(
    f: FileLines, toks: list[Tok], scope: frozenset[int], comments: list[Tok]
) -> list[_Unit]:
    """What the rules read of one top-level statement: the statement itself, or for a DO
    block the block, its body, and the statements inside (static, then EXECUTEd), each
    inner one also covered by the comments above it. A DO body's comments join `comments`
    (opt-outs may stand there); a body the lexer cannot read is left to the server."""
    body = do_body(toks)
    if body is None:
        return [_Unit(Statement(toks), scope, _BOTH)]
    units = [_Unit(Statement(toks), scope, _BLOCK)]
    tag_len = body.text.index("$", 1) + 1
    inner_text, base = body.text[tag_len:-tag_len], body.start + tag_len
    try:
        inner_all = tokens(inner_text, base)
        comments += line_comments(inner_text, base)
    except sqllex.LexError:
        return units
    units.append(_Unit(Statement(inner_all), scope, _BLOCK))
    for inner in inner_statements(inner_all):
        units.append(_Unit(Statement(inner), scope | f.scope(f.line(inner[0].start)), _STATEMENT))
    for dynamic in dynamic_statements(inner_all):
        units.append(
            _Unit(Statement(dynamic, True), scope | f.scope(f.line(dynamic[0].start)), _STATEMENT)
        )
    return units


def lint_migration(m: Migration) -> list[Finding]:
    """The findings of one part of a file (its up part, or m.reverse()'s down section),
    opt-outs applied; lines are the file's."""
    f = FileLines(m.text)
    state = FileState(m.text, m.transactional)
    rules = [rule for rule in checked() if rule.in_down or not m.going_down]
    start, _end = m.span
    comments = list(line_comments(m.body, start))
    found: list[tuple[int, str, str, frozenset[int]]] = []  # (line, rule, message, scope)
    for stmt in m.statements:
        toks = tokens(stmt.text, stmt.start)
        if not toks:
            continue
        for unit in _units(f, toks, f.scope(f.line(stmt.start)), comments):
            for rule in rules:
                if rule.reads in unit.reads and rule.check is not None:
                    for tok, message in rule.check(state, unit.stmt):
                        found.append((f.line(tok.start), rule.id, message, unit.scope))
            if "statement" in unit.reads:
                track(state, unit.stmt)
    opt_outs = read_opt_outs(f, comments)
    out = [Finding(m.name, line, META, message, fix) for line, message, fix in opt_outs.misuses]
    out += [
        Finding(m.name, line, rule, message, rule_named(rule).fix, m.going_down)
        for line, rule, message, scope in found
        if not opt_outs.covers(rule, scope)
    ]
    out += [Finding(m.name, line, META, message, fix) for line, message, fix in opt_outs.unused()]
    return sorted(out)


def lint_chain(chain: Chain) -> list[Finding]:
    """Every file's findings: its up part, then its down section (which runs on a live
    database too, when an operator goes back)."""
    parts = [p for m in chain for p in ((m, m.reverse()) if m.has_down else (m,))]
    return [finding for part in parts for finding in lint_migration(part)]
