"""Operations on the stored tokens as a whole: which ones the keys open, and key rotation.

The encrypted columns are listed in COLUMNS: projects.git_token_encrypted,
provider_configs.auth_token_encrypted, and the *_encrypted columns of the singleton credential
rows (x, tiktok, telegram, github_app). `check_keys` counts, per column, the tokens the
configured keys can and cannot open; `rotate` rewrites every token under the newest key.
Neither ever returns, prints or logs a token: reports carry counts, and the slug or name
of each row whose token no key opens (for a credential row, the name of the value).

Rotation walks each column by id in batches. A batch is one transaction: lock the rows,
re-encrypt the ones the newest key cannot open yet, write them back (each only if its
ciphertext is still the one that was read), commit. An interrupted run leaves every batch
before the interruption done and the rest untouched; running again skips the tokens already
under the newest key and finishes the job.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import class_row

from roboco_sql import queries
from roboco_sql.crypto import SecretBox
from roboco_sql.db import connect_async
from roboco_sql.errors import ValidationError

__all__ = [
    "CheckReport",
    "ColumnCheck",
    "ColumnRotation",
    "RotationReport",
    "check_keys",
    "check_keys_at",
    "rotate",
    "rotate_at",
]

log = logging.getLogger("roboco_sql.keys")

_TEMPLATE = "encrypted_column.sql"


@dataclass(frozen=True, slots=True)
class _Column:
    """One encrypted column and the queries that page through and rewrite it."""

    name: str  # table.column, as reports show it
    kind: str  # "project" / "provider" / "x credentials", as unreadable rows are named
    page: queries.Query
    page_locked: queries.Query
    swap: queries.Query


def _column(table: str, column: str, kind: str, label: str) -> _Column:
    """The column's queries, rendered from the one template (identifiers are our own)."""
    key = f"{table}_{column}"
    page, page_locked, swap = queries.render(
        _TEMPLATE, key=key, table=table, column=column, label=label
    )
    return _Column(f"{table}.{column}", kind, page, page_locked, swap)


# The singleton credential rows (repos/credentials.py): <service>_credentials and the values
# stored there as <value>_encrypted; a row is named by the value's name.
_CREDENTIAL_COLUMNS = {
    "x": ("api_key", "api_secret", "access_token", "access_token_secret"),
    "tiktok": ("client_key", "client_secret", "access_token", "refresh_token"),
    "telegram": ("bot_token", "chat_id"),
    "github_app": ("private_key",),
}

COLUMNS = (
    _column("projects", "git_token_encrypted", "project", "slug"),
    _column("provider_configs", "auth_token_encrypted", "provider", "name"),
    *(
        _column(
            f"{service}_credentials",
            f"{value}_encrypted",
            f"{service.replace('_', ' ')} credentials",
            f"'{value}'::text",
        )
        for service, values in _CREDENTIAL_COLUMNS.items()
        for value in values
    ),
)


@dataclass(frozen=True, slots=True)
class _Stored:
    id: uuid.UUID
    label: str
    ciphertext: str = field(repr=False)


_ROW = class_row(_Stored)


def _name(column: _Column, row: _Stored) -> str:
    return f"{column.kind} '{row.label}'"


# -- the reports ---------------------------------------------------------------------------------


class _Counts(Protocol):
    """What a report needs of each column's counts."""

    @property
    def unreadable(self) -> list[str]: ...

    def as_dict(self) -> dict[str, Any]: ...

    def line(self) -> str: ...


_C = TypeVar("_C", bound=_Counts)


def _naming(unreadable: list[str], line: str) -> str:
    """A column's line, followed by the rows no key opens, when there are any."""
    return line + ": " + ", ".join(unreadable) if unreadable else line


@dataclass(frozen=True, slots=True)
class _Report(Generic[_C]):
    """What a check or a rotation found, column by column; ok when every token opened.

    ``_TOTALS`` names the counts summed over the columns, as (as_dict key, column attribute).
    """

    columns: tuple[_C, ...]
    _TOTALS: ClassVar[tuple[tuple[str, str], ...]] = ()

    def _total(self, count: str) -> int:
        return sum(getattr(c, count) for c in self.columns)

    @property
    def unreadable(self) -> int:
        return sum(len(c.unreadable) for c in self.columns)

    @property
    def ok(self) -> bool:
        return self.unreadable == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            **{key: self._total(count) for key, count in self._TOTALS},
            "unreadable": self.unreadable,
            "columns": [c.as_dict() for c in self.columns],
        }

    def lines(self) -> list[str]:
        return [c.line() for c in self.columns]


# -- check -------------------------------------------------------------------------------------


@dataclass(slots=True)
class ColumnCheck:
    """What the configured keys make of one column's tokens."""

    column: str
    readable: int = 0
    current: int = 0  # of the readable, those the newest key alone opens
    unreadable: list[str] = field(default_factory=list)  # "project 'acme'", ...

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "readable": self.readable,
            "current": self.current,
            "unreadable": len(self.unreadable),
            "unreadable_rows": list(self.unreadable),
        }

    def line(self) -> str:
        return _naming(
            self.unreadable,
            f"{self.column}: {self.readable} readable ({self.current} under the newest key), "
            f"{len(self.unreadable)} unreadable",
        )


@dataclass(frozen=True, slots=True)
class CheckReport(_Report[ColumnCheck]):
    _TOTALS = (("readable", "readable"),)

    @property
    def readable(self) -> int:
        return self._total("readable")


