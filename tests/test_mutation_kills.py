"""Tests written to kill the mutants `make mutate` found surviving (mutation/README.md).

Each pins down a behaviour the older tests exercised without checking exactly: the wording
of an operator-facing error, a boundary, a default. No database: these run in a second.
"""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from roboco_sql import crypto
from roboco_sql.crypto import SecretBox, TokenAction, generate_key
from roboco_sql.errors import EncryptionError, ValidationError

# -- crypto ------------------------------------------------------------------------------------

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
_NOT_SET = (
    "ROBOCO_ENCRYPTION_KEY is not set; make one with `python -m roboco_sql keys generate` "
    "and set it"
)


def test_generate_key_is_a_fresh_fernet_key_as_text() -> None:
    key = generate_key()
    assert isinstance(key, str) and len(key) == 44 and key != generate_key()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"


@pytest.mark.parametrize(
    ("keys", "shown"),
    [
        ("", "<SecretBox: 0 keys>"),
        (KEY_A, "<SecretBox: 1 key>"),
        (f"{KEY_A}, ,{KEY_B}", "<SecretBox: 2 keys>"),
        (f"{KEY_A},{KEY_B},{KEY_A}", "<SecretBox: 3 keys>"),
    ],
)
def test_repr_counts_keys_and_shows_none(keys: str, shown: str) -> None:
    assert repr(SecretBox(keys)) == shown


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (9, "9th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (14, "14th"),
        (20, "20th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (113, "113th"),
        (121, "121st"),
    ],
)
def test_ordinal(n: int, word: str) -> None:
    assert crypto._ordinal(n) == word


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("", _NOT_SET),
        (" , ", _NOT_SET),
        (
            f"{KEY_A},,{KEY_B}",
            "ROBOCO_ENCRYPTION_KEY: the 2nd key is empty (stray comma?)",
        ),
        (
            f"{KEY_A},{KEY_B},",
            "ROBOCO_ENCRYPTION_KEY: the 3rd key is empty (stray comma?)",
        ),
        (
            f"{KEY_A},not-a-key",
            "ROBOCO_ENCRYPTION_KEY: the 2nd key is malformed (a Fernet key is 32 url-safe "
            "base64-encoded bytes; make one with `python -m roboco_sql keys generate`)",
        ),
        (
            "x" * 44,
            "ROBOCO_ENCRYPTION_KEY: the 1st key is malformed (a Fernet key is 32 url-safe "
            "base64-encoded bytes; make one with `python -m roboco_sql keys generate`)",
        ),
    ],
)
def test_bad_keys_are_named_exactly(keys: str, message: str) -> None:
    with pytest.raises(EncryptionError) as caught:
        SecretBox(keys).check()
    assert str(caught.value) == message
    with pytest.raises(EncryptionError):
        SecretBox(keys).encrypt("x")


def test_keys_are_stripped_and_the_first_is_the_newest() -> None:
    box = SecretBox(f"  {KEY_B} , {KEY_A}  ")
    token = box.encrypt("s3cret")
    assert Fernet(KEY_B).decrypt(token.encode()) == b"s3cret"
    assert box.is_current(token) and not box.is_current(Fernet(KEY_A).encrypt(b"x").decode())


def _unreadable(what: str) -> str:
    return (
        f"cannot decrypt {what}: no key in ROBOCO_ENCRYPTION_KEY opens it; the key may have "
        "changed. To rotate, set the new key first and the old one after it: "
        "ROBOCO_ENCRYPTION_KEY=new,old"
    )


def test_decrypt_errors_name_the_secret() -> None:
    box = SecretBox(KEY_A)
    foreign = Fernet(KEY_B).encrypt(b"x").decode()
    with pytest.raises(EncryptionError) as caught:
        box.decrypt(foreign, what="project 'acme' token")
    assert str(caught.value) == _unreadable("project 'acme' token")
    not_text = Fernet(KEY_A).encrypt(b"\xff\xfe").decode()
    with pytest.raises(EncryptionError) as caught:
        box.decrypt(not_text, what="provider 'x' key")
    assert str(caught.value) == "cannot decrypt provider 'x' key: it is not UTF-8 text"
    assert box.decrypt(box.encrypt("été"), what="t").get_secret_value() == "été"


def test_rotate_moves_to_the_newest_key_and_names_what_it_cannot_open() -> None:
    old = Fernet(KEY_A).encrypt(b"tok").decode()
    box = SecretBox(f"{KEY_B},{KEY_A}")
    rotated = box.rotate(old)
    assert isinstance(rotated, str) and box.is_current(rotated) and not box.is_current(old)
    assert Fernet(KEY_B).decrypt(rotated.encode()) == b"tok"
    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with pytest.raises(EncryptionError) as caught:
        box.rotate(foreign)
    assert str(caught.value) == _unreadable("token")
    with pytest.raises(EncryptionError) as caught:
        box.rotate(foreign, what="credential 'github'")
    assert str(caught.value) == _unreadable("credential 'github'")


def test_readable_and_is_current() -> None:
    box = SecretBox(f"{KEY_B},{KEY_A}")
    assert box.readable(Fernet(KEY_A).encrypt(b"x").decode())
    assert not box.readable(Fernet(Fernet.generate_key()).encrypt(b"x").decode())
    with pytest.raises(EncryptionError):
        SecretBox("").readable("token")
    with pytest.raises(EncryptionError, match=re.escape(_NOT_SET)):
        SecretBox("").is_current("token")


def test_encrypt_takes_secrets_and_refuses_lone_surrogates() -> None:
    box = SecretBox(KEY_A)
    token = box.encrypt(SecretStr("hidden"))
    assert isinstance(token, str) and Fernet(KEY_A).decrypt(token.encode()) == b"hidden"
    with pytest.raises(ValidationError) as caught:
        box.encrypt("a\ud800b")
    assert str(caught.value) == "the token is not valid Unicode text"


@pytest.mark.parametrize("value", ["tok", SecretStr("tok")])
def test_token_update_sets(value: str | SecretStr) -> None:
    update = SecretBox(KEY_A).token_update(value)
    assert update.action is TokenAction.SET and update.changes
    assert update.ciphertext is not None
    assert Fernet(KEY_A).decrypt(update.ciphertext.encode()) == b"tok"


@pytest.mark.parametrize("value", ["", SecretStr("")])
def test_token_update_clears(value: str | SecretStr) -> None:
    update = SecretBox(KEY_A).token_update(value)
    assert update.action is TokenAction.CLEAR and update.changes and update.ciphertext is None


def test_token_update_keeps() -> None:
    update = SecretBox("").token_update(None)  # keeping needs no key at all
    assert update.action is TokenAction.KEEP and not update.changes and update.ciphertext is None
    assert "ciphertext" not in repr(SecretBox(KEY_A).token_update("tok"))
