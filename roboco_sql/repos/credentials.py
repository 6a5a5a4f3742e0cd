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

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from pydantic import SecretStr

from roboco_sql import queries
from roboco_sql.config import Settings
from roboco_sql.crypto import SecretBox
from roboco_sql.errors import NotFound, ValidationError
from roboco_sql.models.base import unstorable
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
_X_ROW = model_row(XCredentials)
_TIKTOK_ROW = model_row(TikTokCredentials)
_TELEGRAM_ROW = model_row(TelegramCredentials)
_GITHUB_ROW = model_row(GitHubAppCredentials)

APP_ID_MAX = 32  # github_app_credentials.app_id is varchar(32)

Plain = str | SecretStr


def _box(box: SecretBox | None) -> SecretBox:
    """The box given, else one from ROBOCO_ENCRYPTION_KEY (keys are parsed at first use)."""
    return box if box is not None else SecretBox.from_settings(Settings.from_env())


def _plain(name: str, value: object) -> str:
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string, not {type(value).__name__}")
    return value


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
    opener = _box(box)
    out: dict[str, str] = {}
    for name, value in values.items():
        try:
            out[f"{name}_encrypted"] = opener.encrypt(value)
        except ValidationError:
            raise ValidationError(
                f"{service} credentials: {name} is not valid Unicode text"
            ) from None
    return out


def _decrypt_all(
    service: str, names: tuple[str, ...], ciphertexts: tuple[Any, ...] | None, box: SecretBox | None
) -> dict[str, SecretStr] | None:
    """Every value decrypted, or None unless every one is stored."""
    if ciphertexts is None or not all(ciphertexts):
        return None
    opener = _box(box)
    return {
        name: opener.decrypt(text, what=f"{service} credentials {name}")
        for name, text in zip(names, ciphertexts, strict=True)
    }


# -- X -----------------------------------------------------------------------------------------

_X_NAMES = ("api_key", "api_secret", "access_token", "access_token_secret")


async def get_x_credentials(conn: AsyncConnection[Any]) -> XCredentials | None:
    """The X credentials row (``has_credentials`` when all four are stored), or None."""
    return await queries.fetch_one(conn, _Q["credentials.get_x_credentials"], _X_ROW)


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
    values = {
        "api_key": _plain("api_key", api_key),
        "api_secret": _plain("api_secret", api_secret),
        "access_token": _plain("access_token", access_token),
        "access_token_secret": _plain("access_token_secret", access_token_secret),
    }
    if not _all_or_none("x", values):
        await clear_x_credentials(conn)
        return None
    params = _encrypt_all("x", values, box)
    with translated("x credentials"):
        row = await queries.fetch_one(conn, _Q["credentials.set_x_credentials"], _X_ROW, **params)
    assert row is not None  # the row is updated or inserted, and returned either way
    return row


async def clear_x_credentials(conn: AsyncConnection[Any]) -> bool:
    """Forget the X credentials; whether there were any."""
    return await queries.execute_rows(conn, _Q["credentials.clear_x_credentials"]) > 0


async def read_x_credentials(
    conn: AsyncConnection[Any], *, box: SecretBox | None = None
) -> XSecrets | None:
    """The four secrets decrypted (server-side use only), or None unless all are stored.

    EncryptionError naming the value when no configured key opens it.
    """
    stored = await queries.fetch_one(conn, _Q["credentials.read_x_ciphertexts"], tuple_row)
    values = _decrypt_all("x", _X_NAMES, stored, box)
    return None if values is None else XSecrets(**values)


# -- TikTok ------------------------------------------------------------------------------------

_TIKTOK_NAMES = ("client_key", "client_secret", "access_token", "refresh_token")


async def get_tiktok_credentials(conn: AsyncConnection[Any]) -> TikTokCredentials | None:
    """The TikTok credentials row (``has_credentials`` when all four are stored), or None."""
    return await queries.fetch_one(conn, _Q["credentials.get_tiktok_credentials"], _TIKTOK_ROW)


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
    values = {
        "client_key": _plain("client_key", client_key),
        "client_secret": _plain("client_secret", client_secret),
        "access_token": _plain("access_token", access_token),
        "refresh_token": _plain("refresh_token", refresh_token),
    }
    if not _all_or_none("tiktok", values):
        await clear_tiktok_credentials(conn)
        return None
    params = _encrypt_all("tiktok", values, box)
    with translated("tiktok credentials"):
        row = await queries.fetch_one(
            conn, _Q["credentials.set_tiktok_credentials"], _TIKTOK_ROW, **params
        )
    assert row is not None
    return row


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
    values = {
        "access_token": _plain("access_token", access_token),
        "refresh_token": _plain("refresh_token", refresh_token),
    }
    empty = [name for name, value in values.items() if not value]
    if empty:
        raise ValidationError(f"tiktok token refresh: {', '.join(empty)} empty")
    params = _encrypt_all("tiktok", values, box)
    with translated("tiktok credentials"):
        row = await queries.fetch_one(
            conn, _Q["credentials.update_tiktok_tokens"], _TIKTOK_ROW, **params
        )
    if row is None:
        raise NotFound("no tiktok credentials are stored; set them before refreshing tokens")
    return row


