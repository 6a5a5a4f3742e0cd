"""The command line as operators use it: help, the embedded default, settings errors."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli


def test_help_lists_the_subcommands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("migrate", "status", "history", "check", "stamp", "accept", "embedded"):
        assert f"    {command}" in result.stdout


def test_embedded_default_starts_once_is_reused_and_stops(tmp_path: Path) -> None:
    env = {
        "ROBOCO_DATA_DIR": str(tmp_path / "pg"),
        "ROBOCO_DATABASE_URL": "",
        "ROBOCO_DATABASE_HOST": "",
    }
    before = run_cli("embedded", "status", env=env)
    assert before.returncode == 1 and "not created" in before.stdout
    try:
        first = run_cli("migrate", env=env)
        assert first.returncode == 0, first.stderr
        assert first.stderr.count("using the embedded PostgreSQL 16") == 1
        assert "nothing to apply" not in first.stdout
        running = run_cli("embedded", "status", env=env)
        assert running.returncode == 0 and ": running (pid " in running.stdout
        again = run_cli("migrate", env=env)  # a later command reuses the same server
        assert again.returncode == 0 and again.stdout.startswith("nothing to apply")
        assert run_cli("status", env=env).returncode == 0
    finally:
        stopped = run_cli("embedded", "stop", env=env)
    assert stopped.returncode == 0 and "stopped the embedded PostgreSQL" in stopped.stdout
    after = run_cli("embedded", "status", env=env)
    assert after.returncode == 1 and ": stopped" in after.stdout


def test_bad_settings_are_one_line_errors() -> None:
    bad_port = run_cli(
        "status", env={"ROBOCO_DATABASE_HOST": "localhost", "ROBOCO_DATABASE_PORT": "fifty"}
    )
    assert bad_port.returncode == 3
    assert bad_port.stderr.strip() == (
        "error: ROBOCO_DATABASE_PORT must be an integer, got 'fifty'"
    )


def test_migrate_and_plan_help_say_how_to_go_back() -> None:
    for command in ("migrate", "plan"):
        result = run_cli(command, "--help")
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        assert "an older one (or `base`)" in text, command
        assert "--allow-data-loss" in text and "irreversible" in text, command
    unknown = run_cli("migrate", "--to", "nope", "--database-url", "postgresql:///x?host=/nowhere")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: unknown target revision nope"
