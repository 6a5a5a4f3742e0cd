"""Tests written to kill the mutants `make mutate` found surviving (README, "Mutation testing").

Each pins down a behaviour the older tests exercised without checking exactly: the wording
of an operator-facing error or report line, a boundary, a default, paging at every batch
size.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from psycopg import AsyncConnection
from pydantic import SecretStr

from roboco_sql import crypto, keys, lifecycle, sqllex
from roboco_sql.crypto import SecretBox, TokenAction, generate_key
from roboco_sql.errors import (
    Conflict,
    EncryptionError,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from roboco_sql.migrate import bookkeeping, fingerprint, load_chain
from roboco_sql.migrate.chain import missing_downs
from roboco_sql.models.enums import AgentRole, TaskStatus, Team
from roboco_sql.models.task import Task
from roboco_sql.repos import claims, transition_effects, transitions
from roboco_sql.repos import tasks as task_repo
from roboco_sql.repos.transitions import Actor
from tests.fix_tasks import Member, World, make, member, seed_agent, seed_project

Conn = AsyncConnection[Any]

# -- crypto ------------------------------------------------------------------------------------

# fixed keys: parametrize ids made from random ones differ per pytest-xdist worker, which
# refuses a collection that differs
KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.urlsafe_b64encode(bytes(range(32, 64))).decode()
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


# -- keys --------------------------------------------------------------------------------------

PROJECTS = "projects.git_token_encrypted"
PROVIDERS = "provider_configs.auth_token_encrypted"


@dataclass
class Tokens:
    slugs: dict[str, str]  # key the token is under ("a", "b", "foreign") -> project slug
    provider: str


@pytest.fixture
async def tokens(conn: Conn) -> Tokens:
    """Three projects (tokens under key A, key B and a key nobody has) and one provider
    (under key A); committed, as rotate needs."""
    creator = await seed_agent(conn, AgentRole.MAIN_PM, Team.MAIN_PM)
    foreign = Fernet.generate_key().decode()
    slugs = {}
    for which, key in (("a", KEY_A), ("b", KEY_B), ("foreign", foreign)):
        project = await seed_project(conn, creator)
        token = Fernet(key).encrypt(f"tok-{which}".encode()).decode()
        cur = await conn.execute(
            "UPDATE projects SET git_token_encrypted = %s WHERE id = %s RETURNING slug",
            (token, project),
        )
        row = await cur.fetchone()
        assert row is not None
        slugs[which] = str(row[0])
    cur = await conn.execute(
        "UPDATE provider_configs SET auth_token_encrypted = %s"
        " WHERE name = (SELECT min(name) FROM provider_configs) RETURNING name",
        (Fernet(KEY_A).encrypt(b"prov").decode(),),
    )
    row = await cur.fetchone()
    assert row is not None
    await conn.commit()
    return Tokens(slugs, str(row[0]))


def _others(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in columns if c["column"] not in (PROJECTS, PROVIDERS)]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 500])
async def test_check_keys_counts_exactly_at_any_batch_size(
    conn: Conn, tokens: Tokens, batch_size: int
) -> None:
    report = await keys.check_keys(conn, SecretBox(f"{KEY_B},{KEY_A}"), batch_size=batch_size)
    lost = f"project '{tokens.slugs['foreign']}'"
    by_column = {c["column"]: c for c in report.as_dict()["columns"]}
    assert by_column[PROJECTS] == {
        "column": PROJECTS,
        "readable": 2,
        "current": 1,
        "unreadable": 1,
        "unreadable_rows": [lost],
    }
    assert by_column[PROVIDERS] == {
        "column": PROVIDERS,
        "readable": 1,
        "current": 0,
        "unreadable": 0,
        "unreadable_rows": [],
    }
    assert all(c["readable"] == c["unreadable"] == 0 for c in _others(list(by_column.values())))
    assert report.as_dict()["ok"] is False and not report.ok
    assert (report.readable, report.unreadable) == (3, 1)
    assert report.as_dict()["readable"] == 3 and report.as_dict()["unreadable"] == 1
    assert [c.name for c in keys.COLUMNS] == list(by_column)
    lines = report.lines()
    assert lines[0] == f"{PROJECTS}: 2 readable (1 under the newest key), 1 unreadable: {lost}"
    assert lines[1] == f"{PROVIDERS}: 1 readable (0 under the newest key), 0 unreadable"
    assert lines[2].endswith(": 0 readable (0 under the newest key), 0 unreadable")
    fine = await keys.check_keys(conn, SecretBox(KEY_B), batch_size=batch_size)
    assert [(c.readable, c.current) for c in fine.columns[:2]] == [(1, 1), (0, 0)]


async def test_rotate_reports_batches_logs_and_hooks(
    conn: Conn, tokens: Tokens, caplog: pytest.LogCaptureFixture
) -> None:
    box = SecretBox(f"{KEY_B},{KEY_A}")
    seen: list[tuple[str, int, int]] = []

    async def hook(c: keys.ColumnRotation) -> None:
        seen.append((c.column, c.rotated, c.batches))

    caplog.set_level(logging.INFO, logger="roboco_sql.keys")
    report = await keys.rotate(conn, box, 1, on_batch=hook)
    lost = f"project '{tokens.slugs['foreign']}'"
    projects, providers = report.columns[0].as_dict(), report.columns[1].as_dict()
    assert projects == {
        "column": PROJECTS,
        "rotated": 1,
        "already_current": 1,
        "unreadable": 1,
        "unreadable_rows": [lost],
        "changed_meanwhile": 0,
        "batches": 3,
    }
    assert providers == {
        "column": PROVIDERS,
        "rotated": 1,
        "already_current": 0,
        "unreadable": 0,
        "unreadable_rows": [],
        "changed_meanwhile": 0,
        "batches": 1,
    }
    assert [s for s in seen if s[0] == PROJECTS][-1] == (PROJECTS, 1, 3)
    assert [s for s in seen if s[0] == PROVIDERS] == [(PROVIDERS, 1, 1)]
    assert len(seen) == 4  # one call per committed batch, none for empty columns
    assert (report.rotated, report.current, report.unreadable, report.ok) == (2, 1, 1, False)
    whole = report.as_dict()
    assert (whole["ok"], whole["rotated"], whole["already_current"], whole["unreadable"]) == (
        False,
        2,
        1,
        1,
    )
    lines = report.lines()
    assert (
        lines[0] == f"{PROJECTS}: 1 rotated, 1 already under the newest key, 1 unreadable: {lost}"
    )
    assert lines[1] == f"{PROVIDERS}: 1 rotated, 0 already under the newest key, 0 unreadable"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"{lost}: no configured key opens its token; left as is"]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos[-1] == f"{PROVIDERS}: batch 1 done (1 rotated so far)"
    assert sum(i.startswith(f"{PROJECTS}: batch ") for i in infos) == 3
    after = await keys.check_keys(conn, SecretBox(KEY_B))
    assert [(c.readable, c.current) for c in after.columns[:2]] == [(2, 2), (1, 1)]
    await conn.rollback()  # check_keys read inside a transaction; rotate commits its own
    again = await keys.rotate(conn, box, on_batch=lambda c: None)
    assert (again.rotated, again.current) == (0, 3)


async def test_rotation_lines_say_what_changed_meanwhile() -> None:
    c = keys.ColumnRotation("t.c", rotated=2, current=1, changed=3)
    assert keys.RotationReport((c,)).lines() == [
        "t.c: 2 rotated, 1 already under the newest key, 0 unreadable, 3 changed meanwhile"
    ]
    assert keys.RotationReport((c,)).ok and keys.CheckReport(()).ok


async def test_keys_refuse_bad_batch_sizes_and_open_transactions(
    conn: Conn, tokens: Tokens
) -> None:
    box = SecretBox(KEY_A)
    for size in (0, -1):
        with pytest.raises(ValidationError) as caught:
            await keys.check_keys(conn, box, batch_size=size)
        assert str(caught.value) == f"batch size must be at least 1, got {size}"
        with pytest.raises(ValidationError) as caught:
            await keys.rotate(conn, box, size)
        assert str(caught.value) == f"batch size must be at least 1, got {size}"
    await conn.execute("SELECT 1")  # a transaction is open now
    with pytest.raises(ValidationError) as caught:
        await keys.rotate(conn, box)
    assert str(caught.value) == (
        "key rotation commits batch by batch; call it on a connection outside a transaction"
    )
    await conn.rollback()
    with pytest.raises(EncryptionError):
        await keys.rotate(conn, SecretBox(""))


def test_the_entry_points_connect_on_their_own(db_url: str) -> None:
    box = SecretBox(f"{KEY_B},{KEY_A}")
    checked = keys.check_keys_at(db_url, box, batch_size=1)
    assert checked.ok and checked.readable == 0
    seen: list[str] = []
    rotated = keys.rotate_at(db_url, box, 1, on_batch=lambda c: seen.append(c.column))
    assert rotated.ok and rotated.rotated == 0 and seen == []
    with pytest.raises(EncryptionError):
        keys.check_keys_at("postgresql://nowhere.invalid/x", SecretBox(""))
    with pytest.raises(EncryptionError):
        keys.rotate_at("postgresql://nowhere.invalid/x", SecretBox(""))


def test_column_queries_are_rendered_from_the_template() -> None:
    """keys.COLUMNS is built at import; _column called again must build the same thing, and
    what it builds is checked here (mutmut's mutants only act on calls made in a test)."""
    built = keys._column("projects", "git_token_encrypted", "project", "slug")
    assert built == keys.COLUMNS[0]
    assert (built.name, built.kind) == ("projects.git_token_encrypted", "project")
    assert [q.name for q in (built.page, built.page_locked, built.swap)] == [
        "projects_git_token_encrypted_page",
        "projects_git_token_encrypted_page_locked",
        "projects_git_token_encrypted_swap",
    ]
    assert "SELECT id, slug AS label, git_token_encrypted AS ciphertext" in built.page.sql
    assert "FROM projects" in built.page.sql and "FOR UPDATE" not in built.page.sql
    assert built.page_locked.sql.rstrip().endswith("FOR UPDATE")
    assert "UPDATE projects AS t" in built.swap.sql
    assert built.swap.params == ("ids", "old_ciphertexts", "new_ciphertexts")
    assert keys._column("provider_configs", "auth_token_encrypted", "provider", "name") in (
        keys.COLUMNS
    )
    cred = keys._column("x_credentials", "api_key_encrypted", "x credentials", "'api_key'::text")
    assert cred in keys.COLUMNS and cred.kind == "x credentials"
    assert [c.kind for c in keys.COLUMNS].count("github app credentials") == 1


# -- import-time tables of the task state machine ------------------------------------------------
# lifecycle.EDGES, claims' rule check and transitions.EFFECTS are built once, at import; each
# builder is called again here, so a mutant of it acts (and is checked) inside a test.


def test_the_edge_table_is_built_from_the_spec_and_refuses_duplicates() -> None:
    built = lifecycle._build_edges(lifecycle._SPEC + lifecycle._LEGACY)
    assert dict(built) == dict(lifecycle.EDGES)
    assert len(built) == len(lifecycle._SPEC) + len(lifecycle._LEGACY)
    with pytest.raises(TypeError):
        built[(TaskStatus.PENDING, TaskStatus.COMPLETED)] = built[  # type: ignore[index]
            (TaskStatus.PENDING, TaskStatus.CLAIMED)
        ]
    src, dst, edge = lifecycle._SPEC[0]
    with pytest.raises(AssertionError) as caught:
        lifecycle._build_edges([(src, dst, edge), (src, dst, edge)])
    assert str(caught.value) == f"duplicate lifecycle edge {src} -> {dst}"


def test_the_claim_rules_agree_with_the_lifecycle(monkeypatch: pytest.MonkeyPatch) -> None:
    claims._rules_agree()  # the shipped tables agree
    claim_edge = (TaskStatus.PENDING, TaskStatus.CLAIMED)
    gated = dict(lifecycle.EDGES)
    gated[claim_edge] = replace(gated[claim_edge], roles=frozenset({AgentRole.CEO}))
    monkeypatch.setattr(claims, "EDGES", gated)
    with pytest.raises(AssertionError):
        claims._rules_agree()
    for status in (TaskStatus.CLAIMED, TaskStatus.IN_PROGRESS):
        closed = dict(lifecycle.EDGES)
        back = (status, TaskStatus.PENDING)
        closed[back] = replace(closed[back], roles=frozenset({AgentRole.CEO}))
        monkeypatch.setattr(claims, "EDGES", closed)
        with pytest.raises(AssertionError):
            claims._rules_agree()


def test_the_effects_table_covers_every_edge_as_built() -> None:
    built = transition_effects._edge_effects()
    assert dict(built) == dict(transitions.EFFECTS)
    assert set(built) == set(lifecycle.EDGES)
    with pytest.raises(TypeError):
        built[(TaskStatus.PENDING, TaskStatus.CLAIMED)] = None  # type: ignore[index]


def test_report_lines_list_every_unreadable_row() -> None:
    check = keys.CheckReport((keys.ColumnCheck("t.c", unreadable=["project 'a'", "project 'b'"]),))
    assert check.lines() == [
        "t.c: 0 readable (0 under the newest key), 2 unreadable: project 'a', project 'b'"
    ]
    column = keys.ColumnRotation("t.c", unreadable=["project 'a'", "project 'b'"])
    rotation = keys.RotationReport((column,))
    assert rotation.lines() == [
        "t.c: 0 rotated, 0 already under the newest key, 2 unreadable: project 'a', project 'b'"
    ]
    assert rotation.as_dict()["columns"] == [column.as_dict()]
    assert check.as_dict()["columns"] == [check.columns[0].as_dict()]


async def test_rotate_at_pages_by_500_and_reports_each_batch(conn: Conn, db_url: str) -> None:
    """501 tokens: the default batch of 500 takes two batches, each reported to the hook."""
    creator = await seed_agent(conn, AgentRole.MAIN_PM, Team.MAIN_PM)
    token = Fernet(KEY_A).encrypt(b"bulk").decode()
    await conn.execute(
        "INSERT INTO projects (id, name, slug, git_url, default_branch, protected_branches,"
        " assigned_cell, created_by, is_active, created_at, git_token_encrypted)"
        " SELECT gen_random_uuid(), 'p', 'bulk-' || g, 'u', 'main', '{main}', 'backend', %s,"
        " true, now(), %s FROM generate_series(1, 501) AS g",
        (creator, token),
    )
    await conn.commit()
    box = SecretBox(f"{KEY_B},{KEY_A}")
    seen: list[tuple[str, int]] = []
    report = await asyncio.to_thread(
        keys.rotate_at, db_url, box, on_batch=lambda c: seen.append((c.column, c.rotated))
    )
    assert (report.columns[0].rotated, report.columns[0].batches) == (501, 2)
    assert seen == [(PROJECTS, 500), (PROJECTS, 501)]
    back = await asyncio.to_thread(keys.rotate_at, db_url, SecretBox(f"{KEY_A},{KEY_B}"), 250)
    assert (back.columns[0].rotated, back.columns[0].batches) == (501, 3)
    seen.clear()
    again = await keys.rotate(conn, box, on_batch=lambda c: seen.append((c.column, c.rotated)))
    assert (again.columns[0].rotated, again.columns[0].batches) == (501, 2)
    assert seen == [(PROJECTS, 500), (PROJECTS, 501)]
    checked = await asyncio.to_thread(keys.check_keys_at, db_url, SecretBox(KEY_B))
    assert (checked.columns[0].readable, checked.columns[0].current) == (501, 501)


# -- claims and transitions: the wording callers and operators see ------------------------------


@pytest.fixture
async def flow(conn: Conn) -> World:
    creator = await seed_agent(conn, AgentRole.MAIN_PM, Team.MAIN_PM)
    project = await seed_project(conn, creator)
    await conn.commit()
    pm = Member(creator, AgentRole.MAIN_PM, Team.MAIN_PM)
    return World(creator, project, {AgentRole.MAIN_PM: pm})


async def test_heartbeat_on_a_missing_task_names_it(conn: Conn, flow: World) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as caught:
        await claims.heartbeat(conn, missing, flow.agents[AgentRole.MAIN_PM])
    assert str(caught.value) == f"task {missing} not found"


async def test_admin_set_status_refusals_are_worded_exactly(conn: Conn, flow: World) -> None:
    pm = flow.agents[AgentRole.MAIN_PM]
    task_id = await make(conn, flow, TaskStatus.PENDING)
    for reason, message in (
        ("  ", "admin_set_status: reason must be a non-empty string"),
        ("x" * 2001, "admin_set_status: reason is over 2000 characters"),
    ):
        with pytest.raises(ValidationError) as caught:
            await transitions.admin_set_status(conn, task_id, TaskStatus.BLOCKED, pm, reason=reason)
        assert str(caught.value) == message
    with pytest.raises(ValidationError) as caught:
        await transitions.admin_set_status(conn, task_id, TaskStatus.BLOCKED, pm, reason="a\x00b")
    assert str(caught.value).startswith("task: "), caught.value
    moved = await transitions.admin_set_status(
        conn, task_id, TaskStatus.COMPLETED, pm, reason="x" * 2000
    )
    assert moved.status is TaskStatus.COMPLETED
    with pytest.raises(TransitionRefused) as refused:
        await transitions.admin_set_status(conn, task_id, TaskStatus.PENDING, pm, reason="back")
    assert str(refused.value) == (
        f"task {task_id}: admin_set_status refuses completed -> pending for role main_pm: "
        "a finished task comes back only with force=True"
    )


# -- the runner's fingerprints: stored form, drift wording ---------------------------------------


def test_fingerprints_store_differences_and_read_back() -> None:
    a, b, c = "table a", "table b", "column a.x integer not null"
    prints = fingerprint.Fingerprints.from_steps(
        [("001_x", frozenset({a})), ("002_y", frozenset({a, b, c})), ("003_z", frozenset({c}))]
    )
    text = prints.to_json()
    assert text.endswith("}\n")
    stored = json.loads(text)
    assert stored == {
        "format": 1,
        "revisions": {
            "001_x": {"add": [a], "drop": []},
            "002_y": {"add": [c, b], "drop": []},
            "003_z": {"add": [], "drop": [a, b]},
        },
    }
    assert list(stored["revisions"]) == ["001_x", "002_y", "003_z"]  # chain order kept
    assert fingerprint.Fingerprints.from_json(text) == prints
    assert text.startswith('{\n "format": 1,\n "revisions": {\n  "001_x": {\n   "add": [')


def test_a_match_describes_what_differs() -> None:
    assert fingerprint.Match(None).describe() == "no fingerprints are stored for this chain"
    m = fingerprint.Match(None, "002_y", ["table b"], [])
    assert m.describe() == "Closest revision: 002_y; missing: table b; extra: none"
    many = fingerprint.Match(None, "002_y", [f"table t{i}" for i in range(7)], ["table q"])
    assert many.describe() == (
        "Closest revision: 002_y; missing: table t0; table t1; table t2; table t3; table t4"
        " (+2 more); extra: table q"
    )
    assert many.describe(limit=7).endswith("table t6; extra: table q")
    assert "(+1 more)" in many.describe(limit=6)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("column tasks.title character varying(500) not null", "column tasks.title"),
        ("constraint tasks_pkey PRIMARY KEY (id)", "constraint tasks_pkey"),
        ("index ix_tasks_status CREATE INDEX ...", "index ix_tasks_status"),
        ("enum taskstatus pending,claimed", "enum taskstatus"),
        ("table tasks", "table tasks"),
        ("view v_open", "view v_open"),
        ("seed system_settings theme|dark", "seed system_settings theme"),
    ],
)
def test_a_drift_line_is_known_by_its_kind_and_name(line: str, key: str) -> None:
    assert fingerprint._key(line) == key


