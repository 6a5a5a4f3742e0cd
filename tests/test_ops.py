"""Operations on a populated database: tokens never in plaintext, key rotation, db-init,
backup and restore."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection, sql

from roboco_sql import backup, bootstrap, keys
from roboco_sql.crypto import SecretBox, generate_key
from roboco_sql.errors import ConfigError, EncryptionError, ValidationError
from roboco_sql.models.enums import Team
from roboco_sql.models.project import ProjectCreate
from roboco_sql.models.provider import ProviderConfigUpdate
from roboco_sql.repos import projects, providers
from tests.conftest import run_cli
from tests.fix_inputs import new_project

PROJECTS = 100
PROVIDERS = 7  # the seeded providers at 093, each given a token
MAIN_PM = next(a.id for a in bootstrap.ROSTER if a.slug == "main-pm")


@dataclass
class Populated:
    url: str
    key: str
    project_tokens: dict[uuid.UUID, str]  # id -> plaintext
    provider_tokens: dict[uuid.UUID, str]

    @property
    def plaintexts(self) -> list[str]:
        return [*self.project_tokens.values(), *self.provider_tokens.values()]


@pytest.fixture
def key_a() -> str:
    return generate_key()


@pytest.fixture
def key_b() -> str:
    return generate_key()


@pytest.fixture
async def populated(db_url: str, key_a: str) -> Populated:
    """Bootstrap rows, 100 projects with git tokens and the 4 seeded providers with keys, all
    written through the repositories under key A."""
    box = SecretBox(key_a)
    project_tokens: dict[uuid.UUID, str] = {}
    provider_tokens: dict[uuid.UUID, str] = {}
    async with await AsyncConnection.connect(db_url) as conn:
        await bootstrap.seed(conn)
        async with conn.transaction():
            cells = (Team.BACKEND, Team.FRONTEND, Team.UX_UI)
            for n in range(PROJECTS):
                token = f"ghp_{secrets.token_hex(18)}"
                project = await projects.create_project(
                    conn,
                    ProjectCreate(
                        name=f"Project {n}",
                        slug=f"p-{n:03d}",
                        git_url=f"https://github.com/acme/p-{n:03d}.git",
                        assigned_cell=cells[n % 3],
                        created_by=MAIN_PM,
                        git_token=token,  # type: ignore[arg-type]  # str is coerced
                    ),
                    box=box,
                )
                project_tokens[project.id] = token
            for provider in await providers.list_provider_configs(conn):
                token = f"sk-{secrets.token_hex(20)}"
                await providers.update_provider_config(
                    conn,
                    provider.id,
                    ProviderConfigUpdate(auth_token=token),  # type: ignore[arg-type]
                    box=box,
                )
                provider_tokens[provider.id] = token
    assert len(provider_tokens) == PROVIDERS
    return Populated(db_url, key_a, project_tokens, provider_tokens)


async def read_all(conn: AsyncConnection[Any], pop: Populated, box: SecretBox) -> None:
    """Every token reads back, under `box`, as the plaintext written."""
    for pid, token in pop.project_tokens.items():
        got = await projects.read_git_token(conn, pid, box=box)
        assert got is not None and got.get_secret_value() == token
    for pid, token in pop.provider_tokens.items():
        got = await providers.read_auth_token(conn, pid, box=box)
        assert got is not None and got.get_secret_value() == token


def assert_clean(text: str | bytes, pop: Populated, where: str) -> None:
    data = text.encode() if isinstance(text, str) else text
    leaked = [p for p in pop.plaintexts if p.encode() in data]
    assert not leaked, f"{len(leaked)} plaintext token(s) in {where}"


def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        counts = {}
        for name in backup.user_tables(conn):
            schema, table = name.split(".")
            query = sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            row = conn.execute(query).fetchone()
            assert row is not None
            counts[name] = int(row[0])
    return counts


def keyed(key: str) -> dict[str, str]:
    return {"ROBOCO_ENCRYPTION_KEY": key}


# -- no plaintext anywhere ---------------------------------------------------------------------


async def test_no_plaintext_in_dumps_models_reports_or_logs(
    populated: Populated, key_b: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pop = populated

    backup.backup(pop.url, tmp_path / "plain.sql", plain=True)
    text = (tmp_path / "plain.sql").read_text()
    assert "git_token_encrypted" in text and "p-042" in text  # the dump has the rows
    assert_clean(text, pop, "a plain pg_dump")
    backup.backup(pop.url, tmp_path / "db.dump")
    assert_clean((tmp_path / "db.dump").read_bytes(), pop, "a custom pg_dump")

    box = SecretBox(pop.key)
    async with await AsyncConnection.connect(pop.url, autocommit=True) as conn:
        models: list[Any] = await projects.list_projects(conn, limit=PROJECTS + 1)
        assert len(models) == PROJECTS and all(m.has_git_token for m in models)
        models += await providers.list_provider_configs(conn)
        models.append(await projects.get_project_by_slug(conn, "p-007"))
        token = next(iter(pop.project_tokens.values()))
        # inputs carry the plaintext, as a SecretStr only
        models.append(new_project("x", MAIN_PM, git_token=token))
        models.append(ProviderConfigUpdate(auth_token=token))  # type: ignore[arg-type]
        for model in models:
            for shown in (
                repr(model),
                str(model),
                model.model_dump_json(),
                str(model.model_dump()),
            ):
                assert_clean(shown, pop, f"a {type(model).__name__}")
        await read_all(conn, pop, box)
        secret = await projects.read_git_token(conn, next(iter(pop.project_tokens)), box=box)
        assert_clean(f"{secret!r} {secret}", pop, "a SecretStr")
        checked = await keys.check_keys(conn, SecretBox(f"{key_b},{pop.key}"))
        rotated = await keys.rotate(conn, SecretBox(f"{key_b},{pop.key}"), batch_size=16)
        for report in (checked, rotated):
            assert_clean(f"{report!r} {report.as_dict()} {report.lines()}", pop, "a report")
    assert rotated.rotated == PROJECTS + PROVIDERS
    assert "batch" in caplog.text  # the run did log
    assert_clean(caplog.text, pop, "the log")

    for args in (("keys", "check"), ("keys", "rotate")):
        done = run_cli("--debug", *args, "--database-url", pop.url, env=keyed(key_b))
        assert done.returncode == 0, done.stderr
        assert_clean(done.stdout + done.stderr, pop, f"`{' '.join(args)}` output")


# -- keys check and rotate ---------------------------------------------------------------------


async def test_keys_check_counts(populated: Populated, key_b: str) -> None:
    pop = populated
    async with await AsyncConnection.connect(pop.url, autocommit=True) as conn:
        under_a = await keys.check_keys(conn, SecretBox(pop.key), batch_size=30)
        assert [(c.readable, c.current, c.unreadable) for c in under_a.columns[:2]] == [
            (PROJECTS, PROJECTS, []),
            (PROVIDERS, PROVIDERS, []),
        ]
        # the credential rows' columns follow; this fixture stores none of them
        assert all(c.readable == 0 and not c.unreadable for c in under_a.columns[2:])
        both = await keys.check_keys(conn, SecretBox(f"{key_b},{pop.key}"))
        assert (both.readable, both.unreadable, sum(c.current for c in both.columns)) == (
            PROJECTS + PROVIDERS,
            0,
            0,
        )
        under_b = await keys.check_keys(conn, SecretBox(key_b))
        assert under_b.readable == 0 and under_b.unreadable == PROJECTS + PROVIDERS
        assert "project 'p-000'" in under_b.columns[0].unreadable
        assert "provider 'Grok (xAI)'" in under_b.columns[1].unreadable
        # one token under a stranger's key
        stranger = SecretBox(generate_key()).encrypt("not-ours")
        await conn.execute(
            "UPDATE projects SET git_token_encrypted = %s WHERE slug = 'p-013'", (stranger,)
        )
        one_off = await keys.check_keys(conn, SecretBox(pop.key))
        assert one_off.readable == PROJECTS + PROVIDERS - 1
        assert one_off.columns[0].unreadable == ["project 'p-013'"]

    good = run_cli("keys", "check", "--database-url", pop.url, env=keyed(pop.key))
    assert good.returncode == 1, good.stderr  # p-013 is unreadable
    assert "99 readable" in good.stdout and "project 'p-013'" in good.stdout
    assert "1 token(s) no configured key opens" in good.stdout
    missing = run_cli("keys", "check", "--database-url", pop.url, env=keyed(""))
    assert missing.returncode != 0
    assert "ROBOCO_ENCRYPTION_KEY is not set" in missing.stderr
    bad = run_cli("keys", "rotate", "--database-url", pop.url, env=keyed("nonsense"))
    assert bad.returncode != 0 and "1st key is malformed" in bad.stderr
    new = run_cli("keys", "generate")
    assert new.returncode == 0 and SecretBox(new.stdout.strip()).encrypt("x")


async def test_rotation_with_the_cli_moves_every_token_to_the_new_key(
    populated: Populated, key_b: str
) -> None:
    pop = populated
    done = run_cli(
        "keys", "rotate", "--batch-size", "25", "--database-url", pop.url,
        env=keyed(f"{key_b},{pop.key}"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{PROJECTS + PROVIDERS} token(s) rotated, 0 already under the newest key" in done.stdout
    assert "projects.git_token_encrypted: batch 4 committed, 100 rotated" in done.stderr
    async with await AsyncConnection.connect(pop.url, autocommit=True) as conn:
        await read_all(conn, pop, SecretBox(key_b))  # key B alone reads everything
        with pytest.raises(EncryptionError, match="project 'p-"):
            await projects.read_git_token(
                conn, next(iter(pop.project_tokens)), box=SecretBox(pop.key)
            )
    again = run_cli("keys", "rotate", "--json", "--database-url", pop.url, env=keyed(key_b))
    assert again.returncode == 0, again.stderr
    assert (
        '"rotated": 0' in again.stdout
        and f'"already_current": {PROJECTS + PROVIDERS}' in again.stdout
    )


class Interrupted(Exception):
    pass


async def test_an_interrupted_rotation_resumes(populated: Populated, key_b: str) -> None:
    pop = populated
    both = SecretBox(f"{key_b},{pop.key}")
    stranger = SecretBox(generate_key()).encrypt("lost")
    async with await AsyncConnection.connect(pop.url, autocommit=True) as conn:
        # the unreadable token sits in the last batch (rotation walks ids in order), so the
        # first batch rotates exactly 10 whatever the random ids are
        cur = await conn.execute(
            "UPDATE projects SET git_token_encrypted = %s "
            "WHERE id = (SELECT id FROM projects ORDER BY id DESC LIMIT 1) RETURNING slug",
            (stranger,),
        )
        row = await cur.fetchone()
        assert row is not None
        lost_slug = row[0]

        def stop_after_first(column: keys.ColumnRotation) -> None:
            raise Interrupted(column.column)

        with pytest.raises(Interrupted):
            await keys.rotate(conn, both, batch_size=10, on_batch=stop_after_first)
        midway = await keys.check_keys(conn, both)
        assert sum(c.current for c in midway.columns) == 10  # the first batch committed
        assert midway.readable == PROJECTS + PROVIDERS - 1 and midway.unreadable == 1

        resumed = await keys.rotate(conn, both, batch_size=10)
        assert (resumed.rotated, resumed.current, resumed.unreadable) == (
            PROJECTS + PROVIDERS - 1 - 10,
            10,
            1,
        )
        assert resumed.columns[0].unreadable == [f"project '{lost_slug}'"]  # reported, not fatal
        assert resumed.columns[0].batches == 10 and resumed.columns[1].batches == 1

        lost = await projects.get_project_by_slug(conn, lost_slug)
        assert lost is not None
        del pop.project_tokens[lost.id]
        await read_all(conn, pop, SecretBox(key_b))  # every other token is under key B
        await conn.execute("BEGIN")
        with pytest.raises(ValidationError, match="outside a transaction"):
            await keys.rotate(conn, both)
        await conn.execute("ROLLBACK")


# -- db-init -----------------------------------------------------------------------------------


def snapshot(url: str, *, messaging: bool) -> dict[str, list[tuple[Any, ...]]]:
    """Every bootstrap row, timestamps aside, in a stable order."""
    queries = {
        "agents": "SELECT id, slug, name, role::text, team::text, system_prompt FROM agents",
    }
    if messaging:
        queries |= {
            "channels": "SELECT id, slug, name, type::text, description, members, writers, "
            "silent_observers FROM channels",
            "groups": "SELECT id, channel_id, name, hierarchy_level, active_session_id FROM groups",
            "sessions": "SELECT id, group_id, status::text, scope::text FROM sessions",
            "messages": "SELECT id, agent_id, channel_id, group_id, session_id, type::text, "
            "content_length FROM messages",
        }
    with psycopg.connect(url) as conn:
        return {t: sorted(conn.execute(q).fetchall(), key=str) for t, q in queries.items()}


def messaging_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s)"
            " ORDER BY tablename",
            (["channels", "groups", "sessions", "session_tasks", "messages"],),
        ).fetchall()
    return [r[0] for r in rows]


def check_agents(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    agents = {r[1]: r for r in rows["agents"]}
    assert agents["system"][0] == uuid.UUID(int=0) and agents["system"][4] is None
    assert agents["ceo"][2] == "Renzo"
    assert agents["ux-pr-reviewer"][0] == uuid.UUID("00000000-0000-0000-0003-000000000006")
    assert agents["secretary-1"][0] == uuid.UUID("00000000-0000-0000-0004-000000000006")
    overflow = agents["cell-pr-reviewer-2"]
    assert overflow[0] == uuid.UUID("00000000-0000-0000-0004-000000000008")
    assert overflow[2:5] == ("PR Reviewer (Overflow)", "pr_reviewer", "board")


def test_db_init_at_head_seeds_agents_only_and_twice_writes_them_once(empty_url: str) -> None:
    first = run_cli("db-init", "--database-url", empty_url)
    assert first.returncode == 0, first.stderr
    assert "agents: 28 inserted, 0 already present" in first.stdout
    assert "messaging: none (RoboCo's 060_drop_messaging dropped" in first.stdout
    assert "channels" not in first.stdout.replace("dropped channels", "")
    assert messaging_tables(empty_url) == []
    rows = snapshot(empty_url, messaging=False)
    assert len(rows["agents"]) == 28
    check_agents(rows)

    second = run_cli("db-init", "--database-url", empty_url)
    assert second.returncode == 0, second.stderr
    assert "schema: at head" in second.stdout
    assert "agents: 0 inserted, 28 already present" in second.stdout
    assert snapshot(empty_url, messaging=False) == rows
    assert run_cli("status", "--database-url", empty_url).returncode == 0


def test_db_init_below_060_seeds_messaging_too_and_twice_writes_rows_once(empty_url: str) -> None:
    pinned = {"ROBOCO_DATABASE_TARGET_REVISION": "059_x_credentials"}
    first = run_cli("db-init", "--database-url", empty_url, env=pinned)
    assert first.returncode == 0, first.stderr
    assert "agents: 28 inserted, 0 already present" in first.stdout
    assert "channels: 11 inserted, 0 already present" in first.stdout
    assert "welcome groups, sessions and messages: 5 inserted" in first.stdout
    assert "messaging: none" not in first.stdout
    rows = snapshot(empty_url, messaging=True)
    assert {t: len(r) for t, r in rows.items()} == {
        "agents": 28,
        "channels": 11,
        "groups": 5,
        "sessions": 5,
        "messages": 5,
    }

    second = run_cli("db-init", "--database-url", empty_url, env=pinned)
    assert second.returncode == 0, second.stderr
    assert "agents: 0 inserted, 28 already present" in second.stdout
    assert "welcome groups, sessions and messages: 0 inserted, 5 already present" in second.stdout
    assert "channel memberships set: 0, silent observers added: 0" in second.stdout
    assert snapshot(empty_url, messaging=True) == rows

    check_agents(rows)
    by_id = {r[0]: r[1] for r in rows["agents"]}
    channels = {r[1]: r for r in rows["channels"]}
    assert [by_id[i] for i in channels["backend-cell"][5]] == [
        "auditor", "be-dev-1", "be-dev-2", "be-doc", "be-pm", "be-qa", "main-pm",
    ]  # fmt: skip
    assert all(c[5] == c[6] for c in channels.values())  # writers = members
    assert len(channels["announcements"][5]) == 27  # everyone but the sentinel
    silent = sorted(s for s, c in channels.items() if [by_id[i] for i in c[7]] == ["auditor"])
    assert silent == sorted(
        ["backend-cell", "frontend-cell", "uxui-cell", "dev-all", "qa-all", "pm-all", "doc-all"]
    )
    assert all(not c[7] for s, c in channels.items() if s not in silent)
    channel_slug = {c[0]: s for s, c in channels.items()}
    sessions = {r[0]: r for r in rows["sessions"]}
    welcomes = {}
    for group in rows["groups"]:
        assert group[2] == "General" and group[3] == 0
        assert sessions[group[4]][1] == group[0] and sessions[group[4]][2] == "active"
    for message in rows["messages"]:
        assert message[5] == "dialogue" and message[6] > 0
        welcomes[channel_slug[message[2]]] = by_id[message[1]]
    assert welcomes == {
        "announcements": "main-pm",
        "all-hands": "main-pm",
        "backend-cell": "be-pm",
        "frontend-cell": "fe-pm",
        "uxui-cell": "ux-pm",
    }

    # moved on to head (the seeded messaging rows are data: 060 needs --allow-data-loss), a
    # third run seeds agents only
    moved = run_cli("migrate", "--database-url", empty_url, "--allow-data-loss")
    assert moved.returncode == 0, moved.stderr
    assert messaging_tables(empty_url) == []
    third = run_cli("db-init", "--database-url", empty_url)
    assert third.returncode == 0, third.stderr
    assert "agents: 0 inserted, 28 already present" in third.stdout
    assert "messaging: none" in third.stdout


# -- backup and restore ------------------------------------------------------------------------


async def test_backup_and_restore_round_trip(
    populated: Populated, key_b: str, new_database: Callable[[str], str], tmp_path: Path
) -> None:
    pop = populated
    file = tmp_path / "roboco.dump"
    dumped = run_cli("backup", str(file), "--database-url", pop.url)
    assert dumped.returncode == 0, dumped.stderr
    assert "with pg_dump 16" in dumped.stdout and file.stat().st_size > 0
    target = new_database("ops_restored")
    restored = run_cli("restore", str(file), "--database-url", target)
    assert restored.returncode == 0, restored.stderr

    assert run_cli("status", "--database-url", target).returncode == 0  # at head
    counts = row_counts(target)
    assert counts == row_counts(pop.url)
    assert counts["public.projects"] == PROJECTS and counts["roboco_sql.history"] > 0

    async with await AsyncConnection.connect(target, autocommit=True) as conn:
        await read_all(conn, pop, SecretBox(pop.key))  # the same key reads every token
        wrong = SecretBox(key_b)  # another key: everything is there, only tokens fail
        assert len(await projects.list_projects(conn, limit=PROJECTS)) == PROJECTS
        some = next(iter(pop.project_tokens))
        slug = (await projects.get_project(conn, some)).slug  # type: ignore[union-attr]
        with pytest.raises(EncryptionError, match=f"project '{slug}' git token") as err:
            await projects.read_git_token(conn, some, box=wrong)
        assert "ROBOCO_ENCRYPTION_KEY=new,old" in str(err.value)
        with pytest.raises(EncryptionError, match="provider '"):
            await providers.read_auth_token(conn, next(iter(pop.provider_tokens)), box=wrong)
    check = run_cli("keys", "check", "--database-url", target, env=keyed(key_b))
    assert (
        check.returncode == 1
        and f"{PROJECTS + PROVIDERS} token(s) no configured key" in check.stdout
    )

    again = run_cli("restore", str(file), "--database-url", target)
    assert again.returncode == 2
    assert again.stderr.startswith("error: refusing to restore into")
    assert len(again.stderr.strip().splitlines()) == 1
    assert row_counts(target) == counts  # nothing touched


def test_restore_refuses_a_migrated_database(db_url: str, tmp_path: Path) -> None:
    file = tmp_path / "x.dump"
    backup.backup(db_url, file)
    before = row_counts(db_url)
    with pytest.raises(backup.DatabaseNotEmpty, match=r"not empty \(\d+ table"):
        backup.restore(db_url, file)
    assert row_counts(db_url) == before


def test_tools_match_the_server_major_and_passwords_stay_off_argv() -> None:
    assert backup.find_tool("pg_dump", 16).major == 16
    assert backup.find_tool("pg_restore", 18).major == 18
    with pytest.raises(ConfigError, match=r"PostgreSQL 9 and no pg_dump 9 was found"):
        backup.find_tool("pg_dump", 9)
    dbname, env = backup._child("postgresql://u:hunter2@db.example:5433/roboco")
    assert "hunter2" not in dbname and "db.example" in dbname and "5433" in dbname
    assert env["PGPASSWORD"] == "hunter2"
