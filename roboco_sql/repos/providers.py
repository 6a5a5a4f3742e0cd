"""Model providers and the scoped rules (agent slug > role > global) that route each spawn.

A provider's auth token is written encrypted and read back only through ``read_auth_token``;
every other function returns ``ProviderConfig``, which reports it as ``has_auth_token``.
"""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection
from pydantic import SecretStr

from roboco_sql import queries
from roboco_sql.crypto import SecretBox
from roboco_sql.models.enums import AgentRole, AssignmentScope, Complexity, ModelProvider
from roboco_sql.models.provider import (
    ModelAssignment,
    ModelAssignmentCreate,
    ModelAssignmentUpdate,
    ProviderConfig,
    ProviderConfigCreate,
    ProviderConfigUpdate,
)
from roboco_sql.repos._checks import enum_arg, optional_enum_arg
from roboco_sql.repos._inputs import existing, insert, removed
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row
from roboco_sql.repos._secrets import box_or_default, read_token, token_params

__all__ = [
    "clear_mode_assignments",
    "create_model_assignment",
    "create_provider_config",
    "delete_model_assignment",
    "delete_provider_config",
    "get_model_assignment",
    "get_model_assignment_by_key",
    "get_provider_config",
    "get_provider_config_by_name",
    "get_provider_config_by_type",
    "list_model_assignments",
    "list_provider_configs",
    "read_auth_token",
    "resolve_model_assignment",
    "update_model_assignment",
    "update_provider_config",
    "upsert_model_assignment",
]

_Q = queries.load()
_CREATE = _Q["providers.create_provider_config"]
_GET = _Q["providers.get_provider_config"]
_GET_BY_NAME = _Q["providers.get_provider_config_by_name"]
_GET_BY_TYPE = _Q["providers.get_provider_config_by_type"]
_LIST = _Q["providers.list_provider_configs"]
_UPDATE = _Q["providers.update_provider_config"]
_GET_TOKEN = _Q["providers.get_provider_auth_token"]
_CREATE_ASSIGNMENT = _Q["providers.create_model_assignment"]
_GET_ASSIGNMENT = _Q["providers.get_model_assignment"]
_LIST_ASSIGNMENTS = _Q["providers.list_model_assignments"]
_RESOLVE_ASSIGNMENT = _Q["providers.resolve_model_assignment"]
_UPDATE_ASSIGNMENT = _Q["providers.update_model_assignment"]
_DELETE_ASSIGNMENT = _Q["providers.delete_model_assignment"]
_DELETE = _Q["providers.delete_provider_config"]
_GET_ASSIGNMENT_BY_KEY = _Q["providers.get_model_assignment_by_key"]
_UPSERT_ASSIGNMENT = _Q["providers.upsert_model_assignment"]
_CLEAR_MODE_ASSIGNMENTS = _Q["providers.clear_mode_assignments"]

_ROW = model_row(ProviderConfig)
_ASSIGNMENT_ROW = model_row(ModelAssignment)

_UPDATABLE = ProviderConfigUpdate.columns()


# -- providers ---------------------------------------------------------------------------------


async def create_provider_config(
    conn: AsyncConnection[Any], data: ProviderConfigCreate, *, box: SecretBox | None = None
) -> ProviderConfig:
    """Insert a provider, encrypting its token first; a taken name is a Conflict."""
    token = data.auth_token
    ciphertext = box_or_default(box).encrypt(token) if token is not None else None
    return await insert(
        conn, _CREATE, _ROW, data, entity="provider", auth_token_encrypted=ciphertext
    )


async def get_provider_config(
    conn: AsyncConnection[Any], provider_id: uuid.UUID
) -> ProviderConfig | None:
    """One provider by id, or None."""
    return await queries.fetch_one(conn, _GET, _ROW, id=provider_id)


async def get_provider_config_by_name(
    conn: AsyncConnection[Any], name: str
) -> ProviderConfig | None:
    """One provider by name (the seeds' stable key), or None."""
    return await queries.fetch_one(conn, _GET_BY_NAME, _ROW, name=name)


async def get_provider_config_by_type(
    conn: AsyncConnection[Any], provider_type: ModelProvider
) -> ProviderConfig | None:
    """The provider of a type, as the key-setting path looks it up, or None."""
    return await queries.fetch_one(
        conn, _GET_BY_TYPE, _ROW, type=enum_arg("provider_type", ModelProvider, provider_type)
    )


async def list_provider_configs(
    conn: AsyncConnection[Any], *, enabled: bool | None = None
) -> list[ProviderConfig]:
    """Every provider (or only enabled / disabled ones), by name."""
    return await queries.fetch_all(conn, _LIST, _ROW, enabled=enabled)


async def update_provider_config(
    conn: AsyncConnection[Any],
    provider_id: uuid.UUID,
    patch: ProviderConfigUpdate,
    *,
    box: SecretBox | None = None,
) -> ProviderConfig:
    """Write the fields the patch set; auth_token None keeps, "" clears, anything else replaces.

    ``enabled`` is written only when given: turning a provider on when its key is set is the
    caller's policy, not this function's. NotFound if there is no such provider.
    """
    changes = patch.changes()
    params = {"id": provider_id, **patch_params(changes, _UPDATABLE)}
    params |= token_params(box, patch.auth_token, "auth_token_encrypted")
    return await existing(conn, _UPDATE, _ROW, "provider", provider_id, **params)