def test_drift_is_one_change_per_object_worded_for_an_operator() -> None:
    expected = frozenset(
        {"column t.a integer not null", "table gone", "index ix_x CREATE INDEX ix_x ON t (a)"}
    )
    live = frozenset(
        {"column t.a bigint not null", "table extra", "index ix_x CREATE INDEX ix_x ON t (a)"}
    )
    changes = fingerprint.diff(expected, live)
    assert [(c.kind, c.key) for c in changes] == [
        ("changed", "column t.a"),
        ("extra", "table extra"),
        ("missing", "table gone"),
    ]
    assert [str(c) for c in changes] == [
        "changed column t.a: the chain builds [integer not null], "
        "the database has [bigint not null]",
        "extra table extra",
        "missing table gone",
    ]
    detail = fingerprint.Change("missing", "column t.b", "column t.b text", None)
    assert str(detail) == "missing column t.b: text"
    extra = fingerprint.Change("extra", "column t.c", None, "column t.c uuid")
    assert str(extra) == "extra column t.c: uuid"
    assert fingerprint.diff(expected, expected) == []


async def test_release_refusals_are_worded_exactly(conn: Conn, flow: World) -> None:
    pm = flow.agents[AgentRole.MAIN_PM]
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as caught:
        await claims.release(conn, missing, pm)
    assert str(caught.value) == f"task {missing} not found"
    done = await make(conn, flow, TaskStatus.COMPLETED)
    with pytest.raises(TransitionRefused) as refused:
        await claims.release(conn, done, pm)
    assert str(refused.value) == (
        f"task {done}: release refused for role main_pm: completed is not claimed, "
        "in_progress, verifying, needs_revision or blocked"
    )


