"""A migration file's layout: its header comments, and where its up part and down section lie.

A file is plain SQL behind a few header comments:

    -- revision: 016_add_products_product_id
    -- down_revision: 015_drop_task_execution_outputs
    -- transaction: none        (optional; default per-file)
    -- lock_timeout: 10s        (optional; default 5s)
    -- supersedes: <sha256>, ... (optional: checksums of earlier versions of this file that
                                 an applied database may have recorded; accepted, re-recorded)
    <the up SQL>

    -- down
    -- irreversible: <reason>    (optional: going back loses data; refused without a flag)
    <the down SQL: the reverse, run when the operator goes back past this revision>

Nothing here reads the SQL itself (soundness.py does): this is the cheap part of loading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ID = 32
DEFAULT_LOCK_TIMEOUT = "5s"
DOWN_MARKER = "-- down"

_ID = re.compile(r"[a-z0-9_]+")
_HEADER = re.compile(r"--\s*(revision|down_revision|transaction|lock_timeout|supersedes)\s*:(.*)$")
_CHECKSUM = re.compile(r"[0-9a-f]{64}")
_TIMEOUT = re.compile(r"\d+\s*(ms|s|min|h)?")
_IRREVERSIBLE = re.compile(r"--\s*irreversible\s*:(.*)$")

# header key -> (value, line); a key not given is absent
Headers = dict[str, tuple[str, int]]


def normalize(raw: bytes) -> bytes:
    """Content as checksummed: BOM stripped, CRLF folded to LF, so checkouts agree."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.replace(b"\r\n", b"\n")


def read_headers(name: str, text: str, problems: list[str]) -> Headers:
    """The header block's values (the comment lines before the first statement); a key given
    twice is a problem, and the later value wins."""
    headers: Headers = {}
    for lineno, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            break
        match = _HEADER.match(stripped)
        if match:
            key, value = match.group(1), match.group(2).strip()
            if key in headers:
                problems.append(f"{name}:{lineno}: header '{key}' given twice")
            headers[key] = (value, lineno)
    return headers


def revision_problems(name: str, headers: Headers) -> list[str]:
    """What is wrong with the revision and down_revision headers (file:line: message)."""
    revision, line = headers.get("revision", ("", 1))
    problems: list[str] = []
    if "revision" not in headers:
        problems.append(f"{name}:1: missing '-- revision:' header")
    elif not revision:
        problems.append(f"{name}:{line}: empty revision id")
    elif len(revision) > MAX_ID:
        problems.append(
            f"{name}:{line}: revision id '{revision}' is {len(revision)} "
            f"characters; the version column holds at most {MAX_ID}"
        )
    elif not _ID.fullmatch(revision):
        problems.append(f"{name}:{line}: revision id '{revision}' may use only a-z, 0-9 and _")
    if "down_revision" not in headers:
        problems.append(
            f"{name}:1: missing '-- down_revision:' header (leave it empty for the base)"
        )
    down, down_line = headers.get("down_revision", ("", 1))
    if down and not _ID.fullmatch(down):
        problems.append(f"{name}:{down_line}: down_revision '{down}' is not a valid id")
    return problems


def option_problems(name: str, headers: Headers) -> list[str]:
    """What is wrong with the optional headers: transaction, lock_timeout, supersedes."""
    problems: list[str] = []
    mode, mode_line = headers.get("transaction", ("per-file", 1))
    if mode not in ("per-file", "none"):
        problems.append(
            f"{name}:{mode_line}: transaction must be 'per-file' or 'none', got '{mode}'"
        )
    timeout, timeout_line = headers.get("lock_timeout", (DEFAULT_LOCK_TIMEOUT, 1))
    if not _TIMEOUT.fullmatch(timeout):
        problems.append(
            f"{name}:{timeout_line}: lock_timeout '{timeout}' is not a "
            "duration like 5s, 500ms or 1min"
        )
    _older, older_line = headers.get("supersedes", ("", 1))
    if any(not _CHECKSUM.fullmatch(c) for c in supersedes(headers)):
        problems.append(f"{name}:{older_line}: supersedes takes sha256 checksums (64 hex digits)")
    return problems


def supersedes(headers: Headers) -> tuple[str, ...]:
    """The checksums the supersedes header lists (comma-separated, blanks ignored)."""
    older, _line = headers.get("supersedes", ("", 1))
    return tuple(part.strip() for part in older.split(",") if part.strip())


def value_column(line: str) -> int:
    """1-based column where a header line's value starts (past the colon and the blanks)."""
    after = line.index(":") + 1
    return after + len(line[after:]) - len(line[after:].lstrip()) + 1


@dataclass(frozen=True)
class Sections:
    """Where a file's up part ends and its down section starts (see the module docstring)."""

    up_end: int  # offset just past the up part (its trailing blank lines excluded)
    down_start: int | None  # offset of the first character after the `-- down` line
    irreversible: str | None  # the reason given by `-- irreversible:`, if any
    irreversible_line: int = 0  # its line (0: none), for problems


def sections(text: str) -> Sections:
    """Split a file's text at its `-- down` line (the first line that is exactly that, trailing
    blanks aside)."""
    offset = 0
    marker: int | None = None
    for line in text.split("\n"):
        if line.rstrip() == DOWN_MARKER:
            marker = offset
            break
        offset += len(line) + 1
    if marker is None:
        return Sections(len(text), None, None)
    up = text[:marker].split("\n")  # ends with "" (the marker's line start)
    while len(up) > 1 and not up[-2].strip():
        up.pop(-2)
    up_end = len("\n".join(up))
    down_start = min(len(text), marker + len(text[marker:].split("\n", 1)[0]) + 1)
    reason, reason_line = _irreversible(text, down_start)
    return Sections(up_end, down_start, reason, reason_line)


def _irreversible(text: str, down_start: int) -> tuple[str | None, int]:
    """The `-- irreversible:` reason among the comment lines that open the down section, and
    its line (None, 0 when there is none)."""
    line_no = text.count("\n", 0, down_start) + 1
    for line in text[down_start:].split("\n"):
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        if match := _IRREVERSIBLE.match(stripped):
            return match.group(1).strip(), line_no
        line_no += 1
    return None, 0
