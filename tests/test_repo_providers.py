"""roboco_sql.repos.providers against a real database: providers, tokens and routing rules."""

from __future__ import annotations

import uuid
from typing import Any

import pydantic
import pytest
from cryptography.fernet import Fernet
from psycopg import AsyncConnection
from pydantic import SecretStr

from roboco_sql.crypto import SecretBox
from roboco_sql.errors import Conflict, EncryptionError, NotFound
from roboco_sql.models import ModelAssignment
from roboco_sql.models.enums import AgentRole, AssignmentScope, ModelProvider
from roboco_sql.models.provider import (
    ModelAssignmentCreate,
    ModelAssignmentUpdate,
    ProviderConfig,
    ProviderConfigCreate,
    ProviderConfigUpdate,
)
from roboco_sql.repos import providers
from tests.fix_conn import count

Conn = AsyncConnection[Any]
KEY = "sk-" + "0123456789abcdef" * 3
# seeded by the chain at 093, in name order; 083, 085/086 and 091 add the enabled three
SEEDED_ON = ["Anthropic (default)", "Codex (OpenAI)", "Gemini (Google)", "Kimi (Moonshot)"]
SEEDED_OFF = ["Grok (xAI)", "Ollama Cloud", "Self-Hosted (Ollama)"]
SEEDED = sorted(SEEDED_ON + SEEDED_OFF)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key().decode())


async def seeded(conn: Conn, name: str) -> ProviderConfig:
    provider = await providers.get_provider_config_by_name(conn, name)
    assert provider is not None
    return provider


