"""Credentials of X, TikTok, Telegram and the GitHub App: one row per service, encrypted.

Per service: ``get_*`` (the row, secrets as ``has_*`` flags, or None), ``set_*`` (all values
together; all empty clears, as RoboCo's settings routes do), ``clear_*`` and ``read_*`` (the
one explicit decrypting read, returning ``SecretStr`` values, or None unless every value is
stored). TikTok adds ``update_tiktok_tokens`` for the OAuth2 refresh. The values belong
together (a partial set cannot authenticate), so a set with some values empty is refused
naming them, before anything is encrypted or written. Plaintexts are encrypted here, with the
given box or ROBOCO_ENCRYPTION_KEY, and never logged.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar, cast

from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from pydantic import BaseModel, SecretStr

from roboco_sql import queries
from roboco_sql.crypto import SecretBox
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import Row, unstorable
from roboco_sql.models.credentials import (
    GitHubAppCredentials,
    GitHubAppSecrets,
    TelegramCredentials,
    TelegramSecrets,
    TikTokCredentials,
    TikTokSecrets,
    XCredentials,
    XSecrets,
)
from roboco_sql.repos._errors import translated
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._secrets import box_or_default

__all__ = [
    "clear_github_app_credentials",
    "clear_telegram_credentials",
    "clear_tiktok_credentials",
    "clear_x_credentials",
    "get_github_app_credentials",
    "get_telegram_credentials",
    "get_tiktok_credentials",
    "get_x_credentials",
    "read_github_app_credentials",
    "read_telegram_credentials",
    "read_tiktok_credentials",
    "read_x_credentials",
    "set_github_app_credentials",
    "set_telegram_credentials",
    "set_tiktok_credentials",
    "set_x_credentials",
    "update_tiktok_tokens",
]

_Q = queries.load()

APP_ID_MAX = 32  # github_app_credentials.app_id is varchar(32)

Plain = str | SecretStr
R = TypeVar("R", bound=Row)
S = TypeVar("S", bound=BaseModel)
S_co = TypeVar("S_co", covariant=True)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Service(Generic[R, S]):
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


_X = _Service("x", "X", XCredentials, XSecrets)
_TIKTOK = _Service("tiktok", "TikTok", TikTokCredentials, TikTokSecrets)
_TELEGRAM = _Service("telegram", "Telegram", TelegramCredentials, TelegramSecrets)
_GITHUB = _Service("github app", "GitHub App", GitHubAppCredentials, GitHubAppSecrets)
SERVICES = (_X, _TIKTOK, _TELEGRAM, _GITHUB)  # for the agreement tests


def _plains(**values: object) -> dict[str, str]:
    """Each value as text (a SecretStr unwrapped); anything else is refused by name."""
    out = {}
    for name, value in values.items():
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str):
            raise ValidationError(f"{name} must be a string, not {type(value).__name__}")
        out[name] = text
    return out


def _all_or_none(service: str, values: dict[str, str]) -> bool:
    """True to store the values, False to clear; a mixed set is refused, naming the empties."""
    empty = [name for name, value in values.items() if not value]
    if empty and len(empty) < len(values):
        raise ValidationError(
            f"{service} credentials: {', '.join(empty)} empty; give all of "
            f"{', '.join(values)} (or all empty to clear)"
        )
    return not empty


def _encrypt_all(service: str, values: dict[str, str], box: SecretBox | None) -> dict[str, str]:
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


async def _get(conn: AsyncConnection[Any], service: _Service[R, S]) -> R | None:
    row: R | None = await queries.fetch_one(conn, service.queries["get"], service.row_factory)
    return row


async def _set(
    conn: AsyncConnection[Any],
    service: _Service[R, S],
    values: dict[str, str],
    box: SecretBox | None,
) -> R | None:
    """Store every value (the secrets encrypted), or clear when all are empty."""
    if not _all_or_none(service.name, values):
        await _clear(conn, service)
        return None
    secret = {name: values[name] for name in service.encrypted}
    params = {name: values[name] for name in service.plain} | _encrypt_all(
        service.name, secret, box
    )
    with translated(f"{service.name} credentials"):
        row: R | None = await queries.fetch_one(
            conn, service.queries["set"], service.row_factory, **params
        )
    assert row is not None  # the row is updated or inserted, and returned either way
    return row


async def _clear(conn: AsyncConnection[Any], service: _Service[R, S]) -> bool:
    return await queries.execute_rows(conn, service.queries["clear"]) > 0


async def _read(
    conn: AsyncConnection[Any], service: _Service[R, S], box: SecretBox | None
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


# -- the per-service functions -----------------------------------------------------------------
# get_*, clear_* and read_* differ by service only, so each is made here, named and documented
# as if written out; set_* take each service's own values and are written out below.


class _Read(Protocol[S_co]):
    def __call__(
        self, conn: AsyncConnection[Any], *, box: SecretBox | None = None
    ) -> Coroutine[Any, Any, S_co | None]: ...


def _named(fn: F, verb: str, service: _Service[Any, Any], doc: str, returns: object) -> F:
    """Name and document `fn` as the service's own, its return annotation made concrete."""
    fn.__name__ = fn.__qualname__ = f"{verb}_{service.key}_credentials"
    fn.__doc__ = doc
    fn.__annotations__ = {**fn.__annotations__, "return": returns}
    return fn