async def test_reaping_takes_zero_but_refuses_negative_ages(conn: Conn, flow: World) -> None:
    assert await claims.reap_stale_claims(conn, dt.timedelta(0)) == []
    with pytest.raises(ValidationError) as caught:
        await claims.reap_stale_claims(conn, dt.timedelta(seconds=-1))
    assert str(caught.value) == "reap_stale_claims: older_than must not be negative"


async def test_claim_review_refusals_are_worded_exactly(conn: Conn, flow: World) -> None:
    with pytest.raises(ValidationError) as caught:
        await claims.claim_review(conn, uuid.uuid4(), Actor(None, AgentRole.QA, Team.BACKEND))
    assert str(caught.value) == "claim_review needs an agent id"
    qa = Actor(uuid.uuid4(), AgentRole.QA, Team.BACKEND)
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as not_found:
        await claims.claim_review(conn, missing, qa)
    assert str(not_found.value) == f"task {missing} not found"
    ceo = Actor(uuid.uuid4(), AgentRole.CEO, Team.BOARD)
    with pytest.raises(TransitionRefused) as refused:
        await claims.claim_review(conn, missing, ceo)
    assert str(refused.value) == (
        f"task {missing}: review claim refused for role ceo: the role claims no review queue"
    )


def test_fingerprints_keep_the_chain_order_not_the_alphabet() -> None:
    prints = fingerprint.Fingerprints.from_steps(
        [("b_first", frozenset({"table a"})), ("a_second", frozenset({"table a", "table b"}))]
    )
    assert list(json.loads(prints.to_json())["revisions"]) == ["b_first", "a_second"]


