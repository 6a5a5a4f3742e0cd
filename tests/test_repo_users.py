"""roboco_sql.repos.users against a real database: the cloud-auth login users."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection
from pydantic import SecretStr

from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.models.user import User, UserCreate, UserUpdate
from roboco_sql.repos import users

Conn = AsyncConnection[Any]
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$" + "h4sh" * 10
HASH_2 = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$" + "n3w" * 12


def ceo(email: str = "ceo@roboco.dev", **kw: Any) -> UserCreate:
    kw.setdefault("hashed_password", HASH)
    return UserCreate(email=email, **kw)


async def stored_hash(conn: Conn, user_id: uuid.UUID) -> str:
    cur = await conn.execute("SELECT hashed_password FROM users WHERE id = %s", (user_id,))
    row = await cur.fetchone()
    assert row is not None
    return str(row[0])


async def test_create_get_and_defaults(conn: Conn) -> None:
    data = ceo()
    user = await users.create_user(conn, data)
    assert user.id == data.id and user.email == "ceo@roboco.dev"
    assert user.has_password
    assert (user.is_active, user.is_superuser, user.is_verified) == (True, False, False)
    assert await users.get_user(conn, user.id) == user
    assert await users.get_user(conn, uuid.uuid4()) is None
    assert await stored_hash(conn, user.id) == HASH


async def test_seeded_ceo_flags_and_first_user(conn: Conn) -> None:
    assert await users.get_first_user(conn) is None
    ids = sorted(uuid.uuid4() for _ in range(3))
    for n, user_id in enumerate(reversed(ids)):
        await users.create_user(
            conn, ceo(f"u{n}@roboco.dev", id=user_id, is_superuser=True, is_verified=True)
        )
    first = await users.get_first_user(conn)
    assert first is not None and first.id == ids[0]  # lowest id, as RoboCo's seed looks it up
    assert first.is_superuser and first.is_verified


async def test_email_lookup_is_case_blind(conn: Conn) -> None:
    user = await users.create_user(conn, ceo("CEO@RoboCo.dev"))
    for spelling in ("CEO@RoboCo.dev", "ceo@roboco.dev", "Ceo@ROBOCO.DEV"):
        assert await users.get_user_by_email(conn, spelling) == user
    assert await users.get_user_by_email(conn, "cfo@roboco.dev") is None


async def test_duplicate_addresses_are_conflicts(conn: Conn) -> None:
    await users.create_user(conn, ceo("ceo@roboco.dev"))
    with pytest.raises(Conflict, match=r"email=ceo@roboco\.dev already exists"):
        await users.create_user(conn, ceo("ceo@roboco.dev"))
    with pytest.raises(Conflict, match="case-blind"):
        await users.create_user(conn, ceo("CEO@roboco.dev"))
    assert len(await users.list_users(conn)) == 1


async def test_exact_duplicate_is_caught_by_the_unique_index(conn: Conn) -> None:
    # a row written around create_user (RoboCo's own insert) still makes a Conflict
    await conn.execute(
        "INSERT INTO users (id, email, hashed_password) VALUES (%s, 'x@y.z', 'h')",
        (uuid.uuid4(),),
    )
    other = await users.create_user(conn, ceo("other@y.z"))
    with pytest.raises(Conflict, match=r"email=x@y\.z already exists"):
        await users.update_user(conn, other.id, UserUpdate(email="x@y.z"))


async def test_exact_spelling_wins_between_case_twins(conn: Conn) -> None:
    for email in ("Twin@x.io", "twin@x.io"):
        await conn.execute(
            "INSERT INTO users (id, email, hashed_password) VALUES (%s, %s, 'h')",
            (uuid.uuid4(), email),
        )
    for email in ("Twin@x.io", "twin@x.io"):
        found = await users.get_user_by_email(conn, email)
        assert found is not None and found.email == email


async def test_update_fields_and_hash(conn: Conn) -> None:
    user = await users.create_user(conn, ceo())
    same = await users.update_user(conn, user.id, UserUpdate())
    assert same == user
    renamed = await users.update_user(conn, user.id, UserUpdate(email="boss@roboco.dev"))
    assert renamed.email == "boss@roboco.dev" and renamed.is_active
    assert await stored_hash(conn, user.id) == HASH  # absent hash: kept

    rotated = await users.update_user(
        conn,
        user.id,
        UserUpdate(hashed_password=SecretStr(HASH_2), is_verified=True, is_active=False),
    )
    assert (rotated.is_verified, rotated.is_active, rotated.is_superuser) == (True, False, False)
    assert await stored_hash(conn, user.id) == HASH_2
    assert (await users.read_user_password_hash(conn, user.id)).get_secret_value() == HASH_2

    # the user's own address in another case is not a conflict with itself
    recased = await users.update_user(conn, user.id, UserUpdate(email="Boss@RoboCo.dev"))
    assert recased.email == "Boss@RoboCo.dev"


async def test_update_refusals(conn: Conn) -> None:
    a = await users.create_user(conn, ceo("a@roboco.dev"))
    await users.create_user(conn, ceo("b@roboco.dev"))
    with pytest.raises(Conflict, match="case-blind"):
        await users.update_user(conn, a.id, UserUpdate(email="B@roboco.dev"))
    with pytest.raises(NotFound, match="not found"):
        await users.update_user(conn, uuid.uuid4(), UserUpdate(is_active=False))
    with pytest.raises(pydantic.ValidationError, match="NOT NULL"):
        UserUpdate(email=None)
    assert (await users.get_user(conn, a.id)) == a


async def test_list_pages_by_id(conn: Conn) -> None:
    made = [await users.create_user(conn, ceo(f"u{n}@roboco.dev")) for n in range(5)]
    ordered = sorted(made, key=lambda u: u.id)
    first = await users.list_users(conn, limit=2)
    assert first == ordered[:2]
    rest = await users.list_users(conn, after_id=first[-1].id, limit=10)
    assert rest == ordered[2:]
    with pytest.raises(ValidationError, match="limit must be between 1 and 1000"):
        await users.list_users(conn, limit=0)


async def test_delete(conn: Conn) -> None:
    user = await users.create_user(conn, ceo())
    await users.delete_user(conn, user.id)
    assert await users.get_user(conn, user.id) is None
    with pytest.raises(NotFound, match=str(user.id)):
        await users.delete_user(conn, user.id)


async def test_password_hash_is_read_only_explicitly(
    conn: Conn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    data = ceo()
    user = await users.create_user(conn, data)
    found = await users.get_user_by_email(conn, data.email)
    assert found is not None
    assert "hashed_password" not in User.model_fields
    shown = " ".join(
        [
            repr(data),
            str(data),
            data.model_dump_json(),
            repr(data.model_dump()),
            repr(user),
            user.model_dump_json(),
            repr(found.model_dump()),
            repr(UserUpdate(hashed_password=SecretStr(HASH_2))),
            caplog.text,
        ]
    )
    assert HASH not in shown and HASH_2 not in shown and "h4sh" not in shown

    hashed = await users.read_user_password_hash(conn, user.id)
    assert isinstance(hashed, SecretStr)
    assert hashed.get_secret_value() == HASH
    assert HASH not in repr(hashed) and HASH not in str(hashed)
    with pytest.raises(NotFound):
        await users.read_user_password_hash(conn, uuid.uuid4())


def test_inputs_are_validated_without_echoing_the_hash() -> None:
    with pytest.raises(pydantic.ValidationError) as long_hash:
        UserCreate(email="a@b.c", hashed_password="z" * 1025)  # type: ignore[arg-type]
    assert "zzzz" not in str(long_hash.value)
    with pytest.raises(pydantic.ValidationError, match="hashed_password"):
        UserCreate(email="a@b.c", hashed_password="")  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="email"):
        UserCreate(email="not an address", hashed_password=HASH)  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="email"):
        UserCreate(email="a@" + "b" * 320, hashed_password=HASH)  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="email contains a NUL"):
        UserCreate(email="a\x00@b.c", hashed_password=HASH)  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="extra"):
        UserCreate(email="a@b.c", hashed_password=HASH, role="admin")  # type: ignore[arg-type, call-arg]


async def test_bad_arguments_are_refused_before_any_sql(conn: Conn) -> None:
    with pytest.raises(ValidationError, match="user_id must be a UUID, not str"):
        await users.get_user(conn, "not-a-uuid")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="email must be 1 to 320 characters"):
        await users.get_user_by_email(conn, "")
    with pytest.raises(ValidationError, match="email must be a string"):
        await users.get_user_by_email(conn, None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="email contains a NUL"):
        await users.get_user_by_email(conn, "a\x00@b.c")
    with pytest.raises(ValidationError, match="after_id must be a UUID"):
        await users.list_users(conn, after_id=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="data must be a UserCreate"):
        await users.create_user(conn, {"email": "a@b.c"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="patch must be a UserUpdate"):
        await users.update_user(conn, uuid.uuid4(), {"email": "a@b.c"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="user_id must be a UUID"):
        await users.delete_user(conn, 1)  # type: ignore[arg-type]
    # the connection is still usable: nothing reached the server
    assert await users.list_users(conn) == []
