"""The command line's edges as a careless operator meets them: backup targets, the embedded
data directory, --scale, pool settings, --debug's place, an empty --database-url."""

from __future__ import annotations

import math
from pathlib import Path

import platformdirs
import pytest

from roboco_sql import backup, cli, db
from roboco_sql.boot import init_db
from roboco_sql.config import Settings, default_data_dir
from roboco_sql.errors import ConfigError, ValidationError

NOWHERE = "postgresql://u:pw@127.0.0.1:1/db"  # well formed, nothing listening


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# -- backup -------------------------------------------------------------------------------------


def test_backup_refuses_bad_targets_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "old.dump"
    existing.write_bytes(b"keep me")
    cases = [
        (str(tmp_path), "is a directory"),
        ("", "the backup path is empty"),
        (str(existing), "exists; pass --force"),
        (str(tmp_path / "missing" / "x.dump"), "does not exist"),
    ]
    for target, reason in cases:
        code, _out, err = _run(capsys, "backup", target, "--database-url", NOWHERE)
        assert code == 1, err
        assert reason in err and "cannot connect" not in err, err
    assert existing.read_bytes() == b"keep me"
    for target, reason in cases:
        with pytest.raises(ValidationError, match=reason):
            backup.check_target(target)


def test_backup_force_overwrites_and_default_does_not(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "db.dump"
    file.write_bytes(b"old")
    code, _, err = _run(capsys, "backup", str(file), "--database-url", db_url)
    assert code == 1 and "--force" in err and file.read_bytes() == b"old"
    code, out, err = _run(capsys, "backup", str(file), "--force", "--database-url", db_url)
    assert code == 0, err
    assert "wrote" in out and file.read_bytes().startswith(b"PGDMP")


# -- the embedded data directory ----------------------------------------------------------------


def test_one_data_dir_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = set()
    for where in (tmp_path, tmp_path.parent, Path("/")):
        monkeypatch.chdir(where)
        settings = Settings.from_env({})
        assert settings.embedded_dir.is_absolute()
        seen.add(settings.embedded_dir)
    assert seen == {default_data_dir()}
    assert default_data_dir() == Path(platformdirs.user_data_dir("roboco_sql")) / "postgres"
    # a relative ROBOCO_DATA_DIR means the directory it was given in, fixed at once
    monkeypatch.chdir(tmp_path)
    given = Settings.from_env({"ROBOCO_DATA_DIR": "pg"})
    monkeypatch.chdir("/")
    assert given.data_dir == tmp_path.resolve() / "pg"


def test_empty_database_url_is_an_error_not_the_embedded_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "pg"
    monkeypatch.setenv("ROBOCO_DATA_DIR", str(data))
    for command in (["status"], ["migrate"], ["history"], ["backup", str(tmp_path / "x")]):
        code, _, err = _run(capsys, *command, "--database-url", "")
        assert code == 3, err
        assert "--database-url is empty" in err
    assert not data.exists()  # no embedded server was created


async def test_library_refuses_an_empty_url(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "pg")
    with pytest.raises(ConfigError, match="empty"):
        await db.open_pool("", settings)
    with pytest.raises(ConfigError, match="empty"):
        await init_db("", settings=settings)
    with pytest.raises(ConfigError, match="empty"):
        db.connect("")
    assert not (tmp_path / "pg").exists()


# -- bounds -------------------------------------------------------------------------------------


def test_demo_scale_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    for scale in ("0", "-3", str(cli.MAX_DEMO_SCALE + 1), "1000000"):
        code, _, err = _run(capsys, "demo", "--scale", scale, "--database-url", NOWHERE)
        assert code == 1, err
        assert f"--scale must be between 1 and {cli.MAX_DEMO_SCALE}" in err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ROBOCO_DATABASE_POOL_TIMEOUT", "nan"),
        ("ROBOCO_DATABASE_POOL_TIMEOUT", "inf"),
        ("ROBOCO_DATABASE_POOL_TIMEOUT", "-1"),
        ("ROBOCO_DATABASE_POOL_TIMEOUT", "0"),
        ("ROBOCO_DATABASE_POOL_TIMEOUT", "ten"),
        ("ROBOCO_DATABASE_POOL_MIN_SIZE", "-1"),
        ("ROBOCO_DATABASE_POOL_MAX_SIZE", "0"),
        ("ROBOCO_DATABASE_POOL_MAX_SIZE", "1e3"),
        ("ROBOCO_DATABASE_POOL_MAX_SIZE", str(2**40)),
        ("ROBOCO_DATABASE_PORT", "70000"),
        ("ROBOCO_EMBEDDING_DIMENSIONS", "16001"),
        ("ROBOCO_DATABASE_REPLICA_MAX_LAG", "nan"),
        ("ROBOCO_DATABASE_REPLICA_WAIT", "inf"),
    ],
)
def test_numeric_settings_are_validated(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_pool_timeout_in_range_is_kept() -> None:
    timeout = Settings.from_env({"ROBOCO_DATABASE_POOL_TIMEOUT": "2.5"}).pool_timeout
    assert timeout == 2.5 and math.isfinite(timeout)


# -- --debug and exit codes ---------------------------------------------------------------------


def test_debug_is_accepted_anywhere_with_the_same_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = "postgresql://u:pw@h/db%zz"
    plain = _run(capsys, "status", "--database-url", bad)
    before = _run(capsys, "--debug", "status", "--database-url", bad)
    after = _run(capsys, "status", "--database-url", bad, "--debug")
    middle = _run(capsys, "status", "--debug", "--database-url", bad)
    assert plain[0] == before[0] == after[0] == middle[0] == 3
    assert "Traceback" not in plain[2]
    for _code, _out, err in (before, after, middle):
        assert "Traceback" in err and "error: --database-url is not a valid" in err


def test_exit_codes_are_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in (cli.EXIT_OK, cli.EXIT_ERROR, cli.EXIT_USAGE, cli.EXIT_CONFIG, 4, 5, 8, 130):
        assert f"| {code} |" in section, code


# -- counts of one, stamp --force ---------------------------------------------------------------

ONE_REVISION = (
    "-- revision: a\n-- down_revision: \nSELECT 1;\n"
    "-- down\n-- nothing to undo: SELECT 1 changes nothing\n"
)


def test_a_count_of_one_is_singular(
    tmp_path: Path, empty_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "one"
    one.mkdir()
    (one / "001_a.sql").write_text(ONE_REVISION, encoding="utf-8")
    code, out, err = _run(capsys, "check", "--migrations-dir", str(one))
    assert (code, out) == (0, f"{one}: 1 revision, head a, no problems\n"), err
    code, out, err = _run(capsys, "lint", "--migrations-dir", str(one))
    assert (code, out.splitlines()[-1]) == (0, "no findings in 1 file"), err
    at = ("--migrations-dir", str(one), "--database-url", empty_url)
    code, _, err = _run(capsys, "plan", *at)
    assert (code, err.splitlines()[-1]) == (0, "plan: 1 revision from an empty database to a")
    code, out, err = _run(capsys, "migrate", *at)
    assert code == 0, err
    assert out.splitlines()[-1].startswith("applied 1 revision in "), out


def test_stamp_back_needs_force(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from roboco_sql.migrate.chain import load_chain

    *_, before, head = (m.revision for m in load_chain(None))
    code, _, err = _run(capsys, "stamp", before, "--database-url", db_url)
    assert code == 1 and f"refusing to stamp {before}" in err and "--force" in err, err
    assert _run(capsys, "status", "--database-url", db_url)[0] == 0  # still at head
    code, out, err = _run(capsys, "stamp", before, "--force", "--database-url", db_url)
    assert code == 0, err
    assert out.splitlines()[-1] == f"stamped at {before}", out
    code, out, _ = _run(capsys, "status", "--database-url", db_url)
    assert (code, out.strip()) == (  # the schema is still head's: drift from `before`
        8,
        f"at {before}; 1 pending: {head} .. {head}; schema drift: 1 difference from {before} "
        "(`verify` lists them)",
    )
    with pytest.raises(SystemExit):
        cli.main(["stamp", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--force allow stamping to an older revision (forgets the later history" in help_text