async def check_keys(
    conn: AsyncConnection[Any], box: SecretBox, *, batch_size: int = 500
) -> CheckReport:
    """Count, per encrypted column, the tokens the configured keys can and cannot open.

    A missing or malformed key raises EncryptionError before any row is read. Rows with no
    token are not counted. Reads only; the caller owns the transaction.
    """
    box.check()
    _check_batch_size(batch_size)
    columns = []
    for column in COLUMNS:
        result = ColumnCheck(column.name)
        after: uuid.UUID | None = None
        while True:
            rows = await queries.fetch_all(conn, column.page, _ROW, after=after, limit=batch_size)
            for row in rows:
                if box.is_current(row.ciphertext):
                    result.readable += 1
                    result.current += 1
                elif box.readable(row.ciphertext):
                    result.readable += 1
                else:
                    result.unreadable.append(_name(column, row))
            if len(rows) < batch_size:
                break
            after = rows[-1].id
        columns.append(result)
    return CheckReport(tuple(columns))


# -- rotate ------------------------------------------------------------------------------------


@dataclass(slots=True)
class ColumnRotation:
    """What a rotation did to one column's tokens."""

    column: str
    rotated: int = 0
    current: int = 0  # already under the newest key: left as they were
    unreadable: list[str] = field(default_factory=list)  # left as they were, named
    changed: int = 0  # rewritten by someone else between read and write: left to them
    batches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "rotated": self.rotated,
            "already_current": self.current,
            "unreadable": len(self.unreadable),
            "unreadable_rows": list(self.unreadable),
            "changed_meanwhile": self.changed,
            "batches": self.batches,
        }

    def line(self) -> str:
        line = (
            f"{self.column}: {self.rotated} rotated, {self.current} already under the newest "
            f"key, {len(self.unreadable)} unreadable"
        )
        return _naming(
            self.unreadable, line + (f", {self.changed} changed meanwhile" if self.changed else "")
        )


@dataclass(frozen=True, slots=True)
class RotationReport(_Report[ColumnRotation]):
    _TOTALS = (("rotated", "rotated"), ("already_current", "current"))

    @property
    def rotated(self) -> int:
        return self._total("rotated")

    @property
    def current(self) -> int:
        return self._total("current")


BatchHook = Callable[[ColumnRotation], Awaitable[None] | None]


async def rotate(
    conn: AsyncConnection[Any],
    box: SecretBox,
    batch_size: int = 500,
    *,
    on_batch: BatchHook | None = None,
) -> RotationReport:
    """Re-encrypt every stored token under the newest key, one committed batch at a time.

    `conn` must not be inside a transaction: each batch commits on its own, so an
    interruption keeps the work done and a second run resumes it. Tokens no configured key
    opens are left as they are and reported by project slug / provider name; they never stop
    the run. `on_batch` is called after each committed batch with that column's running
    counts (progress output; tests use it to interrupt).
    """
    box.check()
    _check_batch_size(batch_size)
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise ValidationError(
            "key rotation commits batch by batch; call it on a connection outside a transaction"
        )
    columns = []
    for column in COLUMNS:
        result = ColumnRotation(column.name)
        columns.append(result)
        after: uuid.UUID | None = None
        while True:
            rows, tried, swapped = await _rotate_batch(
                conn, box, column, result, after=after, limit=batch_size
            )
            if not rows:
                break
            result.rotated += swapped
            result.changed += tried - swapped
            result.batches += 1
            log.info(
                "%s: batch %d done (%d rotated so far)", column.name, result.batches, result.rotated
            )
            if on_batch is not None:
                outcome = on_batch(result)
                if inspect.isawaitable(outcome):
                    await outcome
            if len(rows) < batch_size:
                break
            after = rows[-1].id
    return RotationReport(tuple(columns))


async def _rotate_batch(
    conn: AsyncConnection[Any],
    box: SecretBox,
    column: _Column,
    result: ColumnRotation,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> tuple[list[_Stored], int, int]:
    """One transaction: lock the page of rows after `after`, count onto `result` the tokens
    left as they are, rewrite the others; returns the page, the rewrites tried and made."""
    async with queries.atomic(conn):
        rows = await queries.fetch_all(conn, column.page_locked, _ROW, after=after, limit=limit)
        ids: list[uuid.UUID] = []
        olds: list[str] = []
        news: list[str] = []
        for row in rows:
            if box.is_current(row.ciphertext):
                result.current += 1
            elif box.readable(row.ciphertext):
                ids.append(row.id)
                olds.append(row.ciphertext)
                news.append(box.rotate(row.ciphertext, what=_name(column, row)))
            else:
                result.unreadable.append(_name(column, row))
                log.warning("%s: no configured key opens its token; left as is", _name(column, row))
        swapped = 0
        if ids:
            swapped = await queries.execute_rows(
                conn, column.swap, ids=ids, old_ciphertexts=olds, new_ciphertexts=news
            )
    return rows, len(ids), swapped


def _check_batch_size(batch_size: int) -> None:
    if batch_size < 1:
        raise ValidationError(f"batch size must be at least 1, got {batch_size}")


# -- entry points for the command line ---------------------------------------------------------


def check_keys_at(url: str, box: SecretBox, *, batch_size: int = 500) -> CheckReport:
    """check_keys on a connection of its own to `url`."""
    box.check()  # a bad key fails before any connection is made

    async def run() -> CheckReport:
        async with await connect_async(url) as conn:
            return await check_keys(conn, box, batch_size=batch_size)

    return asyncio.run(run())


def rotate_at(
    url: str,
    box: SecretBox,
    batch_size: int = 500,
    *,
    on_batch: BatchHook | None = None,
) -> RotationReport:
    """rotate on a connection of its own to `url`."""
    box.check()

    async def run() -> RotationReport:
        async with await connect_async(url) as conn:
            return await rotate(conn, box, batch_size, on_batch=on_batch)

    return asyncio.run(run())
