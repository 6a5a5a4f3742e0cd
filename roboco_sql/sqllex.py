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


# One pass of one pattern per token, in the order the branches used to be tried: what a
# regular expression can end (spaces, comments to the end of the line, words, numbers, plain
# quoted runs) ends there; nested comments, E'' strings and dollar quotes are finished by hand.
_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<line>--[^\n]*)"
    r"|(?P<block>/\*)"
    r"|(?P<string>'(?:[^']|'')*'(?!'))"
    r"|(?P<quote>')"
    r'|(?P<ident>"(?:[^"]|"")*"(?!"))'
    r'|(?P<dquote>")'
    rf"|(?P<dollar>{_DOLLAR_TAG.pattern})"
    r"|(?P<cast>::)"
    rf"|(?P<param>{_PARAM.pattern})"
    r"|(?P<semi>;)"
    rf"|(?P<word>{_WORD.pattern})"
    rf"|(?P<number>{_NUMBER.pattern})"
    r"|(?P<other>.)",
    re.S,
)
# Inside a statement whose leading words are known and which is no routine body, only ';',
# the parentheses and what may hide a ';' (quotes, comments, dollar quotes) matter: a run of
# the other tokens, matched as _TOKEN matches them (so a '$' inside a word or after a
# parameter is where _TOKEN would see it), is passed in one match.
_PLAIN_RUN = re.compile(
    rf"(?:\s+|::|{_PARAM.pattern}|{_WORD.pattern}|{_NUMBER.pattern}"
    r"|[^;()'\"$\-/]|-(?!-)|/(?!\*))+"
)
_SIMPLE = {
    "space": Kind.SPACE,
    "line": Kind.COMMENT,
    "ident": Kind.IDENT,
    "cast": Kind.CAST,
    "param": Kind.PARAM,
    "semi": Kind.SEMI,
    "word": Kind.WORD,
    "number": Kind.OTHER,
    "other": Kind.OTHER,
}


def tokenize(text: str) -> Iterator[Token]:
    i = 0
    n = len(text)
    match = _TOKEN.match
    while i < n:
        m = match(text, i)
        assert m is not None  # the last alternative takes any one character
        group = m.lastgroup
        end = m.end()
        kind = _SIMPLE.get(group)  # type: ignore[arg-type]
        if kind is None:
            kind, end = _finish(text, i, end, group)
        yield Token(kind, text[i:end], i)
        i = end


def _finish(text: str, i: int, end: int, group: str | None) -> tuple[Kind, int]:
    """The kind and end of a token the pattern alone cannot end."""
    if group == "block":
        return Kind.COMMENT, _block_comment_end(text, i)
    if group in ("string", "quote"):
        escaped = i > 0 and text[i - 1] in "eE" and (i < 2 or not _is_word_char(text[i - 2]))
        if group == "quote" or escaped:
            end = _quoted_end(text, i, "'", backslash=escaped)
        return Kind.STRING, end
    if group == "dquote":
        return Kind.IDENT, _quoted_end(text, i, '"', backslash=False)
    close = text.find(text[i:end], end)  # a dollar quote: the same tag closes it
    if close < 0:
        raise LexError(f"unterminated dollar quote {text[i:end]}", i)
    return Kind.DOLLAR, close + (end - i)


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
    routine = False  # the statement so far is CREATE [OR REPLACE] FUNCTION/PROCEDURE
    # tokenize() inlined, without a Token per token: most of a chain's load time was those
    i, n, match, plain_run = 0, len(text), _TOKEN.match, _PLAIN_RUN.match
    while i < n:
        if len(words) >= lead_words and len(head) == 4 and not routine:
            run = plain_run(text, i)
            if run is not None:
                i = run.end()
                continue
        m = match(text, i)
        assert m is not None  # the last alternative takes any one character
        start, i, group = i, m.end(), m.lastgroup
        if group in {"space", "line"}:
            continue
        if group == "semi" and parens == 0 and begins == 0:
            if first is not None:
                out.append(Statement(text[first:start], first, tuple(words)))
            first, words, head, routine = None, [], [], False
            continue
        if group not in _SIMPLE:
            kind, i = _finish(text, start, i, group)
            if kind is Kind.COMMENT:
                continue
        if first is None:
            first = start
        if group not in {"word", "number", "other"}:
            continue  # strings, identifiers, dollar quotes, casts, parameters: no keyword
        word = text[start:i]
        if len(words) < lead_words:
            words.append(word.upper())
        if len(head) < 4:
            head.append(word.upper())
            routine = tuple(head[:2]) in _ROUTINE or tuple(head) in _OR_REPLACE_ROUTINE
        if word == "(":
            parens += 1
        elif word == ")":
            parens -= parens > 0
        elif routine and group == "word" and parens == 0:
            upper = word.upper()
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
