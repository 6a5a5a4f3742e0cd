"""roboco_sql.repos.projects against a real database, the encrypted git token included."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import psycopg
import pydantic
import pytest
from cryptography.fernet import Fernet
from psycopg import AsyncConnection
from pydantic import SecretStr

from roboco_sql.crypto import SecretBox
from roboco_sql.errors import Conflict, EncryptionError, NotFound, ValidationError
from roboco_sql.models.enums import Team, WorkSessionStatus
from roboco_sql.models.project import Project, ProjectCreate, ProjectUpdate
from roboco_sql.models.work_session import WorkSessionCreate
from roboco_sql.repos import projects, work_sessions
from tests.fix_conn import count, refused
from tests.fix_inputs import new_project
from tests.fix_rows import make_agent, make_task

Conn = AsyncConnection[Any]
PAT = "ghp_" + "s3cret" * 6


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key().decode())


@pytest.fixture
async def owner(conn: Conn) -> uuid.UUID:
    return await make_agent(conn, "main-pm", role="main_pm", team="main_pm")


async def stored_ciphertext(conn: Conn, project_id: uuid.UUID) -> str | None:
    cur = await conn.execute(
        "SELECT git_token_encrypted FROM projects WHERE id = %s", (project_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


async def test_create_and_get_round_trip(conn: Conn, owner: uuid.UUID) -> None:
    data = new_project(
        "api",
        owner,
        test_command="pytest -q",
        lint_command="ruff check .",
        quality_command="make quality",
        allowed_agents=[owner],
    )
    created = await projects.create_project(conn, data)
    assert created.id == data.id
    assert created.default_branch == "master"
    assert created.protected_branches == ["main", "master"]
    assert created.test_command == "pytest -q"
    assert created.quality_command == "make quality"
    assert created.assigned_cell is Team.BACKEND
    assert created.allowed_agents == [owner]
    assert created.is_active is True
    assert created.has_git_token is False
    assert created.updated_at is None
    assert await projects.get_project(conn, data.id) == created
    assert await projects.get_project_by_slug(conn, "api") == created


async def test_token_is_encrypted_and_never_in_the_model(
    conn: Conn, owner: uuid.UUID, box: SecretBox
) -> None:
    data = new_project("api", owner, git_token=PAT)
    assert PAT not in repr(data)
    project = await projects.create_project(conn, data, box=box)
    assert project.has_git_token is True
    ciphertext = await stored_ciphertext(conn, project.id)
    assert ciphertext is not None
    assert PAT not in ciphertext
    assert box.decrypt(ciphertext, what="t").get_secret_value() == PAT
    for shown in (repr(project), str(project), project.model_dump_json()):
        assert ciphertext not in shown
        assert PAT not in shown
    assert "git_token_encrypted" not in Project.model_fields

    token = await projects.read_git_token(conn, project.id, box=box)
    assert isinstance(token, SecretStr)
    assert token.get_secret_value() == PAT
    assert PAT not in repr(token)


async def test_blank_token_on_create_means_none(conn: Conn, owner: uuid.UUID) -> None:
    # No box and no key needed: there is nothing to encrypt.
    project = await projects.create_project(conn, new_project("api", owner, git_token=""))
    assert project.has_git_token is False
    assert await stored_ciphertext(conn, project.id) is None
    assert await projects.read_git_token(conn, project.id) is None


async def test_create_with_token_but_no_key_writes_nothing(
    conn: Conn, owner: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROBOCO_ENCRYPTION_KEY", raising=False)
    with pytest.raises(EncryptionError, match="ROBOCO_ENCRYPTION_KEY is not set"):
        await projects.create_project(conn, new_project("api", owner, git_token=PAT))
    assert await count(conn, "projects") == 0


async def test_box_from_the_environment(
    conn: Conn, owner: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("ROBOCO_ENCRYPTION_KEY", key)
    project = await projects.create_project(conn, new_project("api", owner, git_token=PAT))
    token = await projects.read_git_token(conn, project.id)
    assert token is not None
    assert token.get_secret_value() == PAT
    assert await projects.read_git_token(conn, project.id, box=SecretBox(key)) == token


async def test_update_token_keep_set_clear(conn: Conn, owner: uuid.UUID, box: SecretBox) -> None:
    project = await projects.create_project(conn, new_project("api", owner, git_token=PAT), box=box)
    first = await stored_ciphertext(conn, project.id)

    # None / absent: the stored ciphertext is untouched (and no key is needed).
    kept = await projects.update_project(conn, project.id, ProjectUpdate(name="API"))
    assert kept.has_git_token is True
    assert await stored_ciphertext(conn, project.id) == first
    kept = await projects.update_project(conn, project.id, ProjectUpdate(git_token=None))
    assert await stored_ciphertext(conn, project.id) == first

    # A value: re-encrypted.
    replaced = await projects.update_project(
        conn, project.id, ProjectUpdate(git_token=SecretStr("ghp_new")), box=box
    )
    assert replaced.has_git_token is True
    second = await stored_ciphertext(conn, project.id)
    assert second not in (None, first)
    token = await projects.read_git_token(conn, project.id, box=box)
    assert token is not None
    assert token.get_secret_value() == "ghp_new"

    # "": cleared to NULL.
    cleared = await projects.update_project(
        conn, project.id, ProjectUpdate.model_validate({"git_token": ""})
    )
    assert cleared.has_git_token is False
    assert await stored_ciphertext(conn, project.id) is None
    assert await projects.read_git_token(conn, project.id, box=box) is None


async def test_read_token_with_the_wrong_key_names_the_project(
    conn: Conn, owner: uuid.UUID, box: SecretBox
) -> None:
    project = await projects.create_project(conn, new_project("api", owner, git_token=PAT), box=box)
    other = SecretBox(Fernet.generate_key().decode())
    with pytest.raises(EncryptionError, match="cannot decrypt project 'api' git token") as err:
        await projects.read_git_token(conn, project.id, box=other)
    assert PAT not in str(err.value)


async def test_read_token_of_a_missing_project(conn: Conn, box: SecretBox) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"project {missing} not found"):
        await projects.read_git_token(conn, missing, box=box)


async def test_duplicate_slug_is_a_conflict(conn: Conn, owner: uuid.UUID) -> None:
    await projects.create_project(conn, new_project("api", owner))
    with pytest.raises(Conflict, match="project with slug=api already exists"):
        await projects.create_project(conn, new_project("api", owner))


async def test_unknown_creator_is_not_found(conn: Conn) -> None:
    ghost = uuid.uuid4()
    async with refused(conn, NotFound, f"project: no agents row with created_by={ghost}"):
        await projects.create_project(conn, new_project("api", ghost))
    assert await count(conn, "projects") == 0


async def test_invalid_input_is_refused_before_sql(conn: Conn, owner: uuid.UUID) -> None:
    for bad in (
        {"slug": "Bad_Slug"},
        {"git_url": ""},
        {"test_command": "x" * 501},
        {"assigned_cell": "nowhere"},
        {"token": "x"},
    ):
        fields: dict[str, Any] = {
            "name": "P",
            "slug": "p",
            "git_url": "https://x/p.git",
            "assigned_cell": "backend",
            "created_by": owner,
            **bad,
        }
        with pytest.raises(pydantic.ValidationError):
            await projects.create_project(conn, ProjectCreate.model_validate(fields))
    with pytest.raises(pydantic.ValidationError, match="NOT NULL"):
        ProjectUpdate(git_url=None)
    assert await count(conn, "projects") == 0


async def test_list_filters_and_pages(conn: Conn, owner: uuid.UUID) -> None:
    await projects.create_project(conn, new_project("be-api", owner))
    await projects.create_project(conn, new_project("be-old", owner, is_active=False))
    await projects.create_project(conn, new_project("fe-web", owner, assigned_cell=Team.FRONTEND))
    await projects.create_project(conn, new_project("ux-kit", owner, assigned_cell=Team.UX_UI))

    def slugs(rows: list[Project]) -> list[str]:
        return [r.slug for r in rows]

    assert slugs(await projects.list_projects(conn)) == ["be-api", "be-old", "fe-web", "ux-kit"]
    assert slugs(await projects.list_projects(conn, assigned_cell=Team.BACKEND)) == [
        "be-api",
        "be-old",
    ]
    assert slugs(await projects.list_projects(conn, is_active=True)) == [
        "be-api",
        "fe-web",
        "ux-kit",
    ]
    assert slugs(
        await projects.list_projects(conn, assigned_cell=Team.BACKEND, is_active=False)
    ) == ["be-old"]
    page = await projects.list_projects(conn, limit=3)
    assert slugs(page) == ["be-api", "be-old", "fe-web"]
    assert slugs(await projects.list_projects(conn, after_slug=page[-1].slug)) == ["ux-kit"]


async def test_update_writes_only_what_was_set(conn: Conn, owner: uuid.UUID) -> None:
    project = await projects.create_project(
        conn, new_project("api", owner, test_command="pytest", build_command="make")
    )
    synced = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    updated = await projects.update_project(
        conn,
        project.id,
        ProjectUpdate(
            git_url="https://github.com/acme/api2.git",
            default_branch="main",
            protected_branches=["main", "release"],
            lint_command="ruff check",
            typecheck_command="mypy --strict",
            format_command="ruff format --check",
            quality_command="make quality",
            assigned_cell=Team.FULLSTACK,
            allowed_agents=[owner],
            workspace_path="/ws/api",
            last_synced_at=synced,
            head_commit="a" * 40,
            test_command=None,
        ),
    )
    assert updated.git_url == "https://github.com/acme/api2.git"
    assert updated.default_branch == "main"
    assert updated.protected_branches == ["main", "release"]
    assert updated.lint_command == "ruff check"
    assert updated.typecheck_command == "mypy --strict"
    assert updated.format_command == "ruff format --check"
    assert updated.quality_command == "make quality"
    assert updated.assigned_cell is Team.FULLSTACK
    assert updated.allowed_agents == [owner]
    assert updated.workspace_path == "/ws/api"
    assert updated.last_synced_at == synced
    assert updated.head_commit == "a" * 40
    assert updated.test_command is None  # set to null on purpose
    # untouched
    assert updated.name == project.name
    assert updated.build_command == "make"
    assert updated.is_active is True
    assert updated.updated_at is not None
    assert await projects.get_project(conn, project.id) == updated

    deactivated = await projects.update_project(
        conn, project.id, ProjectUpdate(is_active=False, protected_branches=[])
    )
    assert deactivated.is_active is False
    assert deactivated.protected_branches == []
    assert deactivated.default_branch == "main"


async def test_update_errors(conn: Conn, owner: uuid.UUID) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"project {missing} not found"):
        await projects.update_project(conn, missing, ProjectUpdate(name="x"))
    project = await projects.create_project(conn, new_project("api", owner))
    with pytest.raises(pydantic.ValidationError):
        ProjectUpdate.model_validate({"slug": "renamed"})
    with pytest.raises(pydantic.ValidationError):
        ProjectUpdate(head_commit="f" * 41)
    assert await projects.get_project(conn, project.id) == project


def test_update_statement_covers_every_patch_field() -> None:
    fields = set(ProjectUpdate.model_fields) - {"git_token"}
    assert fields == set(projects._UPDATABLE)


async def test_newer_project_columns_create_and_update(conn: Conn, owner: uuid.UUID) -> None:
    made = await projects.create_project(
        conn,
        new_project(
            "svc",
            owner,
            git_provider="github",
            environments=[{"name": "dev", "branch": "develop"}, {"name": "prod", "branch": "main"}],
            github_installation_id=42,
            codegen_command="make codegen",
            monthly_budget_usd=50.0,
        ),
    )
    assert made.git_provider == "github" and made.github_installation_id == 42
    assert made.environments == [
        {"name": "dev", "branch": "develop"},
        {"name": "prod", "branch": "main"},
    ]
    assert made.codegen_command == "make codegen" and made.monthly_budget_usd == 50.0
    assert made.ci_watch_enabled is False and made.video_engine_enabled is False
    assert made.board_programs is None and made.sandbox_services is None

    patch = ProjectUpdate(
        ci_watch_enabled=True,
        ci_watch_workflow="ci.yml",
        dep_update_command="uv lock --upgrade",
        dep_update_paths=["uv.lock", "uv.lock"],
        sandbox_services=["postgres"],
        video_engine_enabled=True,
        sandbox_extensions={"postgres": ["pgvector"]},
        board_programs=["roadmap", "spackle"],
        monthly_budget_usd=None,
    )
    out = await projects.update_project(conn, made.id, patch)
    assert out.ci_watch_enabled and out.video_engine_enabled
    assert out.ci_watch_workflow == "ci.yml" and out.dep_update_paths == ["uv.lock"]
    assert out.sandbox_services == ["postgres"]
    assert out.sandbox_extensions == {"postgres": ["pgvector"]}
    assert out.board_programs == ["roadmap", "spackle"]
    assert out.monthly_budget_usd is None and out.git_provider == "github"  # untouched
    assert await projects.get_project(conn, made.id) == out
    cur = await conn.execute(
        "SELECT pg_typeof(board_programs)::text FROM projects WHERE id = %s", (made.id,)
    )
    assert await cur.fetchone() == ("jsonb",)
    for bad in (
        {"git_provider": "svn"},
        {"monthly_budget_usd": 0},
        {"environments": [{"name": "a", "branch": "x"}, {"name": "a", "branch": "y"}]},
        {"ci_watch_enabled": None},
    ):
        with pytest.raises(pydantic.ValidationError):
            ProjectUpdate.model_validate(bad)


async def test_lists_by_name_with_offset_and_total(conn: Conn, owner: uuid.UUID) -> None:
    # slug order a-, b-, c-, d-; name order differs
    for slug, name, active in (
        ("a-svc", "Zeta", True),
        ("b-svc", "Alpha", True),
        ("c-svc", "Mid", False),
        ("d-svc", "Beta", True),
    ):
        made = new_project(slug, owner, is_active=active)
        await projects.create_project(conn, made.model_copy(update={"name": name}))

    def names(rows: list[Project]) -> list[str]:
        return [r.name for r in rows]

    assert names(await projects.list_projects(conn, order="name")) == [
        "Alpha",
        "Beta",
        "Mid",
        "Zeta",
    ]
    page = await projects.page_projects(conn, limit=2)  # active only, as RoboCo's list_all
    assert names(page.items) == ["Alpha", "Beta"] and page.total == 3 and page.has_more
    rest = await projects.page_projects(conn, offset=2, limit=2)
    assert names(rest.items) == ["Zeta"] and not rest.has_more
    every = await projects.page_projects(conn, is_active=None)
    assert every.total == 4
    cell = await projects.page_projects(conn, assigned_cell=Team.FRONTEND)
    assert cell.items == [] and cell.total == 0
    with pytest.raises(ValidationError, match="after_slug"):
        await projects.list_projects(conn, order="name", after_slug="a")
    with pytest.raises(ValidationError, match="order"):
        await projects.list_projects(conn, order="size")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="offset"):
        await projects.page_projects(conn, offset=-1)


async def test_oldest_active_project(conn: Conn, owner: uuid.UUID) -> None:
    assert await projects.oldest_active_project(conn) is None
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for slug, days, active in (("a-new", 3, True), ("b-old", 1, True), ("c-older", 0, False)):
        made = new_project(slug, owner, is_active=active)
        await projects.create_project(
            conn, made.model_copy(update={"created_at": t0 + dt.timedelta(days=days)})
        )
    oldest = await projects.oldest_active_project(conn)
    assert oldest is not None and oldest.slug == "b-old"


async def test_allowed_agents_change_in_one_statement_each(
    conn: Conn, db_url: str, owner: uuid.UUID
) -> None:
    project = await projects.create_project(conn, new_project("be-api", owner))
    assert project.allowed_agents is None  # every agent of the cell
    await conn.commit()
    devs = [uuid.uuid4() for _ in range(4)]
    others = [await psycopg.AsyncConnection.connect(db_url, autocommit=True) for _ in devs]
    try:
        await asyncio.gather(
            *(
                projects.add_allowed_agent(c, project.id, d)
                for c, d in zip(others, devs, strict=True)
            )
        )
    finally:
        for c in others:
            await c.close()
    allowed = await projects.get_project(conn, project.id)
    assert allowed is not None and set(allowed.allowed_agents or []) == set(devs)
    again = await projects.add_allowed_agent(conn, project.id, devs[0])
    assert (again.allowed_agents or []).count(devs[0]) == 1
    fewer = await projects.remove_allowed_agent(conn, project.id, devs[0])
    assert fewer.allowed_agents is not None and devs[0] not in fewer.allowed_agents
    open_to_cell = await projects.create_project(conn, new_project("be-open", owner))
    still = await projects.remove_allowed_agent(conn, open_to_cell.id, devs[1])
    assert still.allowed_agents is None
    with pytest.raises(NotFound, match="project"):
        await projects.add_allowed_agent(conn, uuid.uuid4(), devs[0])
    with pytest.raises(NotFound, match="project"):
        await projects.remove_allowed_agent(conn, uuid.uuid4(), devs[0])


def session_on(
    project_id: uuid.UUID, task_id: uuid.UUID, agent_id: uuid.UUID, branch: str
) -> WorkSessionCreate:
    return WorkSessionCreate(
        project_id=project_id,
        task_id=task_id,
        agent_id=agent_id,
        branch_name=branch,
        base_branch="main",
        target_branch="main",
    )


async def test_delete_project_abandons_its_work_then_goes(conn: Conn, owner: uuid.UUID) -> None:
    doomed = await projects.create_project(conn, new_project("be-doomed", owner))
    home = await projects.create_project(conn, new_project("be-home", owner))
    task = await make_task(conn, owner, home.id)
    session = await work_sessions.open_work_session(
        conn,
        session_on(doomed.id, task, owner, "feat/x"),
    )
    abandoned = await work_sessions.abandon_for_project(conn, doomed.id)
    assert [(s.id, s.status) for s in abandoned] == [(session.id, WorkSessionStatus.ABANDONED)]
    assert await work_sessions.abandon_for_project(conn, doomed.id) == []
    reopened = await work_sessions.open_work_session(
        conn,
        session_on(doomed.id, task, owner, "feat/y"),
    )

    # a task of the project refuses the delete; nothing changes and the caller goes on
    blocker = await make_task(conn, owner, doomed.id)
    with pytest.raises(Conflict, match="still referenced from tasks"):
        await projects.delete_project(conn, doomed.id)
    kept = await work_sessions.get_work_session(conn, reopened.id)
    assert kept is not None and kept.status is WorkSessionStatus.ACTIVE
    await conn.execute("DELETE FROM tasks WHERE id = %s", (blocker,))

    assert await projects.delete_project(conn, doomed.id) is True
    assert await projects.get_project(conn, doomed.id) is None
    assert await work_sessions.get_work_session(conn, reopened.id) is None  # cascaded
    assert await projects.delete_project(conn, doomed.id) is False
    assert await projects.get_project(conn, home.id) is not None


async def test_task_progress_per_project_in_one_pass(conn: Conn, owner: uuid.UUID) -> None:
    busy = await projects.create_project(conn, new_project("be-busy", owner))
    idle = await projects.create_project(conn, new_project("be-idle", owner))
    for status in ("completed", "completed", "blocked", "cancelled", "pending", "in_progress"):
        await make_task(conn, owner, busy.id, status=status)
    progress = await projects.task_progress(conn, [busy.id, idle.id])
    assert set(progress) == {busy.id}  # no tasks: absent, shown as zeros
    got = progress[busy.id]
    assert (got.done, got.active, got.blocked) == (2, 2, 1)
    assert await projects.task_progress(conn, []) == {}
