"""What lint reads of the SQL: tokens without blanks and comments, names, ALTER TABLE actions,
and the statements inside a DO block (static ones, and the DDL strings it EXECUTEs).

No rule lives here (lint_rules.py has them): this is the parsing the rules share, so that
each rule reads a statement the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from roboco_sql import sqllex
from roboco_sql.sqllex import Kind

_PLACEHOLDER = re.compile(r"%(\d+\$)?-?\d*[IsL]")
_MARK = "\u00a7"  # a format() placeholder, made a word: %I -> §I
_DDL_START = re.compile(
    r"\s*(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+TABLE|ALTER\s+TYPE|CREATE\s+TABLE)\b",
    re.I,
)
# where a statement may begin inside a PL/pgSQL body
_BODY_STARTS = {";", "BEGIN", "THEN", "ELSE", "LOOP"}


@dataclass(frozen=True)
class Tok:
    kind: Kind
    text: str
    start: int  # offset in the file

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind is Kind.WORD else self.text


def tokens(text: str, base: int = 0) -> list[Tok]:
    """The tokens of text that are neither blanks nor comments, offsets shifted by base."""
    return [
        Tok(t.kind, t.text, t.start + base)
        for t in sqllex.tokenize(text)
        if t.kind not in (Kind.SPACE, Kind.COMMENT)
    ]


def line_comments(text: str, base: int = 0) -> Iterator[Tok]:
    """The `--` comments of text (where opt-outs are written)."""
    for t in sqllex.tokenize(text):
        if t.kind is Kind.COMMENT and t.text.startswith("--"):
            yield Tok(t.kind, t.text, t.start + base)


def unquote(tok: Tok) -> str:
    """A name or string as the server reads it (unquoted names folded to lower case)."""
    if tok.kind is Kind.IDENT:
        return tok.text[1:-1].replace('""', '"')
    if tok.kind is Kind.STRING:
        return tok.text[1:-1].replace("''", "'")
    if _MARK in tok.text:
        return tok.text.replace(_MARK, "%")  # a format() placeholder, kept as written
    return tok.text.lower()


def name_at(toks: list[Tok], i: int) -> tuple[str, int]:
    """A possibly qualified name at toks[i]; public. is dropped. Returns (name, next index)."""
    parts: list[str] = []
    while i < len(toks) and toks[i].kind in (Kind.WORD, Kind.IDENT):
        parts.append(unquote(toks[i]))
        i += 1
        if i < len(toks) and toks[i].text == ".":
            i += 1
            continue
        break
    if len(parts) == 2 and parts[0] == "public":
        parts = parts[1:]
    return ".".join(parts), i


def skip(toks: list[Tok], i: int, *words: str) -> int:
    """Past the words at toks[i] if they are all there, else i."""
    if [t.word for t in toks[i : i + len(words)]] == list(words):
        return i + len(words)
    return i


def _depths(toks: list[Tok]) -> Iterator[tuple[int, Tok]]:
    """Each token with its parenthesis depth (a parenthesis counted as inside what it opens
    and outside what it closes)."""
    depth = 0
    for t in toks:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        yield depth, t


def _top_level(toks: list[Tok]) -> Iterator[Tok]:
    """The tokens at depth 0 that are no parenthesis."""
    return (t for depth, t in _depths(toks) if depth == 0 and t.text not in ("(", ")"))


def has(toks: list[Tok], *words: str) -> Tok | None:
    """The first token of the word sequence at parenthesis depth 0, if present."""
    top = list(_top_level(toks))
    n = len(words)
    for i in range(len(top) - n + 1):
        if [t.word for t in top[i : i + n]] == list(words):
            return top[i]
    return None


def _split_actions(toks: list[Tok]) -> list[list[Tok]]:
    """The comma-separated actions of an ALTER TABLE, commas inside parentheses kept."""
    actions: list[list[Tok]] = [[]]
    for depth, t in _depths(toks):
        if t.text == "," and depth == 0:
            actions.append([])
        else:
            actions[-1].append(t)
    return [a for a in actions if a]


@dataclass(frozen=True)
class Index:
    """A CREATE [UNIQUE] INDEX: its name ("?" when unnamed) and table, and how it is built."""

    name: str
    table: str
    concurrently: bool
    if_not_exists: bool


@dataclass(frozen=True)
class Statement:
    """One statement as the rules read it: top-level, inside a DO block, or EXECUTEd from a
    string (dynamic: its names may be format() placeholders)."""

    toks: list[Tok]
    dynamic: bool = False

    @cached_property
    def lead(self) -> list[str]:
        """The first four words, upper-cased."""
        return [t.word for t in self.toks[:4]]

    @property
    def where(self) -> str:
        """What messages add after the object's name for a dynamic statement."""
        return " (dynamic SQL)" if self.dynamic else ""

    @property
    def creates_index(self) -> bool:
        w = self.lead
        return w[:2] == ["CREATE", "INDEX"] or w[:3] == ["CREATE", "UNIQUE", "INDEX"]

    @cached_property
    def index(self) -> Index | None:
        """The index a CREATE INDEX builds (None for any other statement, or without ON)."""
        if not self.creates_index:
            return None
        toks = self.toks
        words = [t.word for t in toks]
        on = next((k for k, t in enumerate(toks) if t.word == "ON"), None)
        if on is None:
            return None
        table, _ = name_at(toks, skip(toks, on + 1, "ONLY"))
        index = unquote(toks[on - 1]) if toks[on - 1].word not in ("INDEX", "EXISTS") else "?"
        return Index(index, table, "CONCURRENTLY" in words[:4], "EXISTS" in words[:on])

    @cached_property
    def created_table(self) -> str | None:
        """The table a CREATE [TEMP|UNLOGGED...] TABLE makes ("" when it names none)."""
        w = self.lead
        if w[:1] != ["CREATE"] or "TABLE" not in w or self.creates_index:
            return None
        toks = self.toks
        i = next((k for k, t in enumerate(toks) if t.word == "TABLE"), len(toks)) + 1
        return name_at(toks, skip(toks, i, "IF", "NOT", "EXISTS"))[0]

    @cached_property
    def dropped_tables(self) -> list[tuple[Tok, str]]:
        """The tables a DROP TABLE names, in order, each with its first token."""
        if self.lead[:2] != ["DROP", "TABLE"]:
            return []
        toks = self.toks
        out: list[tuple[Tok, str]] = []
        i = skip(toks, 2, "IF", "EXISTS")
        while i < len(toks):
            name, nxt = name_at(toks, i)
            if not name:
                break
            out.append((toks[i], name))
            i = nxt + 1 if nxt < len(toks) and toks[nxt].text == "," else len(toks)
        return out

    @cached_property
    def altered_table(self) -> tuple[str, list[list[Tok]]] | None:
        """An ALTER TABLE's table and its actions (None for any other statement)."""
        if self.lead[:2] != ["ALTER", "TABLE"]:
            return None
        toks = self.toks
        i = skip(toks, 2, "IF", "EXISTS")
        i = skip(toks, i, "ONLY")
        table, i = name_at(toks, i)
        if i < len(toks) and toks[i].text == "*":
            i += 1
        return table, _split_actions(toks[i:])

    @cached_property
    def added_label(self) -> tuple[str, Tok] | None:
        """The type and the label string of an ALTER TYPE ... ADD VALUE."""
        if self.lead[:2] != ["ALTER", "TYPE"]:
            return None
        toks = self.toks
        name, i = name_at(toks, 2)
        if [t.word for t in toks[i : i + 2]] != ["ADD", "VALUE"]:
            return None
        i = skip(toks, i + 2, "IF", "NOT", "EXISTS")
        if i < len(toks) and toks[i].kind is Kind.STRING:
            return name, toks[i]
        return None


