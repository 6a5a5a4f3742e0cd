"""backup and restore: pg_dump / pg_restore of the server's own major version.

A backup is pg_dump's custom format (-Fc) of the whole database: RoboCo's tables, the
migration history in the roboco_sql schema, the pgvector extension. Tokens travel as the
ciphertexts they are; the key is not in the database, so a backup restored without it has
everything but readable credentials.

The tools are looked up for the server's major version (pg_dump refuses newer servers, and
an archive is readable only by a pg_restore at least as new): the embedded wheel's first
(it ships 16 and 18), then PATH, then Debian's /usr/lib/postgresql/<major>/bin. The
password never reaches a command line: it goes to the child through PGPASSWORD, and the
rest of the connection through --dbname.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from roboco_sql import embedded
from roboco_sql.config import describe, normalize_url
from roboco_sql.db import connect
from roboco_sql.errors import ConfigError, RobocoSQLError, ValidationError
from roboco_sql.redact import redact

__all__ = [
    "BackupError",
    "DatabaseNotEmpty",
    "Tool",
    "backup",
    "check_target",
    "find_tool",
    "restore",
    "server_major",
    "user_tables",
]

# Schemas whose tables make a database "not empty" for restore.
SCHEMAS = ("public", "roboco_sql")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class BackupError(RobocoSQLError):
    """pg_dump or pg_restore failed; the message is its first error line."""


class DatabaseNotEmpty(RobocoSQLError):
    """restore refuses a database that already holds tables."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class Tool:
    path: Path
    major: int


def server_major(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    return int(str(row[0])) // 10000


def _major_of(path: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def _candidates(name: str, major: int) -> list[Path]:
    found: list[Path] = []
    with suppress(ConfigError, KeyError):  # no embedded wheel, or it lacks this major
        found.append(embedded.bin_dir(major) / name)
    on_path = shutil.which(name)
    if on_path:
        found.append(Path(on_path))
    found.append(Path(f"/usr/lib/postgresql/{major}/bin") / name)
    return found


def find_tool(name: str, major: int) -> Tool:
    """pg_dump / pg_restore of exactly this major, or a ConfigError naming the one needed."""
    for path in _candidates(name, major):
        if path.is_file() and os.access(path, os.X_OK) and _major_of(path) == major:
            return Tool(path, major)
    raise ConfigError(
        f"the server is PostgreSQL {major} and no {name} {major} was found (looked in the "
        f"embedded wheel, PATH and /usr/lib/postgresql/{major}/bin); install "
        f"postgresql-client-{major} or put its {name} on PATH"
    )


def _child(url: str) -> tuple[str, dict[str, str]]:
    """--dbname value without the password, and the child's environment carrying it."""
    params = conninfo_to_dict(normalize_url(url))
    password = params.pop("password", None)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None}), env


def _run(tool: Tool, args: list[str], url: str, what: str) -> None:
    dbname, env = _child(url)
    proc = subprocess.run(
        [str(tool.path), *args, f"--dbname={dbname}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error:" in ln] or lines or [f"exit {proc.returncode}"]
        raise BackupError(redact(f"{what} failed: {errors[0]}", url))


def check_target(file: Path | str, *, force: bool = False) -> Path:
    """The backup's path, refused before any connection when it is empty, a directory, in a
    directory that does not exist, or an existing file without `force`."""
    if not isinstance(file, (str, Path)) or not str(file).strip():
        raise ValidationError("file: the backup path is empty")
    if "\x00" in str(file):
        raise ValidationError("file: the backup path contains a NUL character")
    path = Path(file)
    if path.is_dir():
        raise ValidationError(f"file: {path} is a directory; give the backup file's path")
    if not path.parent.is_dir():
        raise ValidationError(f"file: the directory {path.parent} does not exist")
    if path.exists() and not force:
        raise ValidationError(f"file: {path} exists; pass --force (force=True) to overwrite it")
    return path


def backup(url: str, file: Path | str, *, plain: bool = False, force: bool = False) -> Tool:
    """Dump the database at `url` to `file` (written whole or not at all); the pg_dump used.

    `plain=True` writes SQL text instead, for reading; restore() takes the custom format.
    An existing `file` is replaced only with `force` (check_target says what is refused).
    """
    file = check_target(file, force=force)
    with connect(url) as conn:
        major = server_major(conn)
    tool = find_tool("pg_dump", major)
    partial = file.with_name(f".{file.name}.partial")
    flag = "--format=plain" if plain else "--format=custom"
    try:
        _run(tool, [flag, f"--file={partial}"], url, f"pg_dump of {describe(url)} to {file}")
        partial.replace(file)
    finally:
        partial.unlink(missing_ok=True)
    return tool


def user_tables(conn: psycopg.Connection[Any]) -> list[str]:
    """Tables and views in public and roboco_sql, qualified, sorted."""
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class AS c "
        "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
        "ORDER BY 1",
        (list(SCHEMAS),),
    ).fetchall()
    return [str(r[0]) for r in rows]


def restore(url: str, file: Path | str) -> Tool:
    """Restore a custom-format backup into the EMPTY database at `url`, in one transaction.

    A database holding any table in public or roboco_sql (or a roboco_sql schema at all) is
    refused before anything is written. A failing restore rolls back whole, leaving the
    database as empty as it was. Returns the pg_restore used.
    """
    file = Path(file)
    if not file.is_file():
        raise ConfigError(f"no backup file at {file}")
    with connect(url) as conn:
        major = server_major(conn)
        tables = user_tables(conn)
        schema = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'roboco_sql'").fetchone()
    if tables or schema is not None:
        found = f"{len(tables)} table(s), e.g. {tables[0]}" if tables else "a roboco_sql schema"
        raise DatabaseNotEmpty(
            f"refusing to restore into {describe(url)}: it is not empty ({found}); "
            "restore into a new, empty database"
        )
    tool = find_tool("pg_restore", major)
    _run(
        tool,
        ["--no-owner", "--exit-on-error", "--single-transaction", str(file)],
        url,
        f"pg_restore of {file} into {describe(url)}",
    )
    return tool
