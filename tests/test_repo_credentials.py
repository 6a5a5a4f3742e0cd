"""roboco_sql.repos.credentials against a real database: the singleton credential rows of X,
TikTok, Telegram and the GitHub App, encrypted, and covered by key check and rotation."""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from psycopg import AsyncConnection
from pydantic import BaseModel, SecretStr

from roboco_sql import keys
from roboco_sql.crypto import SecretBox, generate_key
from roboco_sql.errors import EncryptionError, NotFound, ValidationError
from roboco_sql.models.credentials import (
    GitHubAppCredentials,
    TelegramCredentials,
    TikTokCredentials,
    XCredentials,
)
from roboco_sql.repos import credentials as creds

Conn = AsyncConnection[Any]


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


PEM = _pem()


@dataclass(frozen=True)
class Service:
    """One credential row and its repository functions, so every test runs for all four."""

    name: str
    table: str
    secret_columns: tuple[str, ...]
    plain: dict[str, str]  # keyword -> value (secrets random per run)
    get: Callable[[Conn], Awaitable[BaseModel | None]]
    set: Callable[..., Awaitable[BaseModel | None]]
    clear: Callable[[Conn], Awaitable[bool]]
    read: Callable[..., Awaitable[BaseModel | None]]

    @property
    def secret_values(self) -> list[str]:
        return [v for k, v in self.plain.items() if k != "app_id"]