async def clear_tiktok_credentials(conn: AsyncConnection[Any]) -> bool:
    """Forget the TikTok credentials; whether there were any."""
    return await queries.execute_rows(conn, _Q["credentials.clear_tiktok_credentials"]) > 0


async def read_tiktok_credentials(
    conn: AsyncConnection[Any], *, box: SecretBox | None = None
) -> TikTokSecrets | None:
    """The four secrets decrypted (server-side use only), or None unless all are stored."""
    stored = await queries.fetch_one(conn, _Q["credentials.read_tiktok_ciphertexts"], tuple_row)
    values = _decrypt_all("tiktok", _TIKTOK_NAMES, stored, box)
    return None if values is None else TikTokSecrets(**values)


# -- Telegram ----------------------------------------------------------------------------------

_TELEGRAM_NAMES = ("bot_token", "chat_id")


async def get_telegram_credentials(conn: AsyncConnection[Any]) -> TelegramCredentials | None:
    """The Telegram credentials row (``has_credentials`` when both are stored), or None."""
    return await queries.fetch_one(conn, _Q["credentials.get_telegram_credentials"], _TELEGRAM_ROW)


async def set_telegram_credentials(
    conn: AsyncConnection[Any],
    *,
    bot_token: Plain,
    chat_id: Plain,
    box: SecretBox | None = None,
) -> TelegramCredentials | None:
    """Store the bot token and chat id encrypted; both empty clears them and returns None.
    One empty is a ValidationError naming it."""
    values = {
        "bot_token": _plain("bot_token", bot_token),
        "chat_id": _plain("chat_id", chat_id),
    }
    if not _all_or_none("telegram", values):
        await clear_telegram_credentials(conn)
        return None
    params = _encrypt_all("telegram", values, box)
    with translated("telegram credentials"):
        row = await queries.fetch_one(
            conn, _Q["credentials.set_telegram_credentials"], _TELEGRAM_ROW, **params
        )
    assert row is not None
    return row


async def clear_telegram_credentials(conn: AsyncConnection[Any]) -> bool:
    """Forget the Telegram credentials; whether there were any."""
    return await queries.execute_rows(conn, _Q["credentials.clear_telegram_credentials"]) > 0


async def read_telegram_credentials(
    conn: AsyncConnection[Any], *, box: SecretBox | None = None
) -> TelegramSecrets | None:
    """Bot token and chat id decrypted (server-side use only), or None unless both are stored."""
    stored = await queries.fetch_one(conn, _Q["credentials.read_telegram_ciphertexts"], tuple_row)
    values = _decrypt_all("telegram", _TELEGRAM_NAMES, stored, box)
    return None if values is None else TelegramSecrets(**values)


# -- GitHub App --------------------------------------------------------------------------------


def _check_pem(private_key: str) -> None:
    """Refuse a key that is not an unencrypted PEM private key, before it is stored (the
    error never quotes the key)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(private_key.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise ValidationError(
            "github app credentials: private_key is not an unencrypted PEM private key"
        ) from None


async def get_github_app_credentials(conn: AsyncConnection[Any]) -> GitHubAppCredentials | None:
    """The GitHub App row (app id; key as ``has_private_key``), or None."""
    return await queries.fetch_one(conn, _Q["credentials.get_github_app_credentials"], _GITHUB_ROW)


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
    values = {"app_id": _plain("app_id", app_id), "private_key": _plain("private_key", private_key)}
    if not _all_or_none("github app", values):
        await clear_github_app_credentials(conn)
        return None
    app_id = values["app_id"]
    if len(app_id) > APP_ID_MAX:
        raise ValidationError(f"github app credentials: app_id is longer than {APP_ID_MAX}")
    reason = unstorable(app_id)
    if reason is not None:
        raise ValidationError(f"github app credentials: app_id {reason}")
    _check_pem(values["private_key"])
    params = _encrypt_all("github app", {"private_key": values["private_key"]}, box)
    with translated("github app credentials"):
        row = await queries.fetch_one(
            conn,
            _Q["credentials.set_github_app_credentials"],
            _GITHUB_ROW,
            app_id=app_id,
            **params,
        )
    assert row is not None
    return row


async def clear_github_app_credentials(conn: AsyncConnection[Any]) -> bool:
    """Forget the GitHub App credentials; whether there were any."""
    return await queries.execute_rows(conn, _Q["credentials.clear_github_app_credentials"]) > 0


async def read_github_app_credentials(
    conn: AsyncConnection[Any], *, box: SecretBox | None = None
) -> GitHubAppSecrets | None:
    """App id and decrypted private key (server-side use only), or None unless both are
    stored."""
    stored = await queries.fetch_one(conn, _Q["credentials.read_github_app_ciphertexts"], tuple_row)
    if stored is None or not all(stored):
        return None
    app_id, ciphertext = stored
    key = _box(box).decrypt(ciphertext, what="github app credentials private_key")
    return GitHubAppSecrets(app_id=app_id, private_key=key)