def test_a_function_line_is_its_own_key() -> None:
    line = "function f(a integer, b text)"
    assert fingerprint._key(line) == line


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("CREATE INDEX CONCURRENTLY ix_a ON t (a)", "ix_a"),
        ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS public.ix_b ON t (b)", "public.ix_b"),
        ('CREATE INDEX CONCURRENTLY "My Schema"."Ix" ON t (c)', '"My Schema"."Ix"'),
        ("CREATE INDEX ix_c ON t (c)", None),
    ],
)
def test_a_concurrent_build_names_its_index(text: str, name: str | None) -> None:
    stmt = sqllex.Statement(text, 0, tuple(text.upper().split()[:3]))
    assert bookkeeping.concurrent_index_name(stmt) == name


def test_index_validity_reads_the_catalog(db_url: str) -> None:
    with psycopg.connect(db_url) as c:
        assert bookkeeping.index_validity(c, "public.alembic_version_pkc") is True
        assert bookkeeping.index_validity(c, "public.no_such_index") is None


def test_going_back_logs_the_runners_own_timing(db_url: str) -> None:
    """The reverted row keeps the duration the runner measured (the server's clock is only
    the fallback for a caller that measured nothing)."""
    head = load_chain().migrations[-1]
    with psycopg.connect(db_url) as c:
        for query in bookkeeping.revert_record(head, "tester", 123.5):
            query.run(c)
        row = c.execute(
            "SELECT duration_ms, reverted_by FROM roboco_sql.reverted WHERE revision = %s",
            (head.revision,),
        ).fetchone()
    assert row == (123.5, "tester")