def _tok(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


SERVICES = [
    Service(
        "x",
        "x_credentials",
        (
            "api_key_encrypted",
            "api_secret_encrypted",
            "access_token_encrypted",
            "access_token_secret_encrypted",
        ),
        {
            "api_key": _tok("xk"),
            "api_secret": _tok("xs"),
            "access_token": _tok("xa"),
            "access_token_secret": _tok("xt"),
        },
        creds.get_x_credentials,
        creds.set_x_credentials,
        creds.clear_x_credentials,
        creds.read_x_credentials,
    ),
    Service(
        "tiktok",
        "tiktok_credentials",
        (
            "client_key_encrypted",
            "client_secret_encrypted",
            "access_token_encrypted",
            "refresh_token_encrypted",
        ),
        {
            "client_key": _tok("tk"),
            "client_secret": _tok("ts"),
            "access_token": _tok("ta"),
            "refresh_token": _tok("tr"),
        },
        creds.get_tiktok_credentials,
        creds.set_tiktok_credentials,
        creds.clear_tiktok_credentials,
        creds.read_tiktok_credentials,
    ),
    Service(
        "telegram",
        "telegram_credentials",
        ("bot_token_encrypted", "chat_id_encrypted"),
        {"bot_token": f"123456:{secrets.token_hex(16)}", "chat_id": "987654321"},
        creds.get_telegram_credentials,
        creds.set_telegram_credentials,
        creds.clear_telegram_credentials,
        creds.read_telegram_credentials,
    ),
    Service(
        "github_app",
        "github_app_credentials",
        ("private_key_encrypted",),
        {"app_id": "424242", "private_key": PEM},
        creds.get_github_app_credentials,
        creds.set_github_app_credentials,
        creds.clear_github_app_credentials,
        creds.read_github_app_credentials,
    ),
]
BY_NAME = {s.name: s for s in SERVICES}
ids = [s.name for s in SERVICES]


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(generate_key())


async def stored(conn: Conn, service: Service) -> list[tuple[Any, ...]]:
    cols = ", ".join(service.secret_columns)
    cur = await conn.execute(f"SELECT id, {cols} FROM {service.table}")
    return await cur.fetchall()


def revealed(model: BaseModel) -> dict[str, str]:
    out = {}
    for name, value in model:
        assert name == "app_id" or isinstance(value, SecretStr), name
        out[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return out


@pytest.mark.parametrize("service", SERVICES, ids=ids)
async def test_set_get_read_round_trip(conn: Conn, service: Service, box: SecretBox) -> None:
    assert await service.get(conn) is None
    assert await service.read(conn, box=box) is None

    row = await service.set(conn, **service.plain, box=box)
    assert row is not None
    assert row.has_credentials  # type: ignore[attr-defined]
    assert row.updated_at is None  # type: ignore[attr-defined]
    assert await service.get(conn) == row

    (stored_row,) = await stored(conn, service)
    for ciphertext in stored_row[1:]:
        assert ciphertext.startswith("gAAAAA")  # Fernet, not plaintext
        assert all(value not in ciphertext for value in service.secret_values)

    secrets_ = await service.read(conn, box=box)
    assert secrets_ is not None
    assert revealed(secrets_) == service.plain


@pytest.mark.parametrize("service", SERVICES, ids=ids)
async def test_set_again_rewrites_the_one_row(conn: Conn, service: Service, box: SecretBox) -> None:
    first = await service.set(conn, **service.plain, box=box)
    changed = {k: (v if k == "private_key" else f"{v}-2") for k, v in service.plain.items()}
    second = await service.set(conn, **changed, box=box)
    assert first is not None and second is not None
    assert second.id == first.id  # type: ignore[attr-defined]
    assert second.updated_at is not None  # type: ignore[attr-defined]
    assert len(await stored(conn, service)) == 1
    got = await service.read(conn, box=box)
    assert got is not None and revealed(got) == changed


@pytest.mark.parametrize("service", SERVICES, ids=ids)
async def test_a_row_written_by_roboco_is_the_one_updated(
    conn: Conn, service: Service, box: SecretBox
) -> None:
    # RoboCo inserts the row under a random id; a set must rewrite it, not add a second row
    theirs = uuid.uuid4()
    await conn.execute(
        f"INSERT INTO {service.table} (id) VALUES (%s)",
        (theirs,),
    )
    before = await service.get(conn)
    assert before is not None and not before.has_credentials  # type: ignore[attr-defined]
    assert await service.read(conn, box=box) is None
    row = await service.set(conn, **service.plain, box=box)
    assert row is not None and row.id == theirs  # type: ignore[attr-defined]
    assert [r[0] for r in await stored(conn, service)] == [theirs]


@pytest.mark.parametrize("service", SERVICES, ids=ids)
async def test_a_partial_set_is_refused_naming_the_empty_values(
    conn: Conn, service: Service, box: SecretBox
) -> None:
    first = next(iter(service.plain))
    partial = {**service.plain, first: ""}
    with pytest.raises(ValidationError, match=f": {first} empty") as caught:
        await service.set(conn, **partial, box=box)
    assert all(value not in str(caught.value) for value in service.secret_values)
    assert await stored(conn, service) == []

    await service.set(conn, **service.plain, box=box)
    with pytest.raises(ValidationError, match=f": {first} empty"):
        await service.set(conn, **partial, box=box)
    got = await service.read(conn, box=box)
    assert got is not None and revealed(got) == service.plain  # left as it was


@pytest.mark.parametrize("service", SERVICES, ids=ids)
async def test_all_empty_clears_and_clear_reports(
    conn: Conn, service: Service, box: SecretBox
) -> None:
    assert await service.clear(conn) is False
    await service.set(conn, **service.plain, box=box)
    assert await service.set(conn, **dict.fromkeys(service.plain, "")) is None  # no key needed
    assert await service.get(conn) is None
    assert await stored(conn, service) == []

    await service.set(conn, **service.plain, box=box)
    assert await service.clear(conn) is True
    assert await service.get(conn) is None
    assert await service.read(conn, box=box) is None


@pytest.mark.parametrize("service", SERVICES, ids=ids)
async def test_an_incomplete_row_reads_as_none(
    conn: Conn, service: Service, box: SecretBox
) -> None:
    await service.set(conn, **service.plain, box=box)
    await conn.execute(f"UPDATE {service.table} SET {service.secret_columns[-1]} = ''")
    row = await service.get(conn)
    assert row is not None and not row.has_credentials  # type: ignore[attr-defined]
    assert await service.read(conn, box=box) is None


@pytest.mark.parametrize("service", SERVICES, ids=ids)
async def test_wrong_key_and_missing_key(
    conn: Conn, service: Service, box: SecretBox, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.set(conn, **service.plain, box=box)
    with pytest.raises(EncryptionError, match=f"{service.name.replace('_', ' ')} credentials"):
        await service.read(conn, box=SecretBox(generate_key()))
    monkeypatch.delenv("ROBOCO_ENCRYPTION_KEY", raising=False)
    with pytest.raises(EncryptionError, match="ROBOCO_ENCRYPTION_KEY is not set"):
        await service.set(conn, **service.plain)
    got = await service.read(conn, box=box)
    assert got is not None and revealed(got) == service.plain  # the failed set wrote nothing


async def test_the_box_comes_from_the_environment(
    conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    monkeypatch.setenv("ROBOCO_ENCRYPTION_KEY", key)
    telegram = BY_NAME["telegram"]
    await telegram.set(conn, **telegram.plain)
    got = await creds.read_telegram_credentials(conn, box=SecretBox(key))
    assert got is not None and revealed(got) == telegram.plain


@pytest.mark.parametrize("service", SERVICES, ids=ids)
async def test_no_secret_in_reprs_dumps_or_logs(
    conn: Conn, service: Service, box: SecretBox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    row = await service.set(conn, **service.plain, box=box)
    got = await service.get(conn)
    read = await service.read(conn, box=box)
    assert row is not None and got is not None and read is not None
    ciphertexts = [c for r in await stored(conn, service) for c in r[1:]]
    shown = " ".join(
        [
            repr(row),
            str(row),
            row.model_dump_json(),
            repr(row.model_dump()),
            repr(read),
            str(read),
            read.model_dump_json(),
            repr(read.model_dump()),
            caplog.text,
        ]
    )
    for secret in [*service.secret_values, *ciphertexts]:
        assert secret not in shown
    assert not any("encrypted" in name for name in type(row).model_fields)


async def test_secret_columns_are_flags_in_the_row_models() -> None:
    assert set(XCredentials.__secret_columns__) == set(BY_NAME["x"].secret_columns)
    assert set(TikTokCredentials.__secret_columns__) == set(BY_NAME["tiktok"].secret_columns)
    assert set(TelegramCredentials.__secret_columns__) == set(BY_NAME["telegram"].secret_columns)
    assert GitHubAppCredentials.__secret_columns__ == {"private_key_encrypted": "has_private_key"}


async def test_tiktok_token_refresh_leaves_the_app_secrets(conn: Conn, box: SecretBox) -> None:
    with pytest.raises(NotFound, match="no tiktok credentials"):
        await creds.update_tiktok_tokens(conn, access_token="a", refresh_token="r", box=box)
    tiktok = BY_NAME["tiktok"]
    first = await creds.set_tiktok_credentials(conn, **tiktok.plain, box=box)
    assert first is not None
    before = await stored(conn, tiktok)

    row = await creds.update_tiktok_tokens(
        conn, access_token=SecretStr("new-access"), refresh_token="new-refresh", box=box
    )
    assert row.id == first.id and row.has_credentials and row.updated_at is not None
    after = await stored(conn, tiktok)
    assert after[0][1:3] == before[0][1:3]  # client key and secret: same ciphertexts
    got = await creds.read_tiktok_credentials(conn, box=box)
    assert got is not None
    assert revealed(got) == {
        **tiktok.plain,
        "access_token": "new-access",
        "refresh_token": "new-refresh",
    }
    with pytest.raises(ValidationError, match="refresh_token empty"):
        await creds.update_tiktok_tokens(conn, access_token="x", refresh_token="", box=box)


async def test_github_app_checks_the_key_and_the_app_id(conn: Conn, box: SecretBox) -> None:
    garbage = "-----BEGIN PRIVATE KEY-----\nnot-a-key-" + secrets.token_hex(8)
    with pytest.raises(ValidationError, match="private_key is not an unencrypted PEM") as bad:
        await creds.set_github_app_credentials(conn, app_id="1", private_key=garbage, box=box)
    assert garbage not in str(bad.value) and "not-a-key" not in str(bad.value)
    with pytest.raises(ValidationError, match="app_id is longer than 32"):
        await creds.set_github_app_credentials(conn, app_id="9" * 33, private_key=PEM, box=box)
    with pytest.raises(ValidationError, match="app_id contains a NUL"):
        await creds.set_github_app_credentials(conn, app_id="1\x00", private_key=PEM, box=box)
    with pytest.raises(ValidationError, match="app_id must be a string"):
        await creds.set_github_app_credentials(conn, app_id=42, private_key=PEM, box=box)  # type: ignore[arg-type]
    assert await creds.get_github_app_credentials(conn) is None

    row = await creds.set_github_app_credentials(conn, app_id="424242", private_key=PEM, box=box)
    assert row is not None and row.app_id == "424242" and row.has_private_key
    assert PEM not in repr(row)


async def test_bad_values_are_refused_before_any_sql(conn: Conn, box: SecretBox) -> None:
    x = BY_NAME["x"]
    with pytest.raises(ValidationError, match="api_secret must be a string, not int"):
        await creds.set_x_credentials(conn, **{**x.plain, "api_secret": 7}, box=box)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="access_token is not valid Unicode"):
        await creds.set_x_credentials(conn, **{**x.plain, "access_token": "\ud800"}, box=box)
    assert await creds.get_x_credentials(conn) is None


async def test_concurrent_first_sets_make_one_row(db_url: str, box: SecretBox) -> None:
    # both writers see no row; the second meets the first on the fixed id and updates it
    telegram = BY_NAME["telegram"]
    async with (
        await AsyncConnection.connect(db_url) as a,
        await AsyncConnection.connect(db_url) as b,
    ):
        await creds.set_telegram_credentials(a, **telegram.plain, box=box)
        await b.execute("SET lock_timeout = '5s'")

        async def second() -> TelegramCredentials | None:
            return await creds.set_telegram_credentials(
                b, bot_token="1:other", chat_id="2", box=box
            )

        task = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # b waits on a's uncommitted row
        await a.commit()
        row = await task
        await b.commit()
        assert row is not None
        cur = await a.execute("SELECT count(*) FROM telegram_credentials")
        assert await cur.fetchone() == (1,)
        got = await creds.read_telegram_credentials(a, box=box)
        assert got is not None and revealed(got) == {"bot_token": "1:other", "chat_id": "2"}


# -- keys check / rotate cover the credential columns ------------------------------------------

CREDENTIAL_COLUMNS = {f"{s.table}.{column}" for s in SERVICES for column in s.secret_columns}


async def test_keys_check_and_rotate_cover_every_credential_column(db_url: str) -> None:
    key_a, key_b = generate_key(), generate_key()
    old = SecretBox(key_a)
    async with await AsyncConnection.connect(db_url, autocommit=True) as conn:
        for service in SERVICES:
            await service.set(conn, **service.plain, box=old)
        assert {c.name for c in keys.COLUMNS} >= CREDENTIAL_COLUMNS

        checked = await keys.check_keys(conn, old)
        by_column = {c.column: c for c in checked.columns}
        for name in CREDENTIAL_COLUMNS:
            assert (by_column[name].readable, by_column[name].current) == (1, 1), name
        under_b = await keys.check_keys(conn, SecretBox(key_b))
        assert "x credentials 'api_key'" in {r for c in under_b.columns for r in c.unreadable}
        assert under_b.unreadable == len(CREDENTIAL_COLUMNS)

        report = await keys.rotate(conn, SecretBox(f"{key_b},{key_a}"), batch_size=1)
        assert report.rotated == len(CREDENTIAL_COLUMNS) and report.ok
        rotated = {c.column: c.rotated for c in report.columns}
        assert all(rotated[name] == 1 for name in CREDENTIAL_COLUMNS)

        new = SecretBox(key_b)  # key B alone now opens every credential
        for service in SERVICES:
            got = await service.read(conn, box=new)
            assert got is not None and revealed(got) == service.plain, service.name
            with pytest.raises(EncryptionError):
                await service.read(conn, box=old)
        again = await keys.rotate(conn, new)
        assert again.rotated == 0 and again.current == len(CREDENTIAL_COLUMNS)
