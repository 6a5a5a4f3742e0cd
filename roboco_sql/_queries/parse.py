"""One query file's text -> its compiled queries: lexer -> blocks -> compiler.

The parser is deliberately dumb: it splits the file at ``-- name:`` lines, takes leading
``--`` lines as the docstring, keeps one statement per block and turns ``:name`` parameters
into ``$n``. Everything else in the SQL is passed on verbatim, so ``%`` and ``::type`` casts
need no escaping.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from roboco_sql import sqllex
from roboco_sql._queries.query import KINDS, Query, QueryFileError, QueryKind
from roboco_sql.sqllex import Kind as Tok

_HEADER = re.compile(r"--\s*name\s*:(.*)$")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# a statement naming one of these can fail on a constraint (or a lock) after changing nothing
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
BLANK = (Tok.SPACE, Tok.COMMENT)
_LineOf = Callable[[sqllex.Token], int]


def parse(text: str, file: str) -> list[Query]:
    """The queries of one file's text; `file` is the name used in comments and errors."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    try:
        tokens = list(sqllex.tokenize(text))
    except sqllex.LexError as exc:
        line, col = sqllex.line_col(text, exc.start)
        raise QueryFileError(file, line, f"{exc} (column {col})") from None

    def line_of(tok: sqllex.Token) -> int:
        return sqllex.line_col(text, tok.start)[0]

    out: list[Query] = []
    lines: dict[str, int] = {}
    for header, body in _blocks(text, tokens, file, line_of):
        line = line_of(header)
        name, kind = _header(header.text, file, line)
        if name in lines:
            raise QueryFileError(
                file, line, f"duplicate query name {name!r} (first at line {lines[name]})"
            )
        lines[name] = line
        doc, stmt = _split_doc(body)
        stmt = _one_statement(stmt, file, name, line_of)
        if not any(t.kind not in BLANK for t in stmt):
            raise QueryFileError(file, line, f"query {name!r} has no SQL")
        sql, params = _compile(stmt, file, name, text, line_of)
        out.append(
            Query(
                name=name,
                kind=kind,
                sql=f"/* {file}:{name} */\n{sql}",
                params=params,
                doc=doc,
                file=file,
                line=line,
                writes=any(t.kind is Tok.WORD and t.text.upper() in _WRITES for t in stmt),
            )
        )
    return out


def _blocks(
    text: str, tokens: list[sqllex.Token], file: str, line_of: _LineOf
) -> list[tuple[sqllex.Token, list[sqllex.Token]]]:
    """Each `-- name:` comment with the tokens up to the next; nothing but blanks before the
    first."""
    preamble: list[sqllex.Token] = []
    blocks: list[tuple[sqllex.Token, list[sqllex.Token]]] = []
    body = preamble
    for tok in tokens:
        if tok.kind is Tok.COMMENT and _HEADER.match(tok.text):
            if text[text.rfind("\n", 0, tok.start) + 1 : tok.start].strip():
                raise QueryFileError(file, line_of(tok), "'-- name:' must start its own line")
            body = []
            blocks.append((tok, body))
        else:
            body.append(tok)
    stray = next((t for t in preamble if t.kind not in BLANK), None)
    if stray is not None:
        raise QueryFileError(file, line_of(stray), "SQL before the first '-- name:' line")
    return blocks


def _header(comment: str, file: str, line: int) -> tuple[str, QueryKind]:
    m = _HEADER.match(comment)
    assert m is not None
    parts = m.group(1).split()
    usage = "expected '-- name: <name> :<kind>'"
    if not parts or parts[0].startswith(":"):
        raise QueryFileError(file, line, f"query has no name; {usage}")
    name = parts[0]
    if not IDENT.fullmatch(name):
        raise QueryFileError(file, line, f"query name {name!r} is not an identifier; {usage}")
    if len(parts) == 1:
        raise QueryFileError(file, line, f"query {name!r} has no kind; expected one of {KINDS}")
    raw = parts[1]
    try:
        kind = QueryKind(raw.removeprefix(":")) if raw.startswith(":") else None
    except ValueError:
        kind = None
    if kind is None:
        raise QueryFileError(
            file, line, f"query {name!r} has unknown kind {raw!r}; expected one of {KINDS}"
        )
    if len(parts) > 2:
        raise QueryFileError(file, line, f"unexpected text after the kind: {' '.join(parts[2:])!r}")
    return name, kind


def _split_doc(body: list[sqllex.Token]) -> tuple[str, list[sqllex.Token]]:
    """Leading `--` lines are the docstring; the SQL starts at the first other token."""
    doc: list[str] = []
    i = 0
    while i < len(body) and (
        body[i].kind is Tok.SPACE or (body[i].kind is Tok.COMMENT and body[i].text.startswith("--"))
    ):
        if body[i].kind is Tok.COMMENT:
            line = body[i].text[2:]
            doc.append(line[1:] if line.startswith(" ") else line)
        i += 1
    return "\n".join(doc).strip(), body[i:]


def _one_statement(
    stmt: list[sqllex.Token], file: str, name: str, line_of: _LineOf
) -> list[sqllex.Token]:
    """The tokens before the first `;`, refusing anything but comments after it."""
    semi = next((i for i, t in enumerate(stmt) if t.kind is Tok.SEMI), len(stmt))
    after = next((t for t in stmt[semi:] if t.kind not in (*BLANK, Tok.SEMI)), None)
    if after is not None:
        raise QueryFileError(file, line_of(after), f"query {name!r} has more than one statement")
    end = semi
    while end > 0 and stmt[end - 1].kind in BLANK:
        end -= 1
    return stmt[:end]


def _compile(
    stmt: list[sqllex.Token], file: str, name: str, text: str, line_of: _LineOf
) -> tuple[str, tuple[str, ...]]:
    """`:name` -> `$n` (first use numbers it, repeats reuse it); everything else verbatim."""
    numbers: dict[str, int] = {}
    out: list[str] = []
    for i, tok in enumerate(stmt):
        nxt = stmt[i + 1] if i + 1 < len(stmt) else None
        if tok.kind is Tok.PARAM:
            before = text[tok.start - 1] if tok.start > 0 else " "
            if before.isalnum() or before in "_]).\"'$":
                raise QueryFileError(
                    file,
                    line_of(tok),
                    f"{tok.text} directly after {before!r} in query {name!r} reads as an "
                    "array slice; write 'lo : hi' for a slice, or separate the parameter",
                )
            param = tok.text[1:]
            out.append(f"${numbers.setdefault(param, len(numbers) + 1)}")
            continue
        follower = nxt is not None and nxt.start == tok.start + 1 and tok.kind is Tok.OTHER
        if follower and tok.text == "$" and nxt is not None and nxt.text.isdigit():
            raise QueryFileError(
                file,
                line_of(tok),
                f"positional ${nxt.text} in query {name!r}; use :name parameters",
            )
        if follower and tok.text == ":" and nxt is not None and nxt.kind in (Tok.STRING, Tok.IDENT):
            raise QueryFileError(
                file,
                line_of(tok),
                f"psql variable :{nxt.text} in query {name!r}; use :name parameters",
            )
        out.append(tok.text)
    return "".join(out), tuple(numbers)
