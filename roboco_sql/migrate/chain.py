"""Loading a chain of migration files, with no database involved, and refusing an unsound one.

The chain is strictly linear: one base, one head, every parent present, no fork, no cycle,
and the files sort by name in chain order. The parts live beside this module: the file
layout (fileformat.py), the Migration record and its checksum (migration.py), the Chain and
its walks (linear.py), and the rules for the SQL inside a file (soundness.py); their public
names are importable from here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path

from roboco_sql.errors import ChainError
from roboco_sql.migrate.additions import load as load_additions
from roboco_sql.migrate.fileformat import (
    DEFAULT_LOCK_TIMEOUT,
    DOWN_MARKER,
    MAX_ID,
    Sections,
    normalize,
    option_problems,
    read_headers,
    revision_problems,
    sections,
    supersedes,
    value_column,
)
from roboco_sql.migrate.linear import Chain
from roboco_sql.migrate.migration import Migration, checksum_of
from roboco_sql.migrate.soundness import (
    autocommit_only,
    meta_command,
    require_sound,
    resume_unsafe,
    statement_problems,
    transaction_control,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DOWN_MARKER",
    "DOWN_REQUIRED",
    "MAX_ID",
    "Chain",
    "Migration",
    "Sections",
    "autocommit_only",
    "check_problems",
    "checksum_of",
    "default_dir",
    "load_chain",
    "meta_command",
    "misnamed",
    "missing_downs",
    "normalize",
    "require_sound",
    "resume_unsafe",
    "sections",
    "statement_problems",
    "transaction_control",
    "validate",
]

# Every file of a chain must have a down section (`check` reports one without): on since
# all 94 of RoboCo's revisions have theirs (issue 23).
DOWN_REQUIRED = True

# a file is named after its revision, behind an optional number that sorts the files
_NUMBERED = re.compile(r"\d+_(.+)")


def default_dir() -> Path:
    """The chain shipped inside the package (works from a wheel as from the repo)."""
    return Path(str(files("roboco_sql").joinpath("sql", "migrations")))


def _read(path: Path, problems: list[str], deep: bool = True) -> Migration | None:
    """One file as a Migration, or None with its problems added (header problems, and with
    deep its statement problems too)."""
    raw = normalize(path.read_bytes())
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        problems.append(f"{path.name}:{bad_line}: not valid UTF-8")
        return None
    headers = read_headers(path.name, text, problems)
    count = len(problems)
    problems += revision_problems(path.name, headers) + option_problems(path.name, headers)
    parts = sections(text)
    if parts.irreversible == "":
        problems.append(
            f"{path.name}:{parts.irreversible_line}: '-- irreversible:' must say what is lost"
        )
    revision, rev_line = headers.get("revision", ("", 1))
    down, down_line = headers.get("down_revision", ("", 1))
    mode, _mode_line = headers.get("transaction", ("per-file", 1))
    migration = Migration(
        revision=revision,
        down_revision=down or None,
        path=path,
        text=text,
        checksum=checksum_of(text, parts),
        transactional=mode != "none",
        lock_timeout=headers.get("lock_timeout", (DEFAULT_LOCK_TIMEOUT, 1))[0],
        revision_line=rev_line,
        down_line=down_line,
        supersedes=supersedes(headers),
        up_end=parts.up_end,
        down_start=parts.down_start,
        irreversible=parts.irreversible or None,
    )
    if deep:
        problems += statement_problems(migration)
    return migration if len(problems) == count else None


@dataclass(frozen=True)
class _Links:
    """The files by revision id, and the children of each parent (None: the bases)."""

    by_id: dict[str, Migration]
    children: dict[str | None, list[Migration]]


def _link(read: list[Migration], problems: list[str]) -> _Links:
    """Index the files by revision and by parent; a revision declared twice, or a parent
    that is not in the chain, is a problem."""
    by_id: dict[str, Migration] = {}
    for m in read:
        if m.revision in by_id:
            problems.append(
                f"{m.name}:{m.revision_line}: revision '{m.revision}' is also declared by "
                f"{by_id[m.revision].name}"
            )
        else:
            by_id[m.revision] = m
    children: dict[str | None, list[Migration]] = {}
    for m in by_id.values():
        children.setdefault(m.down_revision, []).append(m)
        if m.down_revision is not None and m.down_revision not in by_id:
            problems.append(
                f"{m.name}:{m.down_line}: down_revision '{m.down_revision}' names no revision "
                "in this chain"
            )
    return _Links(by_id, children)


def _shape_problems(read: list[Migration], links: _Links) -> list[str]:
    """One base, no fork."""
    problems: list[str] = []
    bases = links.children.get(None, [])
    if not bases:
        problems.append(
            f"{read[0].name}:{read[0].down_line}: no base revision "
            "(a file with an empty down_revision)"
        )
    elif len(bases) > 1:
        problems.append(
            f"{bases[1].name}:{bases[1].down_line}: {len(bases)} base revisions: "
            + ", ".join(m.name for m in bases)
        )
    for parent, kids in links.children.items():
        if parent is not None and len(kids) > 1:
            problems.append(
                f"{kids[1].name}:{kids[1].down_line}: fork: "
                f"{', '.join(k.name for k in kids)} all follow '{parent}'"
            )
    return problems


def _walk(links: _Links) -> list[Migration]:
    """The revisions reached from the (one) base, parent before child."""
    order: list[Migration] = []
    current: Migration | None = links.children[None][0]
    while current is not None:
        order.append(current)
        kids = links.children.get(current.revision, [])
        current = kids[0] if kids else None
    return order


def _order_problems(read: list[Migration], order: list[Migration], links: _Links) -> list[str]:
    """A cycle (revisions the walk from the base never reaches), else the first file whose
    name sorts elsewhere than its place in the chain."""
    if len(order) != len(links.by_id):
        stray = sorted(set(links.by_id) - {m.revision for m in order})
        first = min((links.by_id[r] for r in stray), key=lambda m: m.name)
        return [
            f"{first.name}:{first.down_line}: cycle: {', '.join(stray)} cannot be reached "
            "from the base"
        ]
    for position, (by_name, by_chain) in enumerate(zip(read, order, strict=True)):
        if by_name is not by_chain:
            return [
                f"{by_name.name}:1: file order differs from chain order: "
                f"position {position + 1} in the chain is {by_chain.name}"
            ]
    return []


def validate(
    directory: Path, *, deep: bool = True, empty_ok: bool = False
) -> tuple[Chain | None, list[str]]:
    """Every problem of a chain directory (file:line: message), and the chain if none; not
    deep: the headers, the chain's shape and the checksums only (see statement_problems).

    A directory without a .sql file is a problem (a mistyped --migrations-dir would otherwise
    be a valid chain of nothing); empty_ok is for `new`, which starts a chain there.
    """
    if not directory.is_dir():
        return None, [f"{directory}: no such migrations directory"]
    paths = sorted(p for p in directory.iterdir() if p.suffix == ".sql" and p.is_file())
    if not paths:
        return (Chain((), directory), []) if empty_ok else (None, [_no_revisions(directory)])
    problems: list[str] = []
    read = [m for p in paths if (m := _read(p, problems, deep)) is not None]
    if len(read) != len(paths):
        return None, problems
    links = _link(read, problems)
    problems += _shape_problems(read, links)
    if problems:
        return None, problems
    order = _walk(links)
    if problems := _order_problems(read, order, links):
        return None, problems
    return Chain(tuple(order), directory), []


def _no_revisions(directory: Path) -> str:
    return f"no revisions in {directory}: it holds no .sql files"


def missing_downs(chain: Chain) -> list[str]:
    """`check`'s problems for files without a down section (none while not DOWN_REQUIRED)."""
    if not DOWN_REQUIRED:
        return []
    return [
        f"{m.name}:1: no down section (a '-- down' line, then the SQL that undoes the file)"
        for m in chain
        if not m.has_down
    ] + [f"{a.path.name}:1: no down section" for a in chain.additions if a.down_start is None]


