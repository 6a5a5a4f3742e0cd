"""The credential store's machinery: one singleton row per service, secrets encrypted.

:mod:`roboco_sql.repos.credentials` holds the per-service functions; this module holds what
they share: :class:`Service` (the table, its rendered queries), the all-or-none rule, the
encryption of every value, and the makers of the ``get_*``, ``clear_*`` and ``read_*``
functions that differ by service only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from pydantic import BaseModel, SecretStr

from roboco_sql import queries
from roboco_sql.crypto import SecretBox
from roboco_sql.errors import ValidationError
from roboco_sql.models.base import Row
from roboco_sql.repos._errors import translated
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._secrets import box_or_default

__all__ = [
    "Plain",
    "Service",
    "all_or_none",
    "clearer",
    "encrypt_all",
    "getter",
    "plains",
    "reader",
    "set_values",
]

Plain = str | SecretStr
R = TypeVar("R", bound=Row)
S = TypeVar("S", bound=BaseModel)
S_co = TypeVar("S_co", covariant=True)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Service(Generic[R, S]):
    """One credential table, its queries rendered from templates/singleton_credentials.sql.

    What it stores comes from the row model: the ``__secret_columns__`` (stored as
    ``<value>_encrypted``) and its other columns (github_app's app_id, stored as it is).
    """

    name: str  # as errors name it: "x", "tiktok", "telegram", "github app"
    title: str  # as documentation names it: "X", "TikTok", "Telegram", "GitHub App"
    row: type[R]
    secrets: type[S]

    @property
    def key(self) -> str:
        """The service in function names: x, tiktok, telegram, github_app."""
        return self.row.__table__.removesuffix("_credentials")

    @cached_property
    def encrypted(self) -> tuple[str, ...]:
        return tuple(c.removesuffix("_encrypted") for c in self.row.__secret_columns__)

    @cached_property
    def plain(self) -> tuple[str, ...]:
        flags = set(self.row.__secret_columns__.values())
        bookkeeping = {"id", "created_at", "updated_at"}
        return tuple(f for f in self.row.model_fields if f not in flags | bookkeeping)

    @cached_property
    def queries(self) -> dict[str, queries.Query]:
        stored = [*self.plain, *self.row.__secret_columns__]
        shown = [*self.plain] + [
            f"coalesce({column}, '') <> '' AS {flag}"
            for column, flag in self.row.__secret_columns__.items()
        ]
        rendered = queries.render(
            "singleton_credentials.sql",
            key=self.key,
            table=self.row.__table__,
            stored=", ".join(stored),
            shown=", ".join(shown),
            params=", ".join(f":{column}" for column in stored),
            updates=", ".join(f"{column} = excluded.{column}" for column in stored),
        )
        return {q.name.split("_")[0]: q for q in rendered}  # get, set, clear, read

    @cached_property
    def row_factory(self) -> Any:
        return model_row(self.row)


def plains(**values: object) -> dict[str, str]:
    """Each value as text (a SecretStr unwrapped); anything else is refused by name."""
    out = {}
    for name, value in values.items():
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str):
            raise ValidationError(f"{name} must be a string, not {type(value).__name__}")
        out[name] = text
    return out


def all_or_none(service: str, values: dict[str, str]) -> bool:
    """True to store the values, False to clear; a mixed set is refused, naming the empties."""
    empty = [name for name, value in values.items() if not value]
    if empty and len(empty) < len(values):
        raise ValidationError(
            f"{service} credentials: {', '.join(empty)} empty; give all of "
            f"{', '.join(values)} (or all empty to clear)"
        )
    return not empty


def encrypt_all(service: str, values: dict[str, str], box: SecretBox | None) -> dict[str, str]:
    """``<name>_encrypted`` -> ciphertext for every value, or an error naming the value."""
    opener = box_or_default(box)
    out: dict[str, str] = {}
    for name, value in values.items():
        try:
            out[f"{name}_encrypted"] = opener.encrypt(value)
        except ValidationError:
            raise ValidationError(
                f"{service} credentials: {name} is not valid Unicode text"
            ) from None
    return out


async def _get(conn: AsyncConnection[Any], service: Service[R, S]) -> R | None:
    row: R | None = await queries.fetch_one(conn, service.queries["get"], service.row_factory)
    return row


async def set_values(
    conn: AsyncConnection[Any],
    service: Service[R, S],
    values: dict[str, str],
    box: SecretBox | None,
) -> R | None:
    """Store every value (the secrets encrypted), or clear when all are empty."""
    if not all_or_none(service.name, values):
        await _clear(conn, service)
        return None
    secret = {name: values[name] for name in service.encrypted}
    params = {name: values[name] for name in service.plain} | encrypt_all(service.name, secret, box)
    with translated(f"{service.name} credentials"):
        row: R | None = await queries.fetch_one(
            conn, service.queries["set"], service.row_factory, **params
        )
    assert row is not None  # the row is updated or inserted, and returned either way
    return row


async def _clear(conn: AsyncConnection[Any], service: Service[R, S]) -> bool:
    return await queries.execute_rows(conn, service.queries["clear"]) > 0


async def _read(
    conn: AsyncConnection[Any], service: Service[R, S], box: SecretBox | None
) -> S | None:
    """Every value, the secrets decrypted; None unless every one is stored."""
    stored = await queries.fetch_one(conn, service.queries["read"], tuple_row)
    if stored is None or not all(stored):
        return None
    plain = dict(zip(service.plain, stored, strict=False))
    opener = box_or_default(box)
    secret = {
        name: opener.decrypt(text, what=f"{service.name} credentials {name}")
        for name, text in zip(service.encrypted, stored[len(service.plain) :], strict=True)
    }
    return service.secrets(**plain, **secret)


# get_*, clear_* and read_* differ by service only, so each is made here, named and documented
# as if written out; set_* take each service's own values and are written out in credentials.


class _Read(Protocol[S_co]):
    def __call__(
        self, conn: AsyncConnection[Any], *, box: SecretBox | None = None
    ) -> Coroutine[Any, Any, S_co | None]: ...


def _named(fn: F, verb: str, service: Service[Any, Any], doc: str, returns: object) -> F:
    """Name and document `fn` as the service's own, its return annotation made concrete."""
    fn.__name__ = fn.__qualname__ = f"{verb}_{service.key}_credentials"
    fn.__doc__ = doc
    fn.__annotations__ = {**fn.__annotations__, "return": returns}
    return fn


def getter(
    service: Service[R, S], doc: str
) -> Callable[[AsyncConnection[Any]], Coroutine[Any, Any, R | None]]:
    async def get(conn: AsyncConnection[Any]) -> R | None:
        return await _get(conn, service)

    return _named(get, "get", service, doc, service.row | None)


def clearer(
    service: Service[R, S],
) -> Callable[[AsyncConnection[Any]], Coroutine[Any, Any, bool]]:
    async def clear(conn: AsyncConnection[Any]) -> bool:
        return await _clear(conn, service)

    doc = f"Forget the {service.title} credentials; whether there were any."
    return _named(clear, "clear", service, doc, bool)


def reader(service: Service[R, S], doc: str) -> _Read[S]:
    async def read(conn: AsyncConnection[Any], *, box: SecretBox | None = None) -> S | None:
        return await _read(conn, service, box)

    return _named(read, "read", service, doc, service.secrets | None)
