"""Credentials of the outside services RoboCo talks to: X, TikTok, Telegram, a GitHub App.

Each table holds at most one row. The row models report every encrypted column only as a
``has_*`` boolean; the decrypted values exist only in the ``*Secrets`` models, which the
repositories' explicit ``read_*`` functions return and which hold them as ``SecretStr``.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, SecretStr

from roboco_sql.models.base import Row


class XCredentials(Row):
    """Row of ``x_credentials``: the four OAuth 1.0a user-context secrets, as flags."""

    __table__ = "x_credentials"
    __secret_columns__: ClassVar[dict[str, str]] = {
        "api_key_encrypted": "has_api_key",
        "api_secret_encrypted": "has_api_secret",
        "access_token_encrypted": "has_access_token",
        "access_token_secret_encrypted": "has_access_token_secret",
    }

    id: uuid.UUID
    has_api_key: bool
    has_api_secret: bool
    has_access_token: bool
    has_access_token_secret: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime | None

    @property
    def has_credentials(self) -> bool:
        """A request can be signed only with all four."""
        return (
            self.has_api_key
            and self.has_api_secret
            and self.has_access_token
            and self.has_access_token_secret
        )


class TikTokCredentials(Row):
    """Row of ``tiktok_credentials``: app key/secret and the OAuth2 token pair, as flags."""

    __table__ = "tiktok_credentials"
    __secret_columns__: ClassVar[dict[str, str]] = {
        "client_key_encrypted": "has_client_key",
        "client_secret_encrypted": "has_client_secret",
        "access_token_encrypted": "has_access_token",
        "refresh_token_encrypted": "has_refresh_token",
    }

    id: uuid.UUID
    has_client_key: bool
    has_client_secret: bool
    has_access_token: bool
    has_refresh_token: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime | None

    @property
    def has_credentials(self) -> bool:
        return (
            self.has_client_key
            and self.has_client_secret
            and self.has_access_token
            and self.has_refresh_token
        )


class TelegramCredentials(Row):
    """Row of ``telegram_credentials``: bot token and the CEO's chat id, as flags."""

    __table__ = "telegram_credentials"
    __secret_columns__: ClassVar[dict[str, str]] = {
        "bot_token_encrypted": "has_bot_token",
        "chat_id_encrypted": "has_chat_id",
    }

    id: uuid.UUID
    has_bot_token: bool
    has_chat_id: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime | None

    @property
    def has_credentials(self) -> bool:
        """A token alone cannot address a message: both or nothing."""
        return self.has_bot_token and self.has_chat_id


class GitHubAppCredentials(Row):
    """Row of ``github_app_credentials``; the app id is public, the private key a flag."""

    __table__ = "github_app_credentials"
    __secret_columns__: ClassVar[dict[str, str]] = {
        "private_key_encrypted": "has_private_key",
    }

    id: uuid.UUID
    app_id: str | None
    has_private_key: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime | None

    @property
    def has_credentials(self) -> bool:
        """A JWT needs both the app id and its key."""
        return bool(self.app_id) and self.has_private_key


class _Secrets(BaseModel):
    """Decrypted values, server-side only: frozen, and every secret a SecretStr."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class XSecrets(_Secrets):
    api_key: SecretStr
    api_secret: SecretStr
    access_token: SecretStr
    access_token_secret: SecretStr


class TikTokSecrets(_Secrets):
    client_key: SecretStr
    client_secret: SecretStr
    access_token: SecretStr
    refresh_token: SecretStr


class TelegramSecrets(_Secrets):
    bot_token: SecretStr
    chat_id: SecretStr


class GitHubAppSecrets(_Secrets):
    app_id: str
    private_key: SecretStr


__all__ = [
    "GitHubAppCredentials",
    "GitHubAppSecrets",
    "TelegramCredentials",
    "TelegramSecrets",
    "TikTokCredentials",
    "TikTokSecrets",
    "XCredentials",
    "XSecrets",
]