async def stored_ciphertext(conn: Conn, provider_id: uuid.UUID) -> str | None:
    cur = await conn.execute(
        "SELECT auth_token_encrypted FROM provider_configs WHERE id = %s", (provider_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


# -- providers ---------------------------------------------------------------------------------


async def test_seeded_providers_list_and_get(conn: Conn) -> None:
    everything = await providers.list_provider_configs(conn)
    assert [p.name for p in everything] == SEEDED
    assert all(not p.has_auth_token for p in everything)
    enabled = await providers.list_provider_configs(conn, enabled=True)
    assert [p.name for p in enabled] == SEEDED_ON
    disabled = await providers.list_provider_configs(conn, enabled=False)
    assert [p.name for p in disabled] == SEEDED_OFF

    ollama = await seeded(conn, "Ollama Cloud")
    assert ollama.type is ModelProvider.OLLAMA_CLOUD
    assert ollama.base_url == "https://ollama.com"
    assert await providers.get_provider_config(conn, ollama.id) == ollama
    assert await providers.get_provider_config_by_type(conn, ModelProvider.OLLAMA_CLOUD) == ollama
    grok = await providers.get_provider_config_by_type(conn, ModelProvider.GROK)
    assert grok is not None
    assert grok.name == "Grok (xAI)"


async def without_openai(conn: Conn) -> None:
    """At 093 every provider type is seeded (083 seeds OpenAI's): make room for one."""
    await conn.execute("DELETE FROM provider_configs WHERE type = 'openai'")


async def test_get_missing_returns_none(conn: Conn) -> None:
    await without_openai(conn)
    assert await providers.get_provider_config(conn, uuid.uuid4()) is None
    assert await providers.get_provider_config_by_name(conn, "Nope") is None
    assert await providers.get_provider_config_by_type(conn, ModelProvider.OPENAI) is None


async def test_create_with_token(conn: Conn, box: SecretBox) -> None:
    await without_openai(conn)
    data = ProviderConfigCreate(
        name="OpenAI",
        type=ModelProvider.OPENAI,
        base_url="https://api.openai.com/v1",
        auth_token=SecretStr(KEY),
    )
    made = await providers.create_provider_config(conn, data, box=box)
    assert made.has_auth_token is True
    assert made.enabled is True
    assert KEY not in repr(made)
    assert "auth_token_encrypted" not in ProviderConfig.model_fields
    ciphertext = await stored_ciphertext(conn, made.id)
    assert ciphertext is not None
    assert KEY not in ciphertext
    assert ciphertext not in repr(made)
    assert await providers.get_provider_config_by_type(conn, ModelProvider.OPENAI) == made
    token = await providers.read_auth_token(conn, made.id, box=box)
    assert token is not None
    assert token.get_secret_value() == KEY


async def test_create_errors(conn: Conn) -> None:
    with pytest.raises(Conflict, match=r"provider with name=Ollama Cloud already exists"):
        await providers.create_provider_config(
            conn, ProviderConfigCreate(name="Ollama Cloud", type=ModelProvider.OLLAMA_CLOUD)
        )
    await conn.rollback()
    before = await count(conn, "provider_configs")
    for bad in ({"name": ""}, {"type": "mistral"}, {"api_key": "x"}):
        fields: dict[str, Any] = {"name": "X", "type": "openai", **bad}
        with pytest.raises(pydantic.ValidationError):
            await providers.create_provider_config(
                conn, ProviderConfigCreate.model_validate(fields)
            )
    assert await count(conn, "provider_configs") == before


async def test_update_fields(conn: Conn) -> None:
    local = await seeded(conn, "Self-Hosted (Ollama)")
    updated = await providers.update_provider_config(
        conn,
        local.id,
        ProviderConfigUpdate(base_url="http://gpu-box:11434", enabled=True),
    )
    assert updated.base_url == "http://gpu-box:11434"
    assert updated.enabled is True
    assert updated.name == local.name
    assert updated.updated_at is not None
    back = await providers.update_provider_config(
        conn, local.id, ProviderConfigUpdate(base_url=None)
    )
    assert back.base_url is None
    assert back.enabled is True  # not given: kept
    assert await providers.get_provider_config(conn, local.id) == back


async def test_update_token_keep_set_clear(conn: Conn, box: SecretBox) -> None:
    grok = await seeded(conn, "Grok (xAI)")
    set_ = await providers.update_provider_config(
        conn, grok.id, ProviderConfigUpdate(auth_token=SecretStr(KEY)), box=box
    )
    assert set_.has_auth_token is True
    first = await stored_ciphertext(conn, grok.id)
    assert first is not None
    assert KEY not in first

    kept = await providers.update_provider_config(conn, grok.id, ProviderConfigUpdate(enabled=True))
    assert kept.has_auth_token is True
    assert await stored_ciphertext(conn, grok.id) == first
    token = await providers.read_auth_token(conn, grok.id, box=box)
    assert token is not None
    assert token.get_secret_value() == KEY

    cleared = await providers.update_provider_config(
        conn, grok.id, ProviderConfigUpdate.model_validate({"auth_token": ""})
    )
    assert cleared.has_auth_token is False
    assert await stored_ciphertext(conn, grok.id) is None
    assert await providers.read_auth_token(conn, grok.id, box=box) is None


async def test_read_token_with_the_wrong_key_names_the_provider(conn: Conn, box: SecretBox) -> None:
    ollama = await seeded(conn, "Ollama Cloud")
    await providers.update_provider_config(
        conn, ollama.id, ProviderConfigUpdate(auth_token=SecretStr(KEY)), box=box
    )
    other = SecretBox(Fernet.generate_key().decode())
    with pytest.raises(EncryptionError, match="cannot decrypt provider 'Ollama Cloud' auth token"):
        await providers.read_auth_token(conn, ollama.id, box=other)


async def test_set_token_without_a_key_changes_nothing(
    conn: Conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROBOCO_ENCRYPTION_KEY", raising=False)
    ollama = await seeded(conn, "Ollama Cloud")
    with pytest.raises(EncryptionError, match="ROBOCO_ENCRYPTION_KEY is not set"):
        await providers.update_provider_config(
            conn, ollama.id, ProviderConfigUpdate(auth_token=SecretStr(KEY), enabled=True)
        )
    assert await providers.get_provider_config(conn, ollama.id) == ollama


async def test_update_and_read_missing_provider(conn: Conn, box: SecretBox) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"provider {missing} not found"):
        await providers.update_provider_config(conn, missing, ProviderConfigUpdate(enabled=True))
    with pytest.raises(NotFound, match=f"provider {missing} not found"):
        await providers.read_auth_token(conn, missing, box=box)
    with pytest.raises(pydantic.ValidationError, match="NOT NULL"):
        ProviderConfigUpdate(enabled=None)


async def test_rename_to_a_taken_name_is_a_conflict(conn: Conn) -> None:
    grok = await seeded(conn, "Grok (xAI)")
    with pytest.raises(Conflict, match="provider with name=Ollama Cloud already exists"):
        await providers.update_provider_config(
            conn, grok.id, ProviderConfigUpdate(name="Ollama Cloud")
        )


def test_update_statement_covers_every_patch_field() -> None:
    assert set(ProviderConfigUpdate.model_fields) - {"auth_token"} == set(providers._UPDATABLE)


# -- model assignments -------------------------------------------------------------------------


async def make_rule(
    conn: Conn, scope: AssignmentScope, value: str | None, provider_id: uuid.UUID, model: str
) -> ModelAssignment:
    """A routing rule made through the repository."""
    return await providers.create_model_assignment(
        conn,
        ModelAssignmentCreate(
            scope=scope, scope_value=value, provider_config_id=provider_id, model_name=model
        ),
    )


async def test_assignments_create_get_list(conn: Conn) -> None:
    anthropic = await seeded(conn, "Anthropic (default)")
    ollama = await seeded(conn, "Ollama Cloud")
    glob = await make_rule(conn, AssignmentScope.GLOBAL, None, anthropic.id, "claude-sonnet")
    role = await make_rule(conn, AssignmentScope.ROLE, "developer", ollama.id, "qwen3-coder:cloud")
    slug = await make_rule(
        conn, AssignmentScope.AGENT_SLUG, "be-dev-1", anthropic.id, "claude-opus"
    )
    assert glob.scope_value is None
    assert await providers.get_model_assignment(conn, role.id) == role
    assert await providers.get_model_assignment(conn, uuid.uuid4()) is None
    assert await providers.list_model_assignments(conn) == [slug, role, glob]
    assert await providers.list_model_assignments(conn, scope=AssignmentScope.ROLE) == [role]
    assert await providers.list_model_assignments(conn, provider_config_id=anthropic.id) == [
        slug,
        glob,
    ]


async def test_resolve_precedence(conn: Conn) -> None:
    anthropic = await seeded(conn, "Anthropic (default)")

    async def rule(scope: AssignmentScope, value: str | None, model: str) -> None:
        await make_rule(conn, scope, value, anthropic.id, model)

    async def model_for(slug: str, role: AgentRole) -> str | None:
        found = await providers.resolve_model_assignment(conn, agent_slug=slug, role=role)
        return found.model_name if found is not None else None

    assert await model_for("be-dev-1", AgentRole.DEVELOPER) is None
    await rule(AssignmentScope.GLOBAL, None, "m-global")
    assert await model_for("be-dev-1", AgentRole.DEVELOPER) == "m-global"
    await rule(AssignmentScope.ROLE, "developer", "m-dev")
    assert await model_for("be-dev-1", AgentRole.DEVELOPER) == "m-dev"
    assert await model_for("be-qa", AgentRole.QA) == "m-global"
    await rule(AssignmentScope.AGENT_SLUG, "be-dev-1", "m-be-dev-1")
    assert await model_for("be-dev-1", AgentRole.DEVELOPER) == "m-be-dev-1"
    assert await model_for("be-dev-2", AgentRole.DEVELOPER) == "m-dev"
    # a slug rule never matches by role value, nor a role rule by slug
    assert await model_for("developer", AgentRole.QA) == "m-global"
    only_global = await providers.resolve_model_assignment(conn)
    assert only_global is not None
    assert only_global.model_name == "m-global"


async def test_one_rule_per_scope_key(conn: Conn) -> None:
    anthropic = await seeded(conn, "Anthropic (default)")

    def global_rule() -> ModelAssignmentCreate:
        return ModelAssignmentCreate(
            scope=AssignmentScope.GLOBAL, provider_config_id=anthropic.id, model_name="m"
        )

    await providers.create_model_assignment(conn, global_rule())
    with pytest.raises(
        Conflict, match="model assignment with scope, scope_value=global, null already exists"
    ):
        async with conn.transaction():
            await providers.create_model_assignment(conn, global_rule())
    role_rule = ModelAssignmentCreate(
        scope=AssignmentScope.ROLE,
        scope_value="qa",
        provider_config_id=anthropic.id,
        model_name="m",
    )
    await providers.create_model_assignment(conn, role_rule)
    with pytest.raises(Conflict, match="scope, scope_value=role, qa already exists"):
        await providers.create_model_assignment(
            conn, role_rule.model_copy(update={"id": uuid.uuid4()})
        )


async def test_assignment_to_a_missing_provider_is_not_found(conn: Conn) -> None:
    ghost = uuid.uuid4()
    with pytest.raises(
        NotFound, match=f"model assignment: no provider_configs row with provider_config_id={ghost}"
    ):
        await make_rule(conn, AssignmentScope.GLOBAL, None, ghost, "m")


async def test_invalid_assignment_is_refused_before_sql(conn: Conn) -> None:
    anthropic = await seeded(conn, "Anthropic (default)")
    for bad in (
        {"scope": "global", "scope_value": "x"},
        {"scope": "role"},
        {"scope": "role", "scope_value": "wizard"},
        {"scope": "agent_slug", "scope_value": "Be Dev"},
        {"scope": "global", "model_name": ""},
    ):
        fields: dict[str, Any] = {"provider_config_id": anthropic.id, "model_name": "m", **bad}
        with pytest.raises(pydantic.ValidationError):
            await providers.create_model_assignment(
                conn, ModelAssignmentCreate.model_validate(fields)
            )
    assert await count(conn, "model_assignments") == 0


async def test_update_and_delete_assignment(conn: Conn) -> None:
    anthropic = await seeded(conn, "Anthropic (default)")
    ollama = await seeded(conn, "Ollama Cloud")
    rule = await make_rule(conn, AssignmentScope.ROLE, "qa", anthropic.id, "claude-haiku")
    moved = await providers.update_model_assignment(
        conn, rule.id, ModelAssignmentUpdate(provider_config_id=ollama.id)
    )
    assert moved.provider_config_id == ollama.id
    assert moved.model_name == "claude-haiku"
    assert moved.updated_at is not None
    renamed = await providers.update_model_assignment(
        conn, rule.id, ModelAssignmentUpdate(model_name="gpt-oss:cloud")
    )
    assert renamed.provider_config_id == ollama.id
    assert renamed.model_name == "gpt-oss:cloud"
    assert (renamed.scope, renamed.scope_value) == (AssignmentScope.ROLE, "qa")

    await providers.delete_model_assignment(conn, rule.id)
    assert await providers.get_model_assignment(conn, rule.id) is None
    with pytest.raises(NotFound, match=f"model assignment {rule.id} not found"):
        await providers.delete_model_assignment(conn, rule.id)
    with pytest.raises(NotFound, match=f"model assignment {rule.id} not found"):
        await providers.update_model_assignment(
            conn, rule.id, ModelAssignmentUpdate(model_name="x")
        )


async def test_update_assignment_to_a_missing_provider(conn: Conn) -> None:
    anthropic = await seeded(conn, "Anthropic (default)")
    rule = await make_rule(conn, AssignmentScope.GLOBAL, None, anthropic.id, "m")
    ghost = uuid.uuid4()
    with pytest.raises(NotFound, match=f"no provider_configs row with provider_config_id={ghost}"):
        await providers.update_model_assignment(
            conn, rule.id, ModelAssignmentUpdate(provider_config_id=ghost)
        )
