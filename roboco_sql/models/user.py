"""Cloud-auth login users (the fastapi-users field set); RoboCo keeps a single CEO row.

The password hash is a credential: row models report it only as ``has_password``, inputs hold
it as ``SecretStr`` and never echo it in a validation error. Hashing is the caller's job (RoboCo
hashes with fastapi-users' PasswordHelper); this layer stores and returns the hash string.
"""

from __future__ import annotations

import uuid
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, SecretStr, StringConstraints

from roboco_sql.models.base import Create, Patch, Row

EMAIL_MAX = 320
HASH_MAX = 1024

Email = Annotated[
    str, StringConstraints(min_length=3, max_length=EMAIL_MAX, pattern=r"^[^@\s]+@[^@\s]+$")
]
"""An address as users.email holds it (varchar(320)): something@somewhere, no spaces."""

PasswordHash = Annotated[SecretStr, Field(min_length=1, max_length=HASH_MAX)]
"""A password hash string (varchar(1024)), never the password itself."""


class User(Row):
    """Row of ``users``; the hash is reported only as ``has_password``."""

    __table__ = "users"
    __secret_columns__: ClassVar[dict[str, str]] = {"hashed_password": "has_password"}

    id: uuid.UUID
    email: str
    has_password: bool
    is_active: bool
    is_superuser: bool
    is_verified: bool


class UserCreate(Create):
    """A new login; the flags default as the table (and fastapi-users) do."""

    __table__ = "users"
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    email: Email
    hashed_password: PasswordHash
    is_active: bool = True
    is_superuser: bool = False
    is_verified: bool = False


class UserUpdate(Patch):
    """Fields to change; ``hashed_password`` None or absent keeps the stored hash."""

    __table__ = "users"
    __secret_inputs__ = frozenset({"hashed_password"})
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    email: Email | None = None
    hashed_password: PasswordHash | None = None
    is_active: bool | None = None
    is_superuser: bool | None = None
    is_verified: bool | None = None


__all__ = ["User", "UserCreate", "UserUpdate"]