def test_an_adopted_revision_names_its_parent(db_url: str) -> None:
    """Adoption records the revision's parent: the linear-chain guard (one row per parent)
    and `history` read it."""
    head = load_chain().migrations[-1]
    with psycopg.connect(db_url) as c:
        c.execute("DELETE FROM roboco_sql.history WHERE revision = %s", (head.revision,))
        bookkeeping.adopt(head, "tester").run(c)
        row = c.execute(
            "SELECT parent, how FROM roboco_sql.history WHERE revision = %s", (head.revision,)
        ).fetchone()
    assert row == (head.down_revision, "adopted")


def test_a_stamp_clears_the_revisions_row_and_any_sibling_of_its_parent(db_url: str) -> None:
    """Stamping at m removes m's own row (whatever parent it names) and any other row that
    follows m's parent, so the stamped row fits the one-child-per-parent guard."""
    m = load_chain().migrations[-1]
    with psycopg.connect(db_url) as c:
        c.execute("DELETE FROM roboco_sql.history WHERE revision = %s", (m.revision,))
        c.execute(
            "INSERT INTO roboco_sql.history (revision, parent, checksum, how, applied_by)"
            " VALUES ('sibling', %s, repeat('0', 64), 'applied', 't'),"
            " (%s, 'old_parent', repeat('0', 64), 'applied', 't')",
            (m.down_revision, m.revision),
        )
        for query in bookkeeping.stamp_rows(m, "tester"):
            query.run(c)
        rows = c.execute(
            "SELECT revision, how FROM roboco_sql.history"
            " WHERE revision IN ('sibling', %s) OR parent IN ('old_parent', %s)",
            (m.revision, m.down_revision),
        ).fetchall()
    assert rows == [(m.revision, "stamped")]


