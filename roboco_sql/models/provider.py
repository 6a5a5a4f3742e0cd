"""Model providers and the scoped rules that pick a provider and model for each spawn."""

from __future__ import annotations

import uuid
from typing import ClassVar, Self

from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator

from roboco_sql.models.base import (
    Name,
    Patch,
    Row,
    SecretChange,
    StampedCreate,
    blank_secret_to_none,
    secret_change,
)
from roboco_sql.models.enums import AgentRole, AssignmentScope, Complexity, ModelProvider

__all__ = [
    "ModelAssignment",
    "ModelAssignmentCreate",
    "ModelAssignmentUpdate",
    "ProviderConfig",
    "ProviderConfigCreate",
    "ProviderConfigUpdate",
]

_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_ROLE_VALUES = frozenset(role.value for role in AgentRole) | frozenset(
    f"{role.value}:{level.value}" for role in AgentRole for level in Complexity
)  # a role, or a role at one task complexity (RoboCo's cost-tier rung, "developer:low")


class ProviderConfig(Row):
    """Row of ``provider_configs``; the encrypted key is reported only as ``has_auth_token``."""

    __table__ = "provider_configs"
    __secret_columns__: ClassVar[dict[str, str]] = {"auth_token_encrypted": "has_auth_token"}

    id: uuid.UUID
    name: str
    type: ModelProvider
    base_url: str | None
    has_auth_token: bool
    enabled: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class ModelAssignment(Row):
    """Row of ``model_assignments``: agent_slug beats role beats global at spawn time."""

    __table__ = "model_assignments"

    id: uuid.UUID
    scope: AssignmentScope
    scope_value: str | None
    provider_config_id: uuid.UUID
    model_name: str
    created_at: AwareDatetime
    updated_at: AwareDatetime | None


class ProviderConfigCreate(StampedCreate):
    """A new provider; ``base_url`` None means the provider's standard endpoint."""

    __table__ = "provider_configs"

    name: Name
    type: ModelProvider
    base_url: str | None = None
    auth_token: SecretStr | None = None
    enabled: bool = True

    _blank_token = field_validator("auth_token")(blank_secret_to_none)


class ProviderConfigUpdate(Patch):
    """Editable provider attributes; ``auth_token`` follows the project token convention."""

    __table__ = "provider_configs"
    __secret_inputs__ = frozenset({"auth_token"})
    __nullable__ = frozenset({"base_url"})

    name: Name | None = None
    base_url: str | None = None
    auth_token: SecretStr | None = None
    enabled: bool | None = None

    def auth_token_change(self) -> SecretChange:
        """What the update does to ``auth_token_encrypted``: keep, clear or set."""
        return secret_change(self.auth_token)


class ModelAssignmentCreate(StampedCreate):
    """A routing rule; its ``scope_value`` must fit its scope.

    ``global`` takes no value (the unique key treats NULLs as equal, so there is one global
    rule); ``role`` takes an agent role; ``agent_slug`` takes an agent slug.
    """

    __table__ = "model_assignments"

    scope: AssignmentScope
    scope_value: str | None = Field(default=None, min_length=1, max_length=100)
    provider_config_id: uuid.UUID
    model_name: str = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _value_fits_scope(self) -> Self:
        value = self.scope_value
        if self.scope is AssignmentScope.GLOBAL:
            if value is not None:
                raise ValueError("a global assignment takes no scope_value")
        elif value is None:
            raise ValueError(f"a {self.scope.value} assignment needs a scope_value")
        elif self.scope is AssignmentScope.ROLE and value not in _ROLE_VALUES:
            raise ValueError(f"scope_value {value!r} is not an agent role")
        elif self.scope is AssignmentScope.AGENT_SLUG and not set(value) <= _SLUG_CHARS:
            raise ValueError(f"scope_value {value!r} is not an agent slug")
        return self


class ModelAssignmentUpdate(Patch):
    """Re-point a routing rule at another provider or model; its scope key is fixed."""

    __table__ = "model_assignments"

    provider_config_id: uuid.UUID | None = None
    model_name: str | None = Field(default=None, min_length=1, max_length=100)
