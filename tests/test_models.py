"""Pure tests of roboco_sql.models: agreement with the head catalog, and RoboCo's input rules.

No database: the head schema comes from the reference catalog copied into tests/fixtures.
"""

from __future__ import annotations

import datetime as dt
import gzip
import inspect
import json
import types
import typing
import uuid
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, SecretStr, ValidationError

from roboco_sql import models
from roboco_sql.models import (
    CELL_TEAMS,
    COMPANY_GOALS_ID,
    ENTITY_MODELS,
    MESSAGING_MODELS,
    PG_ENUMS,
    A2AConversationCreate,
    Agent,
    AgentCreate,
    AgentUpdate,
    ChannelCreate,
    GroupCreate,
    IndexedDocumentCreate,
    Input,
    JournalEntryCreate,
    JournalEntryType,
    MessageCreate,
    ModelAssignmentCreate,
    NotificationCreate,
    Patch,
    PitchCreate,
    PitchDecision,
    ProductCellMapping,
    ProductCreate,
    Project,
    ProjectCreate,
    ProjectUpdate,
    ProviderConfig,
    ProviderConfigCreate,
    ProviderConfigUpdate,
    Row,
    SecretaryDirectiveCreate,
    SecretaryDirectiveResolution,
    SecretChange,
    SessionCreate,
    SystemSettingWrite,
    Task,
    TaskCreate,
    TaskStatus,
    TaskUpdate,
    Team,
)
from tests.fix_inputs import payloads

CATALOG_PATH = Path(__file__).parent / "fixtures" / "roboco-catalog.json.gz"
HEAD = "093_playbook_source_program"
BEFORE_060 = "059_x_credentials"  # the messaging tables and enums, dropped by 060


@cache
def head() -> dict[str, Any]:
    """The catalog at head, plus what 060 dropped as it was at 059 (the messaging models
    serve databases pinned below 060)."""
    with gzip.open(CATALOG_PATH, "rt", encoding="utf-8") as fh:
        catalogs = json.load(fh)["catalogs"]
    catalog: dict[str, Any] = catalogs[HEAD]
    for kind in ("tables", "enums"):
        catalog[kind] = {**catalogs[BEFORE_060][kind], **catalog[kind]}
    return catalog


def columns(table: str) -> dict[str, dict[str, Any]]:
    cols: dict[str, dict[str, Any]] = head()["tables"][table]["columns"]
    return cols


def field_by_column(model: type[BaseModel]) -> dict[str, str]:
    """Column name -> field name, honouring aliases (``agents.model_config``)."""
    return {(info.alias or name): name for name, info in model.model_fields.items()}