def _getter(
    service: _Service[R, S], doc: str
) -> Callable[[AsyncConnection[Any]], Coroutine[Any, Any, R | None]]:
    async def get(conn: AsyncConnection[Any]) -> R | None:
        return await _get(conn, service)

    return _named(get, "get", service, doc, service.row | None)


def _clearer(
    service: _Service[R, S],
) -> Callable[[AsyncConnection[Any]], Coroutine[Any, Any, bool]]:
    async def clear(conn: AsyncConnection[Any]) -> bool:
        return await _clear(conn, service)

    doc = f"Forget the {service.title} credentials; whether there were any."
    return _named(clear, "clear", service, doc, bool)


def _reader(service: _Service[R, S], doc: str) -> _Read[S]:
    async def read(conn: AsyncConnection[Any], *, box: SecretBox | None = None) -> S | None:
        return await _read(conn, service, box)

    return _named(read, "read", service, doc, service.secrets | None)


# -- X -----------------------------------------------------------------------------------------


get_x_credentials = _getter(
    _X, "The X credentials row (``has_credentials`` when all four are stored), or None."
)


async def set_x_credentials(
    conn: AsyncConnection[Any],
    *,
    api_key: Plain,
    api_secret: Plain,
    access_token: Plain,
    access_token_secret: Plain,
    box: SecretBox | None = None,
) -> XCredentials | None:
    """Store the four OAuth 1.0a secrets encrypted (the row, created if need be); all four
    empty clears them and returns None. Some empty is a ValidationError naming them."""
    values = _plains(
        api_key=api_key,
        api_secret=api_secret,
        access_token=access_token,
        access_token_secret=access_token_secret,
    )
    return await _set(conn, _X, values, box)


clear_x_credentials = _clearer(_X)


read_x_credentials = _reader(
    _X,
    """The four secrets decrypted (server-side use only), or None unless all are stored.

    EncryptionError naming the value when no configured key opens it.
    """,
)


# -- TikTok ------------------------------------------------------------------------------------


get_tiktok_credentials = _getter(
    _TIKTOK, "The TikTok credentials row (``has_credentials`` when all four are stored), or None."
)


async def set_tiktok_credentials(
    conn: AsyncConnection[Any],
    *,
    client_key: Plain,
    client_secret: Plain,
    access_token: Plain,
    refresh_token: Plain,
    box: SecretBox | None = None,
) -> TikTokCredentials | None:
    """Store the app key/secret and the token pair encrypted; all four empty clears them and
    returns None. Some empty is a ValidationError naming them."""
    values = _plains(
        client_key=client_key,
        client_secret=client_secret,
        access_token=access_token,
        refresh_token=refresh_token,
    )
    return await _set(conn, _TIKTOK, values, box)