def misnamed(chain: Chain) -> list[str]:
    """`check`'s problems for files not named after their revision (REVISION.sql, or
    NNN_REVISION.sql): `migrate --to`, history and every message name the revision, and an
    operator finds the file by it. Check-only, as the loader reads chains of any names."""
    problems: list[str] = []
    for m in chain:
        stem = m.path.stem
        numbered = _NUMBERED.fullmatch(stem)
        if m.revision == stem or (numbered is not None and numbered.group(1) == m.revision):
            continue
        line = m.text.split("\n")[m.revision_line - 1]
        problems.append(
            f"{m.name}:{m.revision_line}:{value_column(line)}: revision '{m.revision}' does not "
            f"match the file name {m.name} (name the file {m.revision}.sql)"
        )
    return problems


def check_problems(chain: Chain) -> list[str]:
    """What `check` refuses in a chain the loader accepted: files without a down section,
    files not named after their revision."""
    return missing_downs(chain) + misnamed(chain)


def load_chain(
    directory: Path | None = None,
    additions_dir: Path | None = None,
    *,
    deep: bool = True,
    empty_ok: bool = False,
) -> Chain:
    """The validated chain, or ChainError listing every problem.

    The shipped chain comes with the shipped additions; another directory has none unless
    additions_dir names them. Not deep: the files' SQL is checked by the runner for the steps
    it runs (require_sound), not here.
    """
    chain, problems = validate(directory or default_dir(), deep=deep, empty_ok=empty_ok)
    if chain is None:
        raise ChainError(problems)
    if directory is None or additions_dir is not None:
        revisions = {m.revision for m in chain}
        chain = replace(chain, additions=load_additions(additions_dir, revisions))
    return chain
