"""The secret box: round trips, key rotation, and errors that never carry a secret."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from roboco_sql.config import Settings
from roboco_sql.crypto import SecretBox, TokenAction, TokenUpdate, generate_key
from roboco_sql.errors import EncryptionError

PLAIN = "ghp_s3cr3t-plaintext"


@pytest.fixture
def old_key() -> str:
    return generate_key()


@pytest.fixture
def new_key() -> str:
    return generate_key()


def test_generate_key_is_a_fernet_key() -> None:
    key = generate_key()
    Fernet(key)  # accepted as is
    assert key != generate_key()


def test_round_trip(new_key: str) -> None:
    box = SecretBox(new_key)
    token = box.encrypt(PLAIN)
    assert PLAIN not in token
    out = box.decrypt(token, what="project 'acme' token")
    assert isinstance(out, SecretStr)
    assert out.get_secret_value() == PLAIN
    assert box.encrypt(SecretStr(PLAIN)) != token  # fresh IV every time
    assert box.decrypt(box.encrypt(SecretStr(PLAIN)), what="x").get_secret_value() == PLAIN


def test_round_trip_unicode(new_key: str) -> None:
    box = SecretBox(new_key)
    assert box.decrypt(box.encrypt("clé ✓"), what="x").get_secret_value() == "clé ✓"


def test_from_settings(new_key: str) -> None:
    box = SecretBox.from_settings(Settings.from_env({"ROBOCO_ENCRYPTION_KEY": new_key}))
    assert SecretBox(new_key).decrypt(box.encrypt(PLAIN), what="x").get_secret_value() == PLAIN


def test_old_tokens_read_after_a_new_key_is_put_first(old_key: str, new_key: str) -> None:
    old_token = SecretBox(old_key).encrypt(PLAIN)
    both = SecretBox(f"{new_key}, {old_key}")  # spaces around entries are tolerated
    assert both.decrypt(old_token, what="x").get_secret_value() == PLAIN
    assert both.readable(old_token)
    # new writes go under the newest key only
    assert SecretBox(new_key).readable(both.encrypt(PLAIN))
    assert not SecretBox(old_key).readable(both.encrypt(PLAIN))


def test_rotate_moves_a_token_to_the_newest_key(old_key: str, new_key: str) -> None:
    old_token = SecretBox(old_key).encrypt(PLAIN)
    assert not SecretBox(new_key).readable(old_token)
    rotated = SecretBox(f"{new_key},{old_key}").rotate(old_token)
    assert rotated != old_token
    assert SecretBox(new_key).decrypt(rotated, what="x").get_secret_value() == PLAIN
    assert not SecretBox(old_key).readable(rotated)


def test_readable_is_false_for_foreign_and_garbage_tokens(old_key: str, new_key: str) -> None:
    box = SecretBox(new_key)
    assert not box.readable(SecretBox(old_key).encrypt(PLAIN))
    assert not box.readable("not-a-token")
    assert not box.readable("")


@pytest.mark.parametrize("keys", ["", "   ", ",", " , "])
def test_missing_key(keys: str) -> None:
    box = SecretBox(keys)  # constructing is lazy: nothing raised yet
    with pytest.raises(EncryptionError) as err:
        box.encrypt(PLAIN)
    msg = str(err.value)
    assert "ROBOCO_ENCRYPTION_KEY" in msg
    assert "python -m roboco_sql keys generate" in msg
    assert "\n" not in msg
    assert PLAIN not in msg


def test_missing_key_is_raised_at_first_use_not_before() -> None:
    box = SecretBox.from_settings(Settings.from_env({}))
    assert box.token_update(None).action is TokenAction.KEEP  # no key needed
    assert box.token_update("").action is TokenAction.CLEAR
    with pytest.raises(EncryptionError, match="ROBOCO_ENCRYPTION_KEY"):
        box.check()
    with pytest.raises(EncryptionError, match="ROBOCO_ENCRYPTION_KEY"):
        box.decrypt("whatever", what="x")


@pytest.mark.parametrize(("position", "ordinal"), [(0, "1st"), (1, "2nd"), (2, "3rd")])
def test_malformed_key_names_the_entry_not_the_key(position: int, ordinal: str) -> None:
    bad = "c2hvcnQta2V5LW5vdC0zMi1ieXRlcw=="  # valid base64, wrong length
    keys = [generate_key(), generate_key(), generate_key()]
    keys[position] = bad
    with pytest.raises(EncryptionError) as err:
        SecretBox(",".join(keys)).encrypt(PLAIN)
    msg = str(err.value)
    assert f"the {ordinal} key is malformed" in msg
    assert "ROBOCO_ENCRYPTION_KEY" in msg
    assert "python -m roboco_sql keys generate" in msg
    for key in keys:
        assert key not in msg
    assert PLAIN not in msg
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__


def test_empty_entry_names_its_position(new_key: str) -> None:
    with pytest.raises(EncryptionError, match="the 2nd key is empty") as err:
        SecretBox(f"{new_key},,{new_key}").check()
    assert new_key not in str(err.value)


def test_wrong_key_names_the_secret_and_how_to_rotate(old_key: str, new_key: str) -> None:
    token = SecretBox(old_key).encrypt(PLAIN)
    box = SecretBox(new_key)
    for call in (
        lambda: box.decrypt(token, what="project 'acme' token"),
        lambda: box.rotate(token, what="project 'acme' token"),
    ):
        with pytest.raises(EncryptionError) as err:
            call()
        msg = str(err.value)
        assert "project 'acme' token" in msg
        assert "key may have changed" in msg
        assert "old one after it" in msg
        assert "ROBOCO_ENCRYPTION_KEY=new,old" in msg
        assert "\n" not in msg
        for secret in (PLAIN, token, old_key, new_key):
            assert secret not in msg
        assert err.value.__cause__ is None
        assert err.value.__suppress_context__


def test_token_update_keep_clear_set(new_key: str) -> None:
    box = SecretBox(new_key)
    keep = box.token_update(None)
    assert keep == TokenUpdate(TokenAction.KEEP)
    assert not keep.changes
    assert keep.ciphertext is None

    for empty in ("", SecretStr("")):
        clear = box.token_update(empty)
        assert clear.action is TokenAction.CLEAR
        assert clear.changes
        assert clear.ciphertext is None

    for value in (PLAIN, SecretStr(PLAIN)):
        put = box.token_update(value)
        assert put.action is TokenAction.SET
        assert put.changes
        assert put.ciphertext is not None
        assert PLAIN not in put.ciphertext
        assert box.decrypt(put.ciphertext, what="x").get_secret_value() == PLAIN


def test_nothing_shows_a_plaintext_or_a_key(new_key: str) -> None:
    box = SecretBox(f"{new_key},{generate_key()}")
    secret = box.decrypt(box.encrypt(PLAIN), what="x")
    update = box.token_update(PLAIN)
    for shown in (repr(secret), str(secret), repr(update), str(update), repr(box), str(box)):
        assert PLAIN not in shown
        assert new_key not in shown
    assert repr(box) == "<SecretBox: 2 keys>"
    assert update.ciphertext is not None
    assert update.ciphertext not in repr(update)