async def update_tiktok_tokens(
    conn: AsyncConnection[Any],
    *,
    access_token: Plain,
    refresh_token: Plain,
    box: SecretBox | None = None,
) -> TikTokCredentials:
    """Store a refreshed access/refresh token pair, leaving the app key and secret alone.

    Both are required (ValidationError naming an empty one); NotFound when no TikTok
    credentials are stored yet (set_tiktok_credentials comes first).
    """
    values = _plains(access_token=access_token, refresh_token=refresh_token)
    empty = [name for name, value in values.items() if not value]
    if empty:
        raise ValidationError(f"tiktok token refresh: {', '.join(empty)} empty")
    params = _encrypt_all("tiktok", values, box)
    with translated("tiktok credentials"):
        row = await queries.fetch_one(
            conn, _Q["credentials.update_tiktok_tokens"], _TIKTOK.row_factory, **params
        )
    if row is None:
        raise NotFound("no tiktok credentials are stored; set them before refreshing tokens")
    return cast(TikTokCredentials, row)


clear_tiktok_credentials = _clearer(_TIKTOK)


read_tiktok_credentials = _reader(
    _TIKTOK,
    """The four secrets decrypted (server-side use only), or None unless all are stored.""",
)


# -- Telegram ----------------------------------------------------------------------------------


get_telegram_credentials = _getter(
    _TELEGRAM, "The Telegram credentials row (``has_credentials`` when both are stored), or None."
)


async def set_telegram_credentials(
    conn: AsyncConnection[Any],
    *,
    bot_token: Plain,
    chat_id: Plain,
    box: SecretBox | None = None,
) -> TelegramCredentials | None:
    """Store the bot token and chat id encrypted; both empty clears them and returns None.
    One empty is a ValidationError naming it."""
    return await _set(conn, _TELEGRAM, _plains(bot_token=bot_token, chat_id=chat_id), box)


clear_telegram_credentials = _clearer(_TELEGRAM)


read_telegram_credentials = _reader(
    _TELEGRAM,
    """Bot token and chat id decrypted (server-side use only), or None unless both are stored.""",
)


# -- GitHub App --------------------------------------------------------------------------------


def _check_github_app(app_id: str, private_key: str) -> None:
    """Refuse an app id the column cannot hold, or a key that is not an unencrypted PEM
    private key, before anything is stored (the error never quotes the key)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if len(app_id) > APP_ID_MAX:
        raise ValidationError(f"github app credentials: app_id is longer than {APP_ID_MAX}")
    reason = unstorable(app_id)
    if reason is not None:
        raise ValidationError(f"github app credentials: app_id {reason}")
    try:
        load_pem_private_key(private_key.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise ValidationError(
            "github app credentials: private_key is not an unencrypted PEM private key"
        ) from None


get_github_app_credentials = _getter(
    _GITHUB, "The GitHub App row (app id; key as ``has_private_key``), or None."
)


async def set_github_app_credentials(
    conn: AsyncConnection[Any],
    *,
    app_id: str,
    private_key: Plain,
    box: SecretBox | None = None,
) -> GitHubAppCredentials | None:
    """Store the app id (plain: it is public) and its private key (encrypted, after checking
    it loads as a PEM key); both empty clears them and returns None. One empty is a
    ValidationError naming it."""
    values = _plains(app_id=app_id, private_key=private_key)
    if _all_or_none("github app", values):
        _check_github_app(values["app_id"], values["private_key"])
    return await _set(conn, _GITHUB, values, box)


clear_github_app_credentials = _clearer(_GITHUB)


read_github_app_credentials = _reader(
    _GITHUB,
    """App id and decrypted private key (server-side use only), or None unless both are
    stored.""",
)
