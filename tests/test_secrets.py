"""No password in any output: malformed and unreachable URLs through every connecting command
and the library's entry points, checked in stdout, stderr, exceptions and log records.

The CLI cases run in-process (cli.main) so the whole matrix takes seconds; one child process
checks the real thing (the variable route and --debug's traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from roboco_sql import backup, cli, db, redact
from roboco_sql.boot import init_db
from roboco_sql.config import Settings, describe
from roboco_sql.crypto import generate_key
from roboco_sql.errors import ConfigError, DatabaseUnavailable, RobocoSQLError
from tests.conftest import run_cli

PW = "Sekr1tPw"
# (url, the strings that must never show); the password sits where libpq's parse error
# quotes it, or where an unescaped @ or / moves it into the host or the database name
MALFORMED = [
    (f"postgresql://u:{PW}@[::1:5432/db", [PW]),
    (f"postgresql://u:{PW}@h/db%zz", [PW]),
    (f"postgresql://u:{PW}@h/db%00", [PW]),
    (f"postgresql://u:{PW}%zz@h/db", [PW]),
    (f"postgres://u:{PW}@h/db%", [PW]),
    (f"postgresql://u:{PW}@h/db%0", [PW]),
    (f"postgresql://u:{PW}@h/db?foo=bar", [PW]),
    (f"postgresql://u@h/db?password={PW}&bogus=1", [PW]),
    (f"postgresql+asyncpg://u:{PW}@[::1/db", [PW]),
    (f"postgresql://u:{PW}@h:5432/db?application_name=%zz", [PW]),
    (f"host=h password={PW} dbname", [PW]),
    (f"host=h password='{PW} x' dbname", [PW]),
    (f"user=u password={PW} host=h sslmode", [PW]),
    (f"postgresql://u:{PW}@x9@[::1/db%zz", [f"{PW}@x9", PW]),
    (f"postgresql://u:{PW}:x9@[::1/db%zz", [f"{PW}:x9", PW]),
]
# well formed, nothing listening (port 1) or a password that spills into host / database
UNREACHABLE = [
    (f"postgresql://u:{PW}@127.0.0.1:1/db", [PW]),
    (f"postgresql://u:{PW}@x9@127.0.0.1:1/db", [f"{PW}@x9", PW]),
    (f"postgresql://u:{PW}/x9@127.0.0.1:1/db", [f"{PW}/x9", PW]),
    (f"host=127.0.0.1 port=1 dbname=db user=u password={PW}", [PW]),
]
ALL = MALFORMED + UNREACHABLE


def _connecting_commands(tmp_path: Path) -> list[list[str]]:
    dump = tmp_path / "in.dump"
    dump.write_bytes(b"PGDMP")
    return [
        ["migrate"],
        ["status"],
        ["history"],
        ["stamp", "001_initial_schema"],
        ["accept", "001_initial_schema"],
        ["fingerprint"],
        ["plan"],
        ["verify"],
        ["keys", "check"],
        ["keys", "rotate"],
        ["db-init"],
        ["demo"],
        ["backup", str(tmp_path / "out.dump")],
        ["restore", str(dump)],
    ]


def _assert_clean(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{where}: {secret!r} shown in {text!r}"


def test_every_connecting_command_hides_the_password(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROBOCO_ENCRYPTION_KEY", generate_key())
    shipped = cli.chain_mod.load_chain(None)  # load the chain once, not 200 times
    monkeypatch.setattr(cli.common, "chain", lambda _args: shipped)
    for name in ("ROBOCO_DATABASE_URL", "ROBOCO_DATABASE_HOST", "ROBOCO_MIGRATION_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    caplog.set_level(logging.DEBUG)
    commands = _connecting_commands(tmp_path)
    runs = 0
    for url, secrets in ALL:
        for command in commands:
            code = cli.main([*command, "--database-url", url])
            out = capsys.readouterr()
            where = f"{command} {url}"
            assert code == 3, f"{where}: exit {code}, {out.err!r}"
            assert out.err.startswith("error: "), where
            _assert_clean(out.out + out.err + caplog.text, secrets, where)
            caplog.clear()
            runs += 1
    assert runs == len(ALL) * len(commands) >= 15 * 14


def test_the_variable_and_debug_give_the_same_code_and_no_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for url, secrets in MALFORMED[:5] + UNREACHABLE[:2]:
        codes = set()
        monkeypatch.delenv("ROBOCO_DATABASE_URL", raising=False)
        for argv in (
            ["status", "--database-url", url],
            ["status", "--database-url", url, "--debug"],
        ):
            codes.add(cli.main(argv))
            out = capsys.readouterr()
            _assert_clean(out.out + out.err, secrets, f"{argv}")
        monkeypatch.setenv("ROBOCO_DATABASE_URL", url)
        for argv in (["status"], ["--debug", "history"]):
            codes.add(cli.main(argv))
            out = capsys.readouterr()
            _assert_clean(out.out + out.err, secrets, f"{argv} from the variable")
        assert codes == {3}, url


def test_a_child_process_shows_no_password_even_with_debug(tmp_path: Path) -> None:
    url, secrets = MALFORMED[1]
    by_flag = run_cli("status", "--database-url", url, "--debug")
    by_env = run_cli("history", "--debug", env={"ROBOCO_DATABASE_URL": url})
    for result in (by_flag, by_env):
        assert result.returncode == 3, result.stderr
        assert "Traceback" in result.stderr  # --debug still shows where it came from
        _assert_clean(result.stdout + result.stderr, secrets, "child")


@pytest.mark.parametrize(("url", "secrets"), ALL, ids=range(len(ALL)))
async def test_library_entry_points_hide_the_password(
    url: str, secrets: list[str], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    fast = Settings(database_url=None, pool_timeout=0.3)
    calls: list[Callable[[], object]] = [
        lambda: db.connect(url),
        lambda: backup.backup(url, tmp_path / "x.dump"),
    ]
    if (url, secrets) in MALFORMED:
        calls.append(lambda: Settings.from_env({"ROBOCO_DATABASE_URL": url}))
    acalls: list[Callable[[], Awaitable[object]]] = [
        lambda: db.connect_async(url),
        lambda: db.open_pool(url, fast),
        lambda: init_db(url, settings=fast),
    ]
    errors: list[BaseException] = []
    for call in calls:
        with pytest.raises((ConfigError, DatabaseUnavailable)) as caught:
            call()
        errors.append(caught.value)
    for acall in acalls:
        with pytest.raises((ConfigError, DatabaseUnavailable)) as caught:
            await acall()
        errors.append(caught.value)
    for exc in errors:
        assert isinstance(exc, RobocoSQLError) and exc.exit_code == 3
        assert exc.__cause__ is None and exc.__suppress_context__, "raw error chained"
        _assert_clean(f"{exc} {exc!r} {exc.args}", secrets, f"{type(exc).__name__}")
    _assert_clean(describe(url), secrets, "describe")
    _assert_clean(caplog.text, secrets, "logs")


def test_pool_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    """The filter itself: a record quoting a URL (as psycopg_pool's do) comes out masked."""
    caplog.set_level(logging.DEBUG)
    url = f"postgresql://u:{PW}@h/db%zz"
    redact.remember(url)
    try:
        raise ValueError(f'invalid percent-encoded token: "{url}"')
    except ValueError:
        logging.getLogger("psycopg.pool").warning("error connecting in %r", url, exc_info=True)
    assert "error connecting in" in caplog.text
    assert PW not in caplog.text
    assert redact.MASK in caplog.text


def test_redact_masks_conninfo_and_url_forms() -> None:
    assert redact.redact(f"password={PW} host=h") == "password=*** host=h"
    assert redact.redact(f"password='{PW} x' host=h") == "password=*** host=h"
    assert redact.redact(f"at postgresql://bob:{PW}@h/db now") == "at postgresql://bob:***@h/db now"
    assert PW not in redact.redact(f"host {PW[3:]}@h", f"postgresql://u:{PW[:3]}@{PW[3:]}@h/d")


def test_settings_repr_masks_passwords_and_keys() -> None:
    settings = Settings.from_env(
        {
            "ROBOCO_DATABASE_URL": f"postgresql://u:{PW}@h/db",
            "ROBOCO_MIGRATION_DATABASE_URL": f"host=h password={PW}x",
            "ROBOCO_DATABASE_REPLICA_URLS": f"postgresql://u:{PW}y@r/db",
            "ROBOCO_DATABASE_PASSWORD": f"{PW}z",
            "ROBOCO_ENCRYPTION_KEY": "KeyMaterial0123",
        }
    )
    text = f"{settings!r} {settings}"
    for secret in (PW, "KeyMaterial0123"):
        assert secret not in text, text
    assert "database_url='postgresql://u:***@h/db'" in text
