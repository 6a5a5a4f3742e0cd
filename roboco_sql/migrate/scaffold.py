"""`new NAME`: the next numbered file of the chain, with its headers and down section."""

from __future__ import annotations

import re
from pathlib import Path

from roboco_sql.errors import ValidationError
from roboco_sql.migrate.chain import MAX_ID, load_chain

_NAME = re.compile(r"[a-z0-9_]+")
_NUMBER = re.compile(r"(\d+)_")
WIDTH = 3


def new_revision(directory: Path, name: str) -> Path:
    """Write NNN_name.sql after the chain's head; nothing is written when name is refused."""
    if not _NAME.fullmatch(name):
        raise ValidationError(
            f"revision name '{name}' may use only a-z, 0-9 and _ (the file is NNN_name.sql)"
        )
    chain = load_chain(directory, empty_ok=True)
    numbers = [int(m.group(1)) for p in directory.glob("*.sql") if (m := _NUMBER.match(p.name))]
    number = max(numbers, default=0) + 1
    if number >= 10**WIDTH:
        raise ValidationError(
            f"the chain has reached {number - 1}; {WIDTH}-digit file numbers would no longer "
            "sort in chain order"
        )
    revision = f"{number:0{WIDTH}d}_{name}"
    if len(revision) > MAX_ID:
        raise ValidationError(
            f"revision id '{revision}' would be {len(revision)} characters; the version column "
            f"holds at most {MAX_ID}, so the name may have at most "
            f"{MAX_ID - len(revision) + len(name)}"
        )
    path = directory / f"{revision}.sql"
    text = (
        f"-- revision: {revision}\n"
        f"-- down_revision: {chain.head or ''}\n"
        "-- What this revision changes and why (the header comments are its documentation).\n"
        "-- Add '-- transaction: none' for CREATE INDEX CONCURRENTLY and the like.\n"
        "\n"
        "\n"
        "-- down\n"
        "-- Below: the SQL that undoes this file, run when an operator goes back past it (in\n"
        "-- one transaction). Going back loses data? Say what, as the line after '-- down':\n"
        "-- '-- irreversible: REASON'. Nothing to undo? Leave a comment saying why.\n"
    )
    with path.open("x", encoding="utf-8") as f:  # never overwrite
        f.write(text)
    return path
