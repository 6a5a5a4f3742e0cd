"""Valid model inputs several test modules build, with what a test cares about as arguments."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from roboco_sql.models.agent import AgentCreate
from roboco_sql.models.enums import AgentRole, Team
from roboco_sql.models.project import ProjectCreate


def new_agent(slug: str, role: AgentRole = AgentRole.DEVELOPER, **kw: Any) -> AgentCreate:
    """A backend agent (a developer unless `role` says otherwise) named after `slug`; `kw` sets
    any other field."""
    kw.setdefault("team", Team.BACKEND)
    return AgentCreate(
        name=kw.pop("name", slug.title()),
        slug=slug,
        role=role,
        system_prompt=f"You are {slug}.",
        **kw,
    )


def new_project(slug: str, owner: uuid.UUID, **kw: Any) -> ProjectCreate:
    """A backend project named after `slug`, created by `owner`; `kw` sets any other field."""
    kw.setdefault("assigned_cell", Team.BACKEND)
    return ProjectCreate(
        name=slug.title(),
        slug=slug,
        git_url=f"https://github.com/acme/{slug}.git",
        created_by=owner,
        **kw,
    )


def payloads(defaults: Mapping[str, Any], *fresh: str) -> Callable[..., dict[str, Any]]:
    """A maker of valid input payloads: `defaults`, a new uuid under each key of `fresh` (ids
    that must not repeat across payloads), then the caller's overrides."""

    def payload(**overrides: Any) -> dict[str, Any]:
        return {**defaults, **{key: uuid.uuid4() for key in fresh}, **overrides}

    return payload