async def delete_provider_config(conn: AsyncConnection[Any], provider_id: uuid.UUID) -> None:
    """Drop a provider; Conflict while a model assignment points at it, NotFound if missing."""
    await removed(conn, _DELETE, "provider config", provider_id, id=provider_id)


async def read_auth_token(
    conn: AsyncConnection[Any], provider_id: uuid.UUID, *, box: SecretBox | None = None
) -> SecretStr | None:
    """The provider's auth token in plaintext (as SecretStr), or None when it has none.

    NotFound if there is no such provider; EncryptionError naming the provider if no
    configured key opens the token.
    """
    return await read_token(
        conn,
        _GET_TOKEN,
        provider_id,
        box,
        entity="provider",
        token="auth token",
        get=get_provider_config,
        name="name",
    )


# -- model assignments -------------------------------------------------------------------------


async def create_model_assignment(
    conn: AsyncConnection[Any], data: ModelAssignmentCreate
) -> ModelAssignment:
    """Insert a routing rule.

    A second rule for the same (scope, scope_value) — a second global rule included — is a
    Conflict naming the key; an unknown provider is NotFound naming its id.
    """
    return await insert(conn, _CREATE_ASSIGNMENT, _ASSIGNMENT_ROW, data, entity="model assignment")


async def get_model_assignment(
    conn: AsyncConnection[Any], assignment_id: uuid.UUID
) -> ModelAssignment | None:
    """One routing rule by id, or None."""
    return await queries.fetch_one(conn, _GET_ASSIGNMENT, _ASSIGNMENT_ROW, id=assignment_id)


async def list_model_assignments(
    conn: AsyncConnection[Any],
    *,
    scope: AssignmentScope | None = None,
    provider_config_id: uuid.UUID | None = None,
) -> list[ModelAssignment]:
    """Routing rules (of one scope, or pointing at one provider), most specific first."""
    return await queries.fetch_all(
        conn,
        _LIST_ASSIGNMENTS,
        _ASSIGNMENT_ROW,
        scope=optional_enum_arg("scope", AssignmentScope, scope),
        provider_config_id=provider_config_id,
    )


async def resolve_model_assignment(
    conn: AsyncConnection[Any],
    *,
    agent_slug: str | None = None,
    role: AgentRole | None = None,
    complexity: Complexity | None = None,
) -> ModelAssignment | None:
    """The rule a spawn of this agent uses: its slug's, else its role's at the task's
    complexity, else its role's, else the global one.

    None when no rule applies (RoboCo then falls back to its built-in role -> model map).
    """
    return await queries.fetch_one(
        conn,
        _RESOLVE_ASSIGNMENT,
        _ASSIGNMENT_ROW,
        agent_slug=agent_slug,
        role=optional_enum_arg("role", AgentRole, role),
        complexity=optional_enum_arg("complexity", Complexity, complexity),
    )


async def get_model_assignment_by_key(
    conn: AsyncConnection[Any], scope: AssignmentScope, scope_value: str | None
) -> ModelAssignment | None:
    """The rule of exactly this (scope, scope_value) (None value: the global rule), or None."""
    return await queries.fetch_one(
        conn,
        _GET_ASSIGNMENT_BY_KEY,
        _ASSIGNMENT_ROW,
        scope=enum_arg("scope", AssignmentScope, scope),
        scope_value=scope_value,
    )


async def upsert_model_assignment(
    conn: AsyncConnection[Any], data: ModelAssignmentCreate
) -> ModelAssignment:
    """Insert the rule, or re-point the existing rule of its (scope, scope_value), in one
    statement (two racing upserts of a key leave one rule). Unknown provider: NotFound."""
    return await insert(conn, _UPSERT_ASSIGNMENT, _ASSIGNMENT_ROW, data, entity="model assignment")


async def clear_mode_assignments(conn: AsyncConnection[Any]) -> int:
    """Drop the global and plain role rules before a provider mode switch writes its own
    (agent pins and role-at-complexity rules stay); how many went."""
    return await queries.execute_rows(conn, _CLEAR_MODE_ASSIGNMENTS)


async def update_model_assignment(
    conn: AsyncConnection[Any], assignment_id: uuid.UUID, patch: ModelAssignmentUpdate
) -> ModelAssignment:
    """Re-point a rule at another provider and/or model; NotFound for no rule or no provider."""
    changes = patch.changes()
    return await existing(
        conn,
        _UPDATE_ASSIGNMENT,
        _ASSIGNMENT_ROW,
        "model assignment",
        assignment_id,
        id=assignment_id,
        **patch_params(changes, ("provider_config_id", "model_name")),
    )


async def delete_model_assignment(conn: AsyncConnection[Any], assignment_id: uuid.UUID) -> None:
    """Drop a routing rule; NotFound if there is no such rule."""
    await removed(conn, _DELETE_ASSIGNMENT, "model assignment", assignment_id, id=assignment_id)
