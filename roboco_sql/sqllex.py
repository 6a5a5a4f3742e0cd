"""A small SQL lexer: just enough PostgreSQL to find statement ends and :name parameters.

Written by hand because no maintained library does this one job: sqlparse is slow and does
not know dollar quotes in every position, and psycopg's own parser handles only %s. It knows
quoted strings (with E'' escapes), quoted identifiers, dollar-quoted bodies, line and nested
block comments, and the :: cast operator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    SPACE = "space"
    COMMENT = "comment"
    STRING = "string"
    IDENT = "ident"  # "quoted identifier"
    DOLLAR = "dollar"  # $tag$ ... $tag$
    PARAM = "param"  # :name
    CAST = "cast"  # ::
    SEMI = "semi"
    WORD = "word"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    start: int


class LexError(ValueError):
    """Unterminated string, identifier, comment or dollar quote; start is its offset."""

    def __init__(self, message: str, start: int) -> None:
        super().__init__(message)
        self.start = start


# Identifier characters as PostgreSQL reads them: ASCII letters and _ (then digits, and $ in
# words), and every non-ASCII character. Written as "anything but the other ASCII": a class of
# ranges up to U+FFFF took 15 ms to compile, a third of a no-op migrate's own work.
_WORD = re.compile(
    r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f][^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*"
)
_SPACE = re.compile(r"\s+")
_DOLLAR_TAG = re.compile(
    r"\$([^\x00-\x40\x5b-\x5e\x60\x7b-\x7f][^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*)?\$"
)
_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")
_NUMBER = re.compile(r"\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+")


def _quoted_end(text: str, start: int, quote: str, backslash: bool) -> int:
    """Offset just past the closing quote of a quoted run that opens at start."""
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if backslash and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < n and text[i + 1] == quote:  # doubled quote is an escaped quote
                i += 2
                continue
            return i + 1
        i += 1
    kind = "identifier" if quote == '"' else "string"
    raise LexError(f"unterminated quoted {kind}", start)


def _block_comment_end(text: str, start: int) -> int:
    depth = 0
    i = start
    n = len(text)
    while i < n:
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    raise LexError("unterminated block comment", start)


def tokenize(text: str) -> Iterator[Token]:
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            end = _SPACE.match(text, i).end()  # type: ignore[union-attr]
            yield Token(Kind.SPACE, text[i:end], i)
        elif text.startswith("--", i):
            nl = text.find("\n", i)
            end = n if nl < 0 else nl
            yield Token(Kind.COMMENT, text[i:end], i)
        elif text.startswith("/*", i):
            end = _block_comment_end(text, i)
            yield Token(Kind.COMMENT, text[i:end], i)
        elif ch == "'":
            escaped = i > 0 and text[i - 1] in "eE" and (i < 2 or not _is_word_char(text[i - 2]))
            end = _quoted_end(text, i, "'", backslash=escaped)
            yield Token(Kind.STRING, text[i:end], i)
        elif ch == '"':
            end = _quoted_end(text, i, '"', backslash=False)
            yield Token(Kind.IDENT, text[i:end], i)
        elif ch == "$" and (m := _DOLLAR_TAG.match(text, i)):
            tag = m.group(0)
            close = text.find(tag, m.end())
            if close < 0:
                raise LexError(f"unterminated dollar quote {tag}", i)
            end = close + len(tag)
            yield Token(Kind.DOLLAR, text[i:end], i)
        elif text.startswith("::", i):
            yield Token(Kind.CAST, "::", i)
            end = i + 2
        elif ch == ":" and (m := _PARAM.match(text, i)):
            end = m.end()
            yield Token(Kind.PARAM, text[i:end], i)
        elif ch == ";":
            end = i + 1
            yield Token(Kind.SEMI, ";", i)
        elif m := _WORD.match(text, i):
            end = m.end()
            yield Token(Kind.WORD, text[i:end], i)
        elif m := _NUMBER.match(text, i):
            end = m.end()
            yield Token(Kind.OTHER, text[i:end], i)
        else:
            end = i + 1
            yield Token(Kind.OTHER, ch, i)
        i = end


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@dataclass(frozen=True, slots=True)
class Statement:
    """One top-level statement: its text (without the ;) and where it starts."""

    text: str
    start: int
    words: tuple[str, ...]  # its leading keywords, upper-cased, comments skipped

    def startswith(self, *words: str) -> bool:
        return self.words[: len(words)] == words


_ROUTINE = {("CREATE", "FUNCTION"), ("CREATE", "PROCEDURE")}
_OR_REPLACE_ROUTINE = {
    ("CREATE", "OR", "REPLACE", "FUNCTION"),
    ("CREATE", "OR", "REPLACE", "PROCEDURE"),
}


def split(text: str, lead_words: int = 6) -> list[Statement]:
    """Top-level statements of a script; comment-only pieces are dropped.

    As in psql, a ; inside parentheses or inside the BEGIN ATOMIC ... END body of a
    CREATE [OR REPLACE] FUNCTION/PROCEDURE does not end the statement.
    """
    out: list[Statement] = []
    first: int | None = None
    words: list[str] = []
    head: list[str] = []  # the first four words, to spot CREATE [OR REPLACE] FUNCTION
    parens = begins = 0
    for tok in tokenize(text):
        if tok.kind is Kind.SEMI and parens == 0 and begins == 0:
            if first is not None:
                out.append(Statement(text[first : tok.start], first, tuple(words)))
            first, words, head = None, [], []
            continue
        if tok.kind in (Kind.SPACE, Kind.COMMENT):
            continue
        if first is None:
            first = tok.start
        upper = tok.text.upper()
        if len(words) < lead_words and tok.kind in (Kind.WORD, Kind.OTHER):
            words.append(upper)
        if len(head) < 4 and tok.kind in (Kind.WORD, Kind.OTHER):
            head.append(upper)
        if upper == "(":
            parens += 1
        elif upper == ")" and parens > 0:
            parens -= 1
        elif (
            tok.kind is Kind.WORD
            and parens == 0
            and (tuple(head[:2]) in _ROUTINE or tuple(head) in _OR_REPLACE_ROUTINE)
        ):
            if upper == "BEGIN" or (upper == "CASE" and begins > 0):
                begins += 1
            elif upper == "END" and begins > 0:
                begins -= 1
    if first is not None:
        out.append(Statement(text[first:].rstrip(), first, tuple(words)))
    return out


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character offset."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col