# the words after ADD that start a table constraint (anything else adds a column)
_CONSTRAINT_KINDS = ("CONSTRAINT", "CHECK", "FOREIGN", "UNIQUE", "PRIMARY", "EXCLUDE")


def action_kind(action: list[Tok]) -> str:
    """What an ALTER TABLE action does, as the rules tell them apart: rename-table,
    rename-column, drop-column, alter-column, add-constraint, add-column; "" for the rest
    (a constraint renamed, dropped or altered, SET ..., OWNER ...)."""
    a = [t.word for t in action[:2]]
    if a == ["RENAME", "TO"]:
        return "rename-table"
    if a[1:2] == ["CONSTRAINT"] and a[0] in ("RENAME", "DROP", "ALTER"):
        return ""
    if a[0] == "ADD":
        return "add-constraint" if a[1:2] and a[1] in _CONSTRAINT_KINDS else "add-column"
    return {"RENAME": "rename-column", "DROP": "drop-column", "ALTER": "alter-column"}.get(a[0], "")


def column_at(action: list[Tok], i: int, *optional: tuple[str, ...]) -> tuple[str, int]:
    """The column an action names at action[i], past COLUMN and each optional word run
    (IF EXISTS, IF NOT EXISTS) that is there; returns (name, next index)."""
    i = skip(action, i, "COLUMN")
    for words in optional:
        i = skip(action, i, *words)
    return name_at(action, i)


def do_body(toks: list[Tok]) -> Tok | None:
    """The dollar-quoted body of a DO statement (None for any other statement)."""
    if not toks or toks[0].word != "DO":
        return None
    return next((t for t in toks if t.kind is Kind.DOLLAR), None)


def inner_statements(toks: list[Tok]) -> Iterator[list[Tok]]:
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


def dynamic_statements(toks: list[Tok]) -> Iterator[list[Tok]]:
    """DDL held in string literals (EXECUTE format('ALTER TABLE %I ...')), placeholders
    turned into names."""
    for t in toks:
        if t.kind is Kind.STRING and _DDL_START.match(t.text[1:-1]):
            text = _PLACEHOLDER.sub(lambda m: _MARK + m.group(0)[1:], t.text[1:-1])
            try:
                yield tokens(text, t.start + 1)
            except sqllex.LexError:
                continue  # not SQL after all
