"""Credentials of X, TikTok, Telegram and the GitHub App: one row per service, encrypted.

Per service: ``get_*`` (the row, secrets as ``has_*`` flags, or None), ``set_*`` (all values
together; all empty clears, as RoboCo's settings routes do), ``clear_*`` and ``read_*`` (the
one explicit decrypting read, returning ``SecretStr`` values, or None unless every value is
stored). TikTok adds ``update_tiktok_tokens`` for the OAuth2 refresh. The values belong
together (a partial set cannot authenticate), so a set with some values empty is refused
naming them, before anything is encrypted or written. Plaintexts are encrypted here, with the
given box or ROBOCO_ENCRYPTION_KEY, and never logged. What the services share (the table's
queries, the all-or-none rule, the encryption) is in :mod:`roboco_sql.repos._credential_store`.
"""

from __future__ import annotations

from typing import Any, cast

from psycopg import AsyncConnection

from roboco_sql import queries
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
from roboco_sql.repos._credential_store import (
    Plain,
    Service,
    all_or_none,
    clearer,
    encrypt_all,
    getter,
    plains,
    reader,
    set_values,
)
from roboco_sql.repos._errors import translated

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

_X = Service("x", "X", XCredentials, XSecrets)
_TIKTOK = Service("tiktok", "TikTok", TikTokCredentials, TikTokSecrets)
_TELEGRAM = Service("telegram", "Telegram", TelegramCredentials, TelegramSecrets)
_GITHUB = Service("github app", "GitHub App", GitHubAppCredentials, GitHubAppSecrets)
SERVICES = (_X, _TIKTOK, _TELEGRAM, _GITHUB)  # for the agreement tests


# -- X -----------------------------------------------------------------------------------------


get_x_credentials = getter(
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
    values = plains(
        api_key=api_key,
        api_secret=api_secret,
        access_token=access_token,
        access_token_secret=access_token_secret,
    )
    return await set_values(conn, _X, values, box)


clear_x_credentials = clearer(_X)


read_x_credentials = reader(
    _X,
    """The four secrets decrypted (server-side use only), or None unless all are stored.

    EncryptionError naming the value when no configured key opens it.
    """,
)


# -- TikTok ------------------------------------------------------------------------------------


get_tiktok_credentials = getter(
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
    values = plains(
        client_key=client_key,
        client_secret=client_secret,
        access_token=access_token,
        refresh_token=refresh_token,
    )
    return await set_values(conn, _TIKTOK, values, box)


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
    values = plains(access_token=access_token, refresh_token=refresh_token)
    empty = [name for name, value in values.items() if not value]
    if empty:
        raise ValidationError(f"tiktok token refresh: {', '.join(empty)} empty")
    params = encrypt_all("tiktok", values, box)
    with translated("tiktok credentials"):
        row = await queries.fetch_one(
            conn, _Q["credentials.update_tiktok_tokens"], _TIKTOK.row_factory, **params
        )
    if row is None:
        raise NotFound("no tiktok credentials are stored; set them before refreshing tokens")
    return cast(TikTokCredentials, row)


clear_tiktok_credentials = clearer(_TIKTOK)


read_tiktok_credentials = reader(
    _TIKTOK,
    """The four secrets decrypted (server-side use only), or None unless all are stored.""",
)


# -- Telegram ----------------------------------------------------------------------------------


get_telegram_credentials = getter(
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
    return await set_values(conn, _TELEGRAM, plains(bot_token=bot_token, chat_id=chat_id), box)


clear_telegram_credentials = clearer(_TELEGRAM)


read_telegram_credentials = reader(
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


get_github_app_credentials = getter(
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
    values = plains(app_id=app_id, private_key=private_key)
    if all_or_none("github app", values):
        _check_github_app(values["app_id"], values["private_key"])
    return await set_values(conn, _GITHUB, values, box)


clear_github_app_credentials = clearer(_GITHUB)


read_github_app_credentials = reader(
    _GITHUB,
    """App id and decrypted private key (server-side use only), or None unless both are
    stored.""",
)
