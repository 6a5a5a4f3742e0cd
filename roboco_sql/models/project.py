"""Projects: the git repositories agents work in, with their per-repo commands."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, Field, SecretStr, field_validator

from roboco_sql.models.base import (
    Input,
    Name,
    Patch,
    Row,
    SecretChange,
    Slug,
    blank_secret_to_none,
    new_id,
    secret_change,
    utcnow,
)
from roboco_sql.models.enums import Team


def _default_protected() -> list[str]:
    return ["main", "master"]


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


class ProjectCreate(Input):
    """A new project; ``git_token`` is plaintext only until the repository encrypts it."""

    __table__ = "projects"

    id: uuid.UUID = Field(default_factory=new_id)
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
    created_at: AwareDatetime = Field(default_factory=utcnow)

    _blank_token = field_validator("git_token")(blank_secret_to_none)


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

    def git_token_change(self) -> SecretChange:
        """What the update does to ``git_token_encrypted``."""
        return secret_change(self.git_token)