def split_optional(annotation: Any) -> tuple[Any, bool]:
    """(annotation without ``None``, whether ``None`` was allowed)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        rest = [arg for arg in args if arg is not type(None)]
        optional = len(rest) != len(args)
        inner = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
        return inner, optional
    return annotation, False


def strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def max_length_of(model: type[BaseModel], name: str) -> int | None:
    info = model.model_fields[name]
    metadata = list(info.metadata)
    inner, _ = split_optional(info.annotation)
    if typing.get_origin(inner) is typing.Annotated:
        metadata.extend(typing.get_args(inner)[1:])
    for item in metadata:
        limit = getattr(item, "max_length", None)
        if limit is not None:
            return int(limit)
    return None


def varchar_width(pg_type: str) -> int | None:
    if pg_type.startswith("character varying(") and pg_type.endswith(")"):
        return int(pg_type[len("character varying(") : -1])
    return None


def all_input_models() -> list[type[Input]]:
    found = {
        obj
        for obj in vars(models).values()
        if inspect.isclass(obj) and issubclass(obj, Input) and obj not in (Input, Patch)
    }
    return sorted(found, key=lambda cls: cls.__name__)


INPUT_MODELS = all_input_models()

# Input fields that are deliberately not columns of their table.
NON_COLUMN_INPUTS = {
    ("ProjectCreate", "git_token"),
    ("ProjectUpdate", "git_token"),
    ("ProviderConfigCreate", "auth_token"),
    ("ProviderConfigUpdate", "auth_token"),
    ("ProductCreate", "cells"),
    ("ProductUpdate", "cells"),
    # one element of board_program_cycles.decisions (json), not columns
    ("BoardDecision", "item_ref"),
    ("BoardDecision", "verdict"),
    ("BoardDecision", "reason"),
    ("BoardDecision", "item_snapshot"),
}

# Optional inputs of NOT NULL columns that the repository fills when None is given.
FILLED_WHEN_NONE = {
    ("PlaybookCreate", "slug"),  # made from the title
    ("AgentSpawnSessionEnd", "turns"),  # None keeps the stored count (default 0)
    ("AgentSpawnSessionEnd", "tool_calls"),
}


# --- enums -----------------------------------------------------------------------------------


def test_every_pg_enum_is_modelled() -> None:
    assert set(PG_ENUMS) == set(head()["enums"])
    assert len(PG_ENUMS) == 23


@pytest.mark.parametrize("pg_name", sorted(PG_ENUMS))
def test_enum_labels_match_head_in_order(pg_name: str) -> None:
    cls = PG_ENUMS[pg_name]
    assert issubclass(cls, StrEnum)
    assert [member.value for member in cls] == head()["enums"][pg_name]
    assert [member.name for member in cls] == [label.upper() for label in cls]


def test_cells_are_the_three_delivery_teams() -> None:
    assert {Team.BACKEND, Team.FRONTEND, Team.UX_UI} == CELL_TEAMS


# --- entity models agree with the head schema ------------------------------------------------


def test_one_entity_model_per_table() -> None:
    tables = [model.__table__ for model in ENTITY_MODELS]
    assert len(tables) == len(set(tables)) == 46  # RoboCo's tables at 093
    messaging = {model.__table__ for model in MESSAGING_MODELS}  # dropped by 060
    assert set(tables) | messaging == set(head()["tables"])
    assert all(issubclass(model, Row) for model in ENTITY_MODELS)


def expected_fields(model: type[Row]) -> dict[str, bool]:
    """Expected column-or-alias name -> nullable, with secrets swapped for their booleans."""
    out = {name: not col["notnull"] for name, col in columns(model.__table__).items()}
    for secret, flag in model.__secret_columns__.items():
        assert secret in out, f"{model.__name__}: {secret} is not a column"
        del out[secret]
        out[flag] = False
    return out


@pytest.mark.parametrize("model", ENTITY_MODELS, ids=lambda m: m.__table__)
def test_entity_fields_are_the_columns(model: type[Row]) -> None:
    expected = expected_fields(model)
    by_column = field_by_column(model)
    assert set(by_column) == set(expected)
    for column, nullable in expected.items():
        info = model.model_fields[by_column[column]]
        _, optional = split_optional(info.annotation)
        assert optional is nullable, f"{model.__table__}.{column}: nullable={nullable}"
        assert info.is_required(), f"{model.__table__}.{column} must not have a default"


def test_secrets_are_never_fields() -> None:
    assert Project.__secret_columns__ == {"git_token_encrypted": "has_git_token"}
    assert ProviderConfig.__secret_columns__ == {"auth_token_encrypted": "has_auth_token"}
    plaintext_inputs = {"git_token", "auth_token"}
    for model in (*ENTITY_MODELS, *INPUT_MODELS):
        for name, info in model.model_fields.items():
            assert "encrypted" not in name, f"{model.__name__}.{name}"
            if name in plaintext_inputs:
                assert split_optional(info.annotation) == (SecretStr, True), model.__name__


def python_type_ok(pg_type: str, annotation: Any) -> bool:
    annotation = strip_annotated(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if pg_type in PG_ENUMS:
        return annotation is PG_ENUMS[pg_type]
    if pg_type == "uuid":
        return annotation is uuid.UUID
    if pg_type == "text" or varchar_width(pg_type) is not None:
        return annotation is str
    if pg_type in ("integer", "bigint"):
        return annotation is int
    if pg_type == "boolean":
        return annotation is bool
    if pg_type == "double precision":
        return annotation is float
    if pg_type == "timestamp with time zone":
        return annotation is AwareDatetime
    if pg_type == "date":
        return annotation is dt.date
    if pg_type == "interval":
        return annotation is dt.timedelta
    if pg_type == "uuid[]":
        return origin is list and args == (uuid.UUID,)
    if pg_type == "character varying[]":
        return origin is list and args == (str,)
    if pg_type in ("json", "jsonb"):
        return origin in (dict, list)
    return False


@pytest.mark.parametrize("model", ENTITY_MODELS, ids=lambda m: m.__table__)
def test_entity_field_types_fit_column_types(model: type[Row]) -> None:
    by_column = field_by_column(model)
    for column, spec in columns(model.__table__).items():
        if column in model.__secret_columns__:
            continue
        inner, _ = split_optional(model.model_fields[by_column[column]].annotation)
        assert python_type_ok(spec["type"], inner), f"{model.__table__}.{column}: {spec['type']}"
    for flag in model.__secret_columns__.values():
        assert model.model_fields[flag].annotation is bool


def sample(pg_type: str, annotation: Any) -> Any:
    inner = strip_annotated(split_optional(annotation)[0])
    if pg_type in PG_ENUMS:
        return head()["enums"][pg_type][0]
    if pg_type in ("json", "jsonb"):
        return {"k": [1, "two", None]} if typing.get_origin(inner) is dict else [{"k": 1}]
    if pg_type.endswith("[]"):
        return [uuid.uuid4()] if pg_type == "uuid[]" else ["a", "b"]
    values: dict[str, Any] = {
        "uuid": uuid.uuid4(),
        "text": "text",
        "integer": 3,
        "bigint": 2**40,
        "boolean": True,
        "double precision": 0.5,
        "timestamp with time zone": dt.datetime.now(dt.UTC),
        "date": dt.date(2026, 6, 22),
        "interval": dt.timedelta(minutes=30),
    }
    return values.get(pg_type, "varchar")


def sample_row(model: type[Row], *, nulls: bool) -> dict[str, Any]:
    by_column = field_by_column(model)
    row: dict[str, Any] = {}
    for column, spec in columns(model.__table__).items():
        if column in model.__secret_columns__:
            row[model.__secret_columns__[column]] = True
        elif nulls and not spec["notnull"]:
            row[column] = None
        else:
            row[column] = sample(spec["type"], model.model_fields[by_column[column]].annotation)
    return row


@pytest.mark.parametrize("nulls", [False, True], ids=["filled", "nulls"])
@pytest.mark.parametrize("model", ENTITY_MODELS, ids=lambda m: m.__table__)
def test_entity_loads_a_row_and_is_frozen(model: type[Row], nulls: bool) -> None:
    row = sample_row(model, nulls=nulls)
    loaded = model.model_validate(row)
    assert loaded.model_dump(by_alias=True).keys() == row.keys()
    first = next(iter(model.model_fields))
    with pytest.raises(ValidationError):
        setattr(loaded, first, None)
    with pytest.raises(ValidationError, match="extra"):
        model.model_validate({**row, "not_a_column": 1})


@pytest.mark.parametrize("model", ENTITY_MODELS, ids=lambda m: m.__table__)
def test_entity_rejects_a_missing_column(model: type[Row]) -> None:
    row = sample_row(model, nulls=True)
    row.pop(next(iter(row)))
    with pytest.raises(ValidationError, match="missing"):
        model.model_validate(row)


def test_entity_timestamps_must_be_aware() -> None:
    row = sample_row(Task, nulls=True)
    row["created_at"] = dt.datetime(2026, 1, 1)
    with pytest.raises(ValidationError, match="timezone"):
        Task.model_validate(row)


def test_entity_refuses_the_secret_column() -> None:
    row = sample_row(Project, nulls=True)
    with pytest.raises(ValidationError):
        Project.model_validate({**row, "git_token_encrypted": "gAAAA..."})
    row = sample_row(ProviderConfig, nulls=True)
    with pytest.raises(ValidationError):
        ProviderConfig.model_validate({**row, "auth_token_encrypted": "gAAAA..."})


def test_task_rows_load_whatever_their_scope() -> None:
    both = {**sample_row(Task, nulls=False)}
    neither = {**sample_row(Task, nulls=True)}
    assert Task.model_validate(both).project_id is not None
    assert Task.model_validate(neither).product_id is None


def test_agent_model_config_column_is_aliased() -> None:
    row = sample_row(Agent, nulls=True)
    agent = Agent.model_validate(row)
    assert agent.llm_config == row["model_config"]
    assert "model_config" in agent.model_dump(by_alias=True)


# --- input models agree with the head schema -------------------------------------------------


@pytest.mark.parametrize("model", INPUT_MODELS, ids=lambda m: m.__name__)
def test_input_fields_are_columns_of_their_table(model: type[Input]) -> None:
    cols = columns(model.__table__)
    by_column = field_by_column(model)
    for column, name in by_column.items():
        if (model.__name__, name) in NON_COLUMN_INPUTS:
            continue
        assert column in cols, f"{model.__name__}.{name} is not a {model.__table__} column"
        spec = cols[column]
        inner, optional = split_optional(model.model_fields[name].annotation)
        filled = (model.__name__, name) in FILLED_WHEN_NONE
        if optional and not issubclass(model, Patch) and name != "content_length" and not filled:
            assert not spec["notnull"], f"{model.__name__}.{name} may be None; column is NOT NULL"
        width = varchar_width(spec["type"])
        if width is not None and strip_annotated(inner) is str:
            assert max_length_of(model, name) == width, f"{model.__name__}.{name}: varchar({width})"


@pytest.mark.parametrize(
    "model", [m for m in INPUT_MODELS if issubclass(m, Patch)], ids=lambda m: m.__name__
)
def test_patch_nulls_only_nullable_columns(model: type[Patch]) -> None:
    cols = columns(model.__table__)
    by_name = {name: column for column, name in field_by_column(model).items()}
    for name in model.__nullable__:
        assert not cols[by_name[name]]["notnull"], f"{model.__name__}.{name}"
    for name, info in model.model_fields.items():
        column = by_name[name]
        if column in cols and not cols[column]["notnull"] and split_optional(info.annotation)[1]:
            assert name in model.__nullable__, f"{model.__name__}.{name} cannot be cleared"


@pytest.mark.parametrize("model", INPUT_MODELS, ids=lambda m: m.__name__)
def test_inputs_refuse_unknown_fields(model: type[Input]) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"surely_not_a_field": 1})
    assert "extra_forbidden" in {error["type"] for error in caught.value.errors()}


# --- tasks -----------------------------------------------------------------------------------


def task_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "title": "Add the health endpoint",
        "description": "Expose GET /health returning the pool state.",
        "acceptance_criteria": ["returns 200 when the pool is up"],
        "task_type": "code",
        "nature": "technical",
        "estimated_complexity": "low",
        "team": "backend",
        "created_by": uuid.uuid4(),
        "project_id": uuid.uuid4(),
    }
    payload.update(overrides)
    return payload


def test_task_create_accepts_a_complete_payload() -> None:
    task = TaskCreate.model_validate(task_payload())
    assert task.status is TaskStatus.PENDING
    assert task.priority == 2
    assert task.source == "manual"
    assert task.confirmed_by_human is False
    assert task.created_at.tzinfo is not None
    assert len(task.acceptance_criteria_ids) == 1
    assert task.id != TaskCreate.model_validate(task_payload()).id


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"description": "too short"},
        {"acceptance_criteria": []},
        {"priority": -1},
        {"priority": 4},
        {"team": "nowhere"},
        {"status": "quarantined"},
        {"acceptance_criteria_ids": ["a", "b"]},
        {"target_date": dt.datetime(2026, 1, 1)},
    ],
    ids=lambda o: next(iter(o)),
)
def test_task_create_rejects_bad_values(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        TaskCreate.model_validate(task_payload(**overrides))


@pytest.mark.parametrize("missing", ["task_type", "nature", "estimated_complexity", "team"])
def test_task_create_has_no_silent_defaults(missing: str) -> None:
    payload = task_payload()
    del payload[missing]
    with pytest.raises(ValidationError, match=missing):
        TaskCreate.model_validate(payload)


def test_task_create_edges_of_the_limits() -> None:
    TaskCreate.model_validate(task_payload(title="x" * 200, description="d" * 20, priority=0))
    TaskCreate.model_validate(task_payload(priority=3))


def test_task_create_keeps_given_criteria_ids() -> None:
    task = TaskCreate.model_validate(
        task_payload(acceptance_criteria=["a", "b"], acceptance_criteria_ids=["i1", "i2"])
    )
    assert task.acceptance_criteria_ids == ["i1", "i2"]


def test_task_scope_product_only_is_fine() -> None:
    task = TaskCreate.model_validate(task_payload(project_id=None, product_id=uuid.uuid4()))
    assert task.project_id is None


@pytest.mark.parametrize("scope", ["both", "neither"])
def test_task_create_scope_is_exactly_one(scope: str) -> None:
    ids = (uuid.uuid4(), uuid.uuid4()) if scope == "both" else (None, None)
    with pytest.raises(ValidationError, match="exactly one"):
        TaskCreate.model_validate(task_payload(project_id=ids[0], product_id=ids[1]))


def test_task_update_scope_rules() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        TaskUpdate(project_id=uuid.uuid4(), product_id=uuid.uuid4())
    with pytest.raises(ValidationError, match="exactly one"):
        TaskUpdate(project_id=None)
    product = uuid.uuid4()
    moved = TaskUpdate(product_id=product)
    assert moved.changes() == {"project_id": None, "product_id": product}
    assert TaskUpdate(title="New title").changes() == {"title": "New title"}


def test_task_update_partial_semantics() -> None:
    assert TaskUpdate(assigned_to=None).changes() == {"assigned_to": None}
    assert TaskUpdate().changes() == {}
    with pytest.raises(ValidationError, match="NOT NULL"):
        TaskUpdate(title=None)
    bad_updates: list[dict[str, Any]] = [
        {"title": ""},
        {"priority": 9},
        {"acceptance_criteria": []},
    ]
    for bad in bad_updates:
        with pytest.raises(ValidationError):
            TaskUpdate.model_validate(bad)
    with pytest.raises(ValidationError, match="extra"):
        TaskUpdate.model_validate({"status": "completed"})


# --- projects and tokens ---------------------------------------------------------------------


VALID_PROJECT = {
    "name": "RoboCo",
    "slug": "roboco-panel",
    "git_url": "https://github.com/example/roboco.git",
    "assigned_cell": "backend",
}
project_payload = payloads(VALID_PROJECT, "created_by")


def test_project_create_defaults() -> None:
    project = ProjectCreate.model_validate(project_payload())
    assert project.default_branch == "master"
    assert project.protected_branches == ["main", "master"]
    assert project.is_active is True
    assert project.git_token is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"slug": "RoboCo"},
        {"slug": "robo_co"},
        {"slug": ""},
        {"slug": "x" * 51},
        {"name": ""},
        {"name": "n" * 101},
        {"assigned_cell": "moon"},
        {"git_url": "u" * 501},
    ],
    ids=lambda o: f"{next(iter(o))}",
)
def test_project_create_rejects_bad_values(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ProjectCreate.model_validate(project_payload(**overrides))


def test_project_token_is_secret_on_input() -> None:
    project = ProjectCreate.model_validate(project_payload(git_token="ghp_secret"))
    assert isinstance(project.git_token, SecretStr)
    assert "ghp_secret" not in repr(project)
    assert "ghp_secret" not in str(project.model_dump())
    assert ProjectCreate.model_validate(project_payload(git_token="")).git_token is None


@pytest.mark.parametrize(
    ("payload", "change"),
    [
        ({}, SecretChange.KEEP),
        ({"git_token": None}, SecretChange.KEEP),
        ({"git_token": ""}, SecretChange.CLEAR),
        ({"git_token": "ghp_new"}, SecretChange.SET),
    ],
)
def test_project_update_token_semantics(payload: dict[str, Any], change: SecretChange) -> None:
    update = ProjectUpdate.model_validate({**payload, "name": "Renamed"})
    assert update.git_token_change() is change
    assert update.changes() == {"name": "Renamed"}


@pytest.mark.parametrize(
    ("payload", "change"),
    [
        ({}, SecretChange.KEEP),
        ({"auth_token": ""}, SecretChange.CLEAR),
        ({"auth_token": "sk-x"}, SecretChange.SET),
    ],
)
def test_provider_update_token_semantics(payload: dict[str, Any], change: SecretChange) -> None:
    update = ProviderConfigUpdate.model_validate(payload)
    assert update.auth_token_change() is change
    assert "auth_token" not in update.changes()


def test_provider_create_defaults() -> None:
    provider = ProviderConfigCreate.model_validate(
        {"name": "Grok (xAI)", "type": "grok", "auth_token": ""}
    )
    assert provider.enabled is True
    assert provider.auth_token is None


def test_project_update_clearing() -> None:
    assert ProjectUpdate(test_command=None).changes() == {"test_command": None}
    with pytest.raises(ValidationError, match="NOT NULL"):
        ProjectUpdate(git_url=None)


# --- agents ----------------------------------------------------------------------------------


def test_agent_create_rules() -> None:
    agent = AgentCreate.model_validate(
        {"name": "BE Dev 1", "slug": "be-dev-1", "role": "developer", "system_prompt": "You..."}
    )
    assert agent.status.value == "offline"
    assert agent.model_dump(by_alias=True)["model_config"] == {}
    configured = AgentCreate.model_validate(
        {
            "name": "QA",
            "slug": "be-qa",
            "role": "qa",
            "system_prompt": "p",
            "model_config": {"provider": "anthropic", "temperature": 2.0},
        }
    )
    dumped = configured.model_dump(by_alias=True, mode="json")["model_config"]
    assert dumped == {"provider": "anthropic", "temperature": 2.0}
    for bad in (
        {"slug": "BE_DEV"},
        {"name": ""},
        {"role": "janitor"},
        {"model_config": {"temperature": 2.5}},
        {"model_config": {"max_tokens": 0}},
        {"model_config": {"colour": "blue"}},
    ):
        with pytest.raises(ValidationError):
            AgentCreate.model_validate(
                {"name": "A", "slug": "a", "role": "qa", "system_prompt": "p", **bad}
            )


def test_agent_update_uses_column_names() -> None:
    update = AgentUpdate.model_validate({"model_config": {"name": "opus"}, "description": None})
    assert update.changes() == {"model_config": {"name": "opus"}, "description": None}


# --- messaging -------------------------------------------------------------------------------


def test_channel_and_group_rules() -> None:
    ChannelCreate.model_validate({"name": "#backend-cell", "slug": "backend-cell", "type": "cell"})
    for bad in ({"name": "Backend"}, {"slug": "#backend"}, {"max_message_length": 0}):
        with pytest.raises(ValidationError):
            ChannelCreate.model_validate({"name": "a", "slug": "a", "type": "cell", **bad})
    group = GroupCreate(name="General", channel_id=uuid.uuid4())
    assert group.hierarchy_level == 4
    for level in (-1, 5):
        with pytest.raises(ValidationError):
            GroupCreate(name="General", channel_id=uuid.uuid4(), hierarchy_level=level)


def test_session_limits() -> None:
    session = SessionCreate(group_id=uuid.uuid4())
    assert session.max_time_window == dt.timedelta(minutes=30)
    assert (session.max_message_count, session.timeout_seconds) == (100, 300)
    for bad in ({"timeout_seconds": -1}, {"max_message_count": 0}, {"max_content_length": 0}):
        with pytest.raises(ValidationError):
            SessionCreate.model_validate({"group_id": uuid.uuid4(), **bad})


def message_payload(**overrides: Any) -> dict[str, Any]:
    ids = {key: uuid.uuid4() for key in ("agent_id", "channel_id", "group_id", "session_id")}
    return {**ids, "type": "dialogue", "content": "héllo", **overrides}


def test_message_create() -> None:
    message = MessageCreate.model_validate(message_payload())
    assert message.content_length == 5
    assert message.confidence == 1.0
    assert MessageCreate.model_validate(message_payload(content_length=9)).content_length == 9
    for bad in ({"confidence": 1.5}, {"content_length": -1}, {"commit_ref": "f" * 41}):
        with pytest.raises(ValidationError):
            MessageCreate.model_validate(message_payload(**bad))


def test_notification_needs_recipients() -> None:
    base = {"type": "alert", "from_agent": uuid.uuid4(), "subject": "Heads up", "body": "b"}
    note = NotificationCreate.model_validate({**base, "to_agents": [uuid.uuid4()]})
    assert note.priority.value == "normal"
    assert note.requires_ack is True
    with pytest.raises(ValidationError, match="to_agents"):
        NotificationCreate.model_validate({**base, "to_agents": []})
    with pytest.raises(ValidationError, match="to_agents"):
        NotificationCreate.model_validate(base)
    for subject in ("", "s" * 201):
        with pytest.raises(ValidationError):
            NotificationCreate.model_validate(
                {**base, "to_agents": [uuid.uuid4()], "subject": subject}
            )


def test_journal_entry_sentiment_defaults() -> None:
    base = {"journal_id": uuid.uuid4(), "title": "Learned", "content": "c"}
    learning = JournalEntryCreate.model_validate({**base, "type": "learning"})
    assert learning.sentiment == "positive"
    struggle = JournalEntryCreate.model_validate({**base, "type": "struggle"})
    assert struggle.sentiment == "frustrated"
    general = JournalEntryCreate.model_validate({**base, "type": "general"})
    assert general.sentiment is None
    explicit = JournalEntryCreate.model_validate(
        {**base, "type": JournalEntryType.LEARNING, "sentiment": None}
    )
    assert explicit.sentiment is None
    for title in ("", "t" * 201):
        with pytest.raises(ValidationError):
            JournalEntryCreate.model_validate({**base, "type": "general", "title": title})


# --- products and pitches --------------------------------------------------------------------


def test_product_cells() -> None:
    project = uuid.uuid4()
    product = ProductCreate(
        name="RoboCo",
        slug="roboco",
        created_by=uuid.uuid4(),
        cells=[ProductCellMapping(team=Team.BACKEND, project_id=project)],
    )
    assert product.cells[0].team is Team.BACKEND
    with pytest.raises(ValidationError, match="cell"):
        ProductCellMapping(team=Team.BOARD, project_id=project)
    with pytest.raises(ValidationError, match="one project"):
        ProductCreate.model_validate(
            {
                "name": "RoboCo",
                "slug": "roboco",
                "created_by": uuid.uuid4(),
                "cells": [
                    {"team": "frontend", "project_id": project},
                    {"team": "frontend", "project_id": uuid.uuid4()},
                ],
            }
        )


VALID_PITCH = {
    "title": "Status page",
    "slug": "status-page",
    "problem": "Nobody knows when we are down.",
    "proposed_solution": "A public status page.",
    "target_cells": ["backend", "frontend"],
}
pitch_payload = payloads(VALID_PITCH, "created_by")


def test_pitch_create_rules() -> None:
    assert PitchCreate.model_validate(pitch_payload()).status.value == "proposed"
    bad_pitches: list[dict[str, Any]] = [
        {"target_cells": []},
        {"target_cells": ["backend", "board"]},
        {"problem": ""},
        {"proposed_solution": ""},
        {"slug": "Status Page"},
        {"title": ""},
    ]
    for bad in bad_pitches:
        with pytest.raises(ValidationError):
            PitchCreate.model_validate(pitch_payload(**bad))


def test_pitch_decision_leaves_proposed() -> None:
    PitchDecision.model_validate({"status": "rejected", "decided_by": uuid.uuid4()})
    with pytest.raises(ValidationError, match="proposed"):
        PitchDecision.model_validate({"status": "proposed", "decided_by": uuid.uuid4()})


# --- the rest --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "value", "ok"),
    [
        ("global", None, True),
        ("global", "developer", False),
        ("role", "developer", True),
        ("role", "janitor", False),
        ("role", None, False),
        ("agent_slug", "be-dev-1", True),
        ("agent_slug", "BE DEV", False),
    ],
)
def test_model_assignment_scope_value(scope: str, value: str | None, ok: bool) -> None:
    payload = {
        "scope": scope,
        "scope_value": value,
        "provider_config_id": uuid.uuid4(),
        "model_name": "claude-sonnet",
    }
    if ok:
        ModelAssignmentCreate.model_validate(payload)
    else:
        with pytest.raises(ValidationError):
            ModelAssignmentCreate.model_validate(payload)


def test_a2a_pair_is_ordered() -> None:
    convo = A2AConversationCreate(agent_a="qa-1", agent_b="be-dev-1")
    assert (convo.agent_a, convo.agent_b) == ("be-dev-1", "qa-1")
    with pytest.raises(ValidationError, match="itself"):
        A2AConversationCreate(agent_a="qa-1", agent_b="qa-1")


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("transcript_retention_days", "14", True),
        ("transcript_retention_days", "0", False),
        ("transcript_retention_days", "two", False),
        ("research_enabled", "true", True),
        ("research_enabled", "yes", False),
        ("made_up_setting", "1", False),
    ],
)
def test_system_setting_write(key: str, value: str, ok: bool) -> None:
    if ok:
        SystemSettingWrite(key=key, value=value)
    else:
        with pytest.raises(ValidationError):
            SystemSettingWrite(key=key, value=value)


def test_company_goals_singleton_id() -> None:
    assert str(COMPANY_GOALS_ID) == "00000000-0000-0000-0000-000000000000"


def test_secretary_directives() -> None:
    ceo = uuid.uuid4()
    relay = SecretaryDirectiveCreate.model_validate(
        {
            "kind": "relay_message",
            "payload": {"channel": "all-hands", "text": "hi"},
            "requested_by": ceo,
        }
    )
    assert not relay.gated
    charter = SecretaryDirectiveCreate.model_validate(
        {"kind": "update_charter", "payload": {"charter": {}}, "requested_by": ceo}
    )
    assert charter.gated
    with pytest.raises(ValidationError, match="action"):
        SecretaryDirectiveCreate.model_validate(
            {"kind": "control_task", "payload": {"task_id": "t"}, "requested_by": ceo}
        )
    with pytest.raises(ValidationError, match="pending"):
        SecretaryDirectiveResolution.model_validate({"status": "pending"})
    done = SecretaryDirectiveResolution.model_validate({"status": "executed", "result": "ok"})
    assert set(done.changes()) == {"status", "decided_at", "result"}


def test_indexed_document_hash() -> None:
    good = {"index_type": "journals", "source": "journal:be-dev-1", "source_hash": "a" * 64}
    IndexedDocumentCreate.model_validate(good)
    for bad in ({"source_hash": "A" * 64}, {"source_hash": "a" * 63}, {"index_type": "x"}):
        with pytest.raises(ValidationError):
            IndexedDocumentCreate.model_validate({**good, **bad})


def test_a_patch_names_the_columns_its_update_writes() -> None:
    """Patch.columns(): every field by its column name (alias), in order, secrets left out."""
    from roboco_sql.models import AgentUpdate, ProjectUpdate

    assert "git_token" not in ProjectUpdate.columns()
    assert ProjectUpdate.columns()[:2] == ("name", "git_url")
    assert "model_config" in AgentUpdate.columns() and "llm_config" not in AgentUpdate.columns()
    assert len(ProjectUpdate.columns()) == len(ProjectUpdate.model_fields) - 1
