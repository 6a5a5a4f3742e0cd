"""Cloud-auth login users: what RoboCo's startup seeding and fastapi-users' adapter do.

Lookups by address are case-blind (lower(email) = lower(:email)), as fastapi-users matches
logins, and for the same reason create and update refuse an address equal but for case to
another user's (Conflict), besides the exact duplicate the unique index refuses. The password
hash is returned only by ``read_user_password_hash``, as a SecretStr.
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from pydantic import SecretStr

from roboco_sql import queries
from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.models.user import EMAIL_MAX, User, UserCreate, UserUpdate
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import checked_text, input_params
from roboco_sql.repos._paging import checked_limit
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "create_user",
    "delete_user",
    "get_first_user",
    "get_user",
    "get_user_by_email",
    "list_users",
    "read_user_password_hash",
    "update_user",
]

_Q = queries.load()
_CREATE = _Q["users.create_user"]
_GET = _Q["users.get_user"]
_GET_BY_EMAIL = _Q["users.get_user_by_email"]
_GET_FIRST = _Q["users.get_first_user"]
_LIST = _Q["users.list_users"]
_UPDATE = _Q["users.update_user"]
_DELETE = _Q["users.delete_user"]
_READ_HASH = _Q["users.read_user_password_hash"]

_ROW = model_row(User)

_UPDATABLE = UserUpdate.columns()


def _user_id(name: str, value: object) -> uuid.UUID:
    if not isinstance(value, uuid.UUID):
        raise ValidationError(f"{name} must be a UUID, not {type(value).__name__}")
    return value


def _input(name: str, value: object, cls: type[Any]) -> None:
    if not isinstance(value, cls):
        raise ValidationError(f"{name} must be a {cls.__name__}, not {type(value).__name__}")


async def create_user(conn: AsyncConnection[Any], data: UserCreate) -> User:
    """Insert a login user; Conflict when the address (compared case-blind) is taken."""
    _input("data", data, UserCreate)
    with translated("user"):
        user = await queries.fetch_one(
            conn,
            _CREATE,
            _ROW,
            **input_params(_CREATE, data, hashed_password=data.hashed_password.get_secret_value()),
        )
    if user is None:
        raise Conflict(f"user with email={data.email} already exists (addresses match case-blind)")
    return user


async def get_user(conn: AsyncConnection[Any], user_id: uuid.UUID) -> User | None:
    """One user by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=_user_id("user_id", user_id))


async def get_user_by_email(conn: AsyncConnection[Any], email: str) -> User | None:
    """One user by address, compared case-blind (an exact match wins a tie), or None."""
    return await queries.fetch_one(
        conn, _GET_BY_EMAIL, _ROW, email=checked_text("email", email, EMAIL_MAX)
    )


async def get_first_user(conn: AsyncConnection[Any]) -> User | None:
    """The user with the lowest id, or None: RoboCo's seeded CEO login, which its startup
    reconciles with the configured address and password and its Telegram sign-in uses."""
    return await queries.fetch_one(conn, _GET_FIRST, _ROW)


async def list_users(
    conn: AsyncConnection[Any], *, after_id: uuid.UUID | None = None, limit: int = 100
) -> list[User]:
    """Users by id; pass the last id as after_id for the next page."""
    if after_id is not None:
        _user_id("after_id", after_id)
    return await queries.fetch_all(conn, _LIST, _ROW, after_id=after_id, limit=checked_limit(limit))


async def update_user(conn: AsyncConnection[Any], user_id: uuid.UUID, patch: UserUpdate) -> User:
    """Write the fields the patch set (and the hash when given). NotFound if there is no such
    user; Conflict when the new address is another user's (compared case-blind)."""
    _user_id("user_id", user_id)
    _input("patch", patch, UserUpdate)
    params = {"id": user_id, **patch_params(patch.changes(), _UPDATABLE)}
    new_hash = patch.hashed_password
    params["set_hashed_password"] = new_hash is not None
    params["hashed_password"] = new_hash.get_secret_value() if new_hash is not None else None
    with translated("user"):
        user = await queries.fetch_one(conn, _UPDATE, _ROW, **params)
    if user is None:
        if await get_user(conn, user_id) is None:
            raise NotFound(f"user {user_id} not found")
        raise Conflict(f"user with email={patch.email} already exists (addresses match case-blind)")
    return user


async def delete_user(conn: AsyncConnection[Any], user_id: uuid.UUID) -> None:
    """Remove a user; NotFound if there is no such user."""
    if not await queries.execute_rows(conn, _DELETE, id=_user_id("user_id", user_id)):
        raise NotFound(f"user {user_id} not found")


async def read_user_password_hash(conn: AsyncConnection[Any], user_id: uuid.UUID) -> SecretStr:
    """The stored password hash, for verifying a login or fingerprinting a session.

    The one read of the hash; it comes back as a SecretStr. NotFound if there is no such user.
    """
    stored = await queries.fetch_scalar(conn, _READ_HASH, str, id=_user_id("user_id", user_id))
    if stored is None:
        raise NotFound(f"user {user_id} not found")
    return SecretStr(stored)