def test_an_addition_records_the_revision_it_was_applied_at(db_url: str) -> None:
    addition = load_chain().additions[0]
    with psycopg.connect(db_url) as c:
        bookkeeping.addition_record(addition, "044_convention_findings", "tester").run(c)
        row = c.execute(
            "SELECT at_revision, applied_by FROM roboco_sql.additions WHERE name = %s",
            (addition.name,),
        ).fetchone()
    assert row == ("044_convention_findings", "tester")


def test_the_shipped_chain_misses_no_down_section() -> None:
    assert missing_downs(load_chain()) == []


async def test_a_qa_review_claim_records_the_developer(conn: Conn, flow: World) -> None:
    dev = await seed_agent(conn, AgentRole.DEVELOPER, Team.BACKEND)
    qa = await member(conn, AgentRole.QA, Team.BACKEND)
    task_id = await make(conn, flow, TaskStatus.AWAITING_QA, assigned_to=dev)
    claimed = await claims.claim_review(conn, task_id, qa)
    assert claimed.status is TaskStatus.AWAITING_QA and claimed.assigned_to == qa.id
    assert (claimed.orchestration_markers or {}).get("original_developer") == str(dev)


def _stale_first_read(monkeypatch: pytest.MonkeyPatch, **stale: Any) -> None:
    """The next get_task returns the row as it was before another writer changed it (the
    race the repositories' write guards exist for), later ones the row as it is."""
    real = task_repo.get_task
    pending = [stale]

    async def first_stale(conn: Conn, task_id: uuid.UUID) -> Task | None:
        task = await real(conn, task_id)
        if pending and task is not None:
            return task.model_copy(update=pending.pop())
        return task

    monkeypatch.setattr(task_repo, "get_task", first_stale)


