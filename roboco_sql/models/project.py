"""Projects: the git repositories agents work in, with their per-repo commands."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, field_validator

from roboco_sql.models.base import (
    JsonArray,
    JsonObject,
    Name,
    Patch,
    Row,
    SecretChange,
    Slug,
    StampedCreate,
    View,
    blank_secret_to_none,
    secret_change,
)
from roboco_sql.models.enums import Team

__all__ = ["Project", "ProjectCreate", "ProjectUpdate", "TaskProgress"]


def _default_protected() -> list[str]:
    return ["main", "master"]


class GitProvider(StrEnum):
    """The forges ``projects.git_provider`` (a varchar(16), checked only here) may name."""

    GITHUB = "github"
    GITLAB = "gitlab"
    GITEA = "gitea"


class ProjectEnvironment(BaseModel):
    """One rung of a project's environment ladder: first is the PR target, last is prod."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=50)
    branch: str = Field(min_length=1, max_length=100)


def _distinct_rungs(envs: list[ProjectEnvironment] | None) -> list[ProjectEnvironment] | None:
    if envs is None:
        return None
    names = [e.name for e in envs]
    if len(set(names)) != len(names):
        raise ValueError("environment names must be distinct")
    return envs or None


def _distinct(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    if any(not v for v in values):
        raise ValueError("entries must not be empty")
    return list(dict.fromkeys(values))


_NEWER_NULLABLE = frozenset(
    {
        "ci_watch_workflow",
        "dep_update_command",
        "dep_update_paths",
        "sandbox_services",
        "sandbox_extensions",
        "environments",
        "git_provider",
        "github_installation_id",
        "codegen_command",
        "monthly_budget_usd",
        "board_programs",
    }
)


class Project(Row):
    """Row of ``projects``; the encrypted git token is reported only as ``has_git_token``."""

    __table__ = "projects"
    __secret_columns__: ClassVar[dict[str, str]] = {"git_token_encrypted": "has_git_token"}

    id: uuid.UUID
    name: str
    slug: str
    git_url: str
    default_branch: str
    protected_branches: list[str]
    has_git_token: bool
    test_command: str | None
    lint_command: str | None
    format_command: str | None
    typecheck_command: str | None
    build_command: str | None
    quality_command: str | None
    assigned_cell: Team
    allowed_agents: list[uuid.UUID] | None
    workspace_path: str | None
    last_synced_at: AwareDatetime | None
    head_commit: str | None
    created_by: uuid.UUID
    is_active: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime | None
    ci_watch_enabled: bool
    ci_watch_workflow: str | None
    dep_update_command: str | None
    dep_update_paths: list[str] | None
    sandbox_services: list[str] | None
    video_engine_enabled: bool
    sandbox_extensions: JsonObject | None
    environments: JsonArray | None
    git_provider: str | None
    github_installation_id: int | None
    codegen_command: str | None
    monthly_budget_usd: float | None
    board_programs: JsonArray | None


class ProjectCreate(StampedCreate):
    """A new project; ``git_token`` is plaintext only until the repository encrypts it."""

    __table__ = "projects"

    name: Name
    slug: Slug
    git_url: str = Field(min_length=1, max_length=500)
    default_branch: str = Field(default="master", min_length=1, max_length=100)
    protected_branches: list[str] = Field(default_factory=_default_protected)
    git_token: SecretStr | None = None
    test_command: str | None = Field(default=None, max_length=500)
    lint_command: str | None = Field(default=None, max_length=500)
    format_command: str | None = Field(default=None, max_length=500)
    typecheck_command: str | None = Field(default=None, max_length=500)
    build_command: str | None = Field(default=None, max_length=500)
    quality_command: str | None = Field(default=None, max_length=500)
    assigned_cell: Team
    allowed_agents: list[uuid.UUID] | None = None
    workspace_path: str | None = Field(default=None, max_length=500)
    created_by: uuid.UUID
    is_active: bool = True
    git_provider: GitProvider | None = None
    environments: list[ProjectEnvironment] | None = None
    github_installation_id: int | None = Field(default=None, gt=0)
    codegen_command: str | None = Field(default=None, max_length=500)
    monthly_budget_usd: float | None = Field(default=None, gt=0)

    _blank_token = field_validator("git_token")(blank_secret_to_none)
    _rungs = field_validator("environments")(_distinct_rungs)


class ProjectUpdate(Patch):
    """Editable project attributes.

    ``git_token``: ``None`` or absent leaves the stored token, ``""`` clears it, any other
    value replaces it. ``git_token_change()`` says which; ``changes()`` never includes it.
    """

    __table__ = "projects"
    __secret_inputs__ = frozenset({"git_token"})
    __nullable__ = frozenset(
        {
            "test_command",
            "lint_command",
            "format_command",
            "typecheck_command",
            "build_command",
            "quality_command",
            "allowed_agents",
            "workspace_path",
            "last_synced_at",
            "head_commit",
        }
        | _NEWER_NULLABLE
    )

    name: Name | None = None
    git_url: str | None = Field(default=None, min_length=1, max_length=500)
    default_branch: str | None = Field(default=None, min_length=1, max_length=100)
    protected_branches: list[str] | None = None
    git_token: SecretStr | None = None
    test_command: str | None = Field(default=None, max_length=500)
    lint_command: str | None = Field(default=None, max_length=500)
    format_command: str | None = Field(default=None, max_length=500)
    typecheck_command: str | None = Field(default=None, max_length=500)
    build_command: str | None = Field(default=None, max_length=500)
    quality_command: str | None = Field(default=None, max_length=500)
    assigned_cell: Team | None = None
    allowed_agents: list[uuid.UUID] | None = None
    workspace_path: str | None = Field(default=None, max_length=500)
    last_synced_at: AwareDatetime | None = None
    head_commit: str | None = Field(default=None, max_length=40)
    is_active: bool | None = None
    ci_watch_enabled: bool | None = None
    ci_watch_workflow: str | None = Field(default=None, min_length=1, max_length=255)
    dep_update_command: str | None = Field(default=None, max_length=500)
    dep_update_paths: list[str] | None = None
    sandbox_services: list[str] | None = None
    video_engine_enabled: bool | None = None
    sandbox_extensions: dict[str, list[str]] | None = None
    environments: list[ProjectEnvironment] | None = None
    git_provider: GitProvider | None = None
    github_installation_id: int | None = Field(default=None, gt=0)
    codegen_command: str | None = Field(default=None, max_length=500)
    monthly_budget_usd: float | None = Field(default=None, gt=0)
    board_programs: list[str] | None = None

    _rungs = field_validator("environments")(_distinct_rungs)
    _lists = field_validator("dep_update_paths", "sandbox_services", "board_programs")(_distinct)

    def git_token_change(self) -> SecretChange:
        """What the update does to ``git_token_encrypted``."""
        return secret_change(self.git_token)


class TaskProgress(View):
    """The tasks of a project (or of a product's projects) by progress: completed, still
    active (neither completed, cancelled nor blocked) and blocked; the dashboard's bars."""

    id: uuid.UUID
    done: int
    active: int
    blocked: int
