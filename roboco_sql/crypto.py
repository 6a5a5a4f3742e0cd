"""The secret box for the encrypted columns (keys.COLUMNS), on cryptography's MultiFernet.

ROBOCO_ENCRYPTION_KEY holds one Fernet key or several, comma-separated, newest first: new
tokens are written under the first, old ones still read under any, and rotate() moves a token
to the first. Keys are parsed at first use, so a process that never touches a token boots
without one. Plaintexts leave this module only as SecretStr; no message carries a key, a token
or a plaintext.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from roboco_sql.errors import EncryptionError, ValidationError

if TYPE_CHECKING:
    from roboco_sql.config import Settings

__all__ = ["SecretBox", "TokenAction", "TokenUpdate", "generate_key"]

ENV = "ROBOCO_ENCRYPTION_KEY"
_MAKE_KEY = "make one with `python -m roboco_sql keys generate`"


def generate_key() -> str:
    """A fresh Fernet key, as ROBOCO_ENCRYPTION_KEY expects it."""
    return Fernet.generate_key().decode("ascii")


class TokenAction(StrEnum):
    """What an update does to an encrypted column."""

    KEEP = "keep"  # value None: leave the column as it is
    CLEAR = "clear"  # value "": set the column to NULL
    SET = "set"  # anything else: store its ciphertext


@dataclass(frozen=True, slots=True)
class TokenUpdate:
    """An encrypted column's update, ready for SQL.

    Bind `changes` and `ciphertext` as `col = CASE WHEN :changes THEN :ciphertext ELSE col END`.
    """

    action: TokenAction
    ciphertext: str | None = field(default=None, repr=False)

    @property
    def changes(self) -> bool:
        return self.action is not TokenAction.KEEP


class SecretBox:
    """Encrypts and decrypts tokens under the configured keys, newest first."""

    __slots__ = ("_fernet", "_keys", "_newest")

    def __init__(self, keys: str) -> None:
        self._keys = keys
        self._fernet: MultiFernet | None = None
        self._newest: Fernet | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(settings.encryption_key)

    def __repr__(self) -> str:
        count = len([k for k in self._keys.split(",") if k.strip()])
        return f"<SecretBox: {count} key{'s' if count != 1 else ''}>"

    def check(self) -> None:
        """Parse the keys now (boot, `keys check`) instead of at the first token."""
        self._box()

    def encrypt(self, plaintext: str | SecretStr) -> str:
        if isinstance(plaintext, SecretStr):
            plaintext = plaintext.get_secret_value()
        try:
            raw = plaintext.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: not text any server could store
            raise ValidationError("the token is not valid Unicode text") from None
        return self._box().encrypt(raw).decode("ascii")

    def decrypt(self, token: str, *, what: str) -> SecretStr:
        """`what` names the secret in the error, e.g. "project 'acme' token"."""
        try:
            raw = self._box().decrypt(token)
        except InvalidToken:
            raise EncryptionError(_unreadable(what)) from None
        try:
            return SecretStr(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise EncryptionError(f"cannot decrypt {what}: it is not UTF-8 text") from None

    def rotate(self, token: str, *, what: str = "token") -> str:
        """The same secret under the newest key; readable by that key alone afterwards."""
        try:
            return self._box().rotate(token).decode("ascii")
        except InvalidToken:
            raise EncryptionError(_unreadable(what)) from None

    def readable(self, token: str) -> bool:
        """Whether any configured key opens the token; a missing key still raises."""
        try:
            self._box().decrypt(token)
        except InvalidToken:
            return False
        return True

    def is_current(self, token: str) -> bool:
        """Whether the newest key alone opens the token; rotation leaves such tokens alone.

        Fernet tokens do not say which key made them, so this tries the first key only.
        """
        if self._newest is None:
            self._box()  # a missing or malformed key fails here, with the clear error
            self._newest = Fernet(self._keys.split(",")[0].strip())
        try:
            self._newest.decrypt(token)
        except InvalidToken:
            return False
        return True

    def token_update(self, value: str | SecretStr | None) -> TokenUpdate:
        """RoboCo's update semantics: None keeps, "" clears, anything else is encrypted."""
        if value is None:
            return TokenUpdate(TokenAction.KEEP)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value == "":
            return TokenUpdate(TokenAction.CLEAR)
        return TokenUpdate(TokenAction.SET, self.encrypt(value))

    def _box(self) -> MultiFernet:
        if self._fernet is None:
            self._fernet = _parse(self._keys)
        return self._fernet


def _parse(keys: str) -> MultiFernet:
    entries = [k.strip() for k in keys.split(",")]
    if not any(entries):
        raise EncryptionError(f"{ENV} is not set; {_MAKE_KEY} and set it")
    fernets: list[Fernet] = []
    for n, entry in enumerate(entries, 1):
        if not entry:
            raise EncryptionError(f"{ENV}: the {_ordinal(n)} key is empty (stray comma?)")
        try:
            fernets.append(Fernet(entry))
        except (ValueError, TypeError):
            raise EncryptionError(
                f"{ENV}: the {_ordinal(n)} key is malformed (a Fernet key is 32 url-safe "
                f"base64-encoded bytes; {_MAKE_KEY})"
            ) from None
    return MultiFernet(fernets)


def _unreadable(what: str) -> str:
    return (
        f"cannot decrypt {what}: no key in {ENV} opens it; the key may have changed. "
        f"To rotate, set the new key first and the old one after it: {ENV}=new,old"
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