async def conflict_after_a_stale_read(
    monkeypatch: pytest.MonkeyPatch, call: Callable[[], Awaitable[object]], **stale: Any
) -> str:
    """The message of the Conflict `call()` raises when its first read of the task is stale
    (see _stale_first_read)."""
    _stale_first_read(monkeypatch, **stale)
    with pytest.raises(Conflict) as caught:
        await call()
    return str(caught.value)


async def test_admin_set_status_names_the_writer_that_moved_first(
    conn: Conn, flow: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pm = flow.agents[AgentRole.MAIN_PM]
    task_id = await make(conn, flow, TaskStatus.BLOCKED)
    override = partial(
        transitions.admin_set_status, conn, task_id, TaskStatus.AWAITING_QA, pm, reason="r"
    )
    message = await conflict_after_a_stale_read(monkeypatch, override, status=TaskStatus.PENDING)
    assert message == (
        f"task {task_id}: expected pending for the override to awaiting_qa, found blocked "
        "(another writer moved it first)"
    )


async def test_admin_set_status_on_a_task_deleted_meanwhile(
    conn: Conn, flow: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pm = flow.agents[AgentRole.MAIN_PM]
    task_id = await make(conn, flow, TaskStatus.PENDING)
    real = task_repo.get_task
    row = await real(conn, task_id)
    await conn.execute("DELETE FROM tasks WHERE id = %s", (task_id,))
    calls: list[uuid.UUID] = []

    async def gone_after_first(c: Conn, tid: uuid.UUID) -> Task | None:
        calls.append(tid)
        return row if len(calls) == 1 else await real(c, tid)

    monkeypatch.setattr(task_repo, "get_task", gone_after_first)
    with pytest.raises(NotFound) as caught:
        await transitions.admin_set_status(conn, task_id, TaskStatus.BLOCKED, pm, reason="r")
    assert str(caught.value) == f"task {task_id} not found" and calls == [task_id, task_id]


async def test_release_refuses_what_another_writer_took_meanwhile(
    conn: Conn, flow: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = await member(conn, AgentRole.DEVELOPER, Team.BACKEND)
    other = await seed_agent(conn, AgentRole.DEVELOPER, Team.BACKEND)
    assigned = await make(conn, flow, TaskStatus.PENDING, assigned_to=other)
    _stale_first_read(monkeypatch, assigned_to=dev.id)
    with pytest.raises(Conflict) as caught:
        await claims.release(conn, assigned, dev)
    assert str(caught.value) == f"task {assigned}: changed while releasing its assignment; retry"
    held = await make(
        conn, flow, TaskStatus.CLAIMED, assigned_to=other, claimed_by=other,
        active_claimant_id=other,
    )  # fmt: skip
    _stale_first_read(monkeypatch, assigned_to=dev.id, active_claimant_id=dev.id)
    with pytest.raises(Conflict):
        await claims.release(conn, held, dev)
    now = await task_repo.get_task(conn, held)
    assert now is not None and (now.status, now.assigned_to) == (TaskStatus.CLAIMED, other)
