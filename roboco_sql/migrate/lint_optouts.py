"""Lint's opt-outs: `-- lint: allow RULE REASON` on a statement, `-- lint: allow-file RULE
REASON` in the header block; which findings each covers, and each misuse of one (no reason,
an unknown rule, out of its place, covering nothing), which no opt-out silences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from roboco_sql import sqllex
from roboco_sql.migrate.lint_rules import checked
from roboco_sql.migrate.lint_sql import Tok

_DIRECTIVE = re.compile(r"--\s*lint\s*:\s*(\S*)\s*(\S*)\s*(.*?)\s*$")

Misuse = tuple[int, str, str]  # (line, message, fix): an opt-out rule finding


@dataclass(frozen=True)
class FileLines:
    """A file's lines, for what opt-outs need: the line of an offset, the lines a
    statement's opt-out may stand on, and where the header block ends."""

    text: str
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", self.text.split("\n"))

    def line(self, offset: int) -> int:
        return sqllex.line_col(self.text, offset)[0]

    def scope(self, first_line: int) -> frozenset[int]:
        """The statement's first line and the comment lines directly above it."""
        lines = {first_line}
        k = first_line - 1
        while k >= 1 and self.lines[k - 1].strip().startswith("--"):
            lines.add(k)
            k -= 1
        return frozenset(lines)

    def header_end(self) -> int:
        """The last line of the header block (the comments before the first statement)."""
        for number, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            if stripped and not stripped.startswith("--"):
                return number - 1
        return len(self.lines)


@dataclass
class _Directive:
    line: int
    kind: str  # allow / allow-file
    rules: list[str]
    used: bool = False


@dataclass
class OptOuts:
    """A part's well-formed opt-outs, and the misuses found while reading them."""

    directives: list[_Directive] = field(default_factory=list)
    misuses: list[Misuse] = field(default_factory=list)

    def covers(self, rule: str, scope: frozenset[int]) -> bool:
        """Whether an opt-out covers a finding of rule whose statement spans scope (every
        covering opt-out counts as used)."""
        covering = [
            d
            for d in self.directives
            if rule in d.rules and (d.kind == "allow-file" or d.line in scope)
        ]
        for d in covering:
            d.used = True
        return bool(covering)

    def unused(self) -> list[Misuse]:
        """An opt-out that covered no finding, once every finding was offered to them."""
        return [
            (
                d.line,
                f"{d.kind} {','.join(d.rules)} covers no finding",
                "remove it, or move it onto the statement's first line or the line above",
            )
            for d in self.directives
            if not d.used
        ]


def read_opt_outs(f: FileLines, comments: Iterable[Tok]) -> OptOuts:
    """The opt-outs among a part's `--` comments, each misuse kept as a finding."""
    out = OptOuts()
    header_end = f.header_end()
    for tok in comments:
        match = _DIRECTIVE.match(tok.text)
        if match is None:
            continue
        line = f.line(tok.start)
        kind, rules_text, reason = match.groups()
        misuse = _misuse(kind, rules_text, reason, line > header_end)
        if misuse is not None:
            out.misuses.append((line, *misuse))
        else:
            out.directives.append(_Directive(line, kind, [r for r in rules_text.split(",") if r]))
    return out


def _misuse(kind: str, rules_text: str, reason: str, below_header: bool) -> tuple[str, str] | None:
    """(message, fix) for a malformed or misplaced opt-out; None for a good one."""
    if kind not in ("allow", "allow-file"):
        return (
            f"unknown lint directive '{kind}'",
            "write '-- lint: allow RULE REASON' or '-- lint: allow-file RULE REASON'",
        )
    known = [rule.id for rule in checked()]  # every rule but the opt-out rule itself
    rules = [r for r in rules_text.split(",") if r]
    unknown = [r for r in rules if r not in known]
    if rules_text.endswith(",") or reason.startswith(","):
        unknown.append("a list with spaces; write RULE1,RULE2")
    if not rules or unknown:
        return (
            f"opt-out names no known rule ({', '.join(unknown) or 'none given'})",
            "name one of: " + ", ".join(known),
        )
    if not reason:
        return (
            f"opt-out of {rules_text} gives no reason",
            f"say why this is safe here: '-- lint: {kind} {rules_text} REASON'",
        )
    if kind == "allow-file" and below_header:
        return (
            f"allow-file {rules_text} is outside the header block and covers nothing",
            "move it into the comments at the top of the file, before the first statement",
        )
    return None
