"""Shared bases and field types for the row and input models.

Entity models (``Row``) mirror a table column for column and only check types, so any row the
database already holds loads. Input models (``Input`` / ``Patch``) carry RoboCo's validation
rules and its application-side defaults, because the schema has almost no server defaults.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    StringConstraints,
    model_validator,
)

JsonObject = dict[str, JsonValue]
"""A ``json``/``jsonb`` column whose documents are objects."""

JsonArray = list[JsonValue]
"""A ``json``/``jsonb`` column whose documents are arrays."""

Slug = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[a-z0-9-]+$")]
"""RoboCo's URL-safe identifier rule for agents, projects, products, pitches and channels."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
"""Display names live in ``varchar(100)`` columns and may not be empty."""

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""Titles and subjects live in ``varchar(200)`` columns and may not be empty."""


def utcnow() -> dt.datetime:
    """The app-side ``now()`` RoboCo writes, since timestamp columns have no server default."""
    return dt.datetime.now(dt.UTC)


def new_id() -> uuid.UUID:
    """The app-side primary key RoboCo writes, since no id column has a server default."""
    return uuid.uuid4()


class Row(BaseModel):
    """One row of one table, as read from the database; immutable so repos can share it."""

    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=False)

    __table__: ClassVar[str]
    __secret_columns__: ClassVar[Mapping[str, str]] = {}
    """Encrypted column -> the boolean field that reports it, for columns never exposed."""


class View(BaseModel):
    """A result computed by a query (counts, sums, a projection): immutable like a Row, but
    the shape of no one table."""

    model_config = ConfigDict(frozen=True)


_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why a PostgreSQL text value cannot hold ``text``, or None when it can."""
    if "\x00" in text:
        return "contains a NUL (\\x00) character, which PostgreSQL text cannot hold"
    if not text.isascii() and _SURROGATE.search(text):
        return "contains a lone surrogate, which is not valid UTF-8"
    return None


def _texts(value: object) -> Iterator[str]:
    """The text a field writes to text columns: a string or an array of strings.

    JSON documents are left to the database: ``json`` columns keep ``\\u0000`` and lone
    surrogate escapes, and ``jsonb`` ones refuse them (a ValidationError via the repos).
    Secrets are not looked at: they are encrypted, not stored as text, and a refusal here
    would print the plaintext in pydantic's error.
    """
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        yield from (item for item in value if isinstance(item, str))


class Input(BaseModel):
    """A payload a repository writes; unknown keys are refused rather than dropped.

    Text PostgreSQL cannot store (a NUL character, a lone surrogate) is refused here, naming
    the field, instead of failing in the driver or the server.
    """

    model_config = ConfigDict(extra="forbid")

    __table__: ClassVar[str]

    @model_validator(mode="after")
    def _storable_text(self) -> Self:
        for name, value in self.__dict__.items():
            for text in _texts(value):
                reason = unstorable(text)
                if reason is not None:
                    raise ValueError(f"{name} {reason}")
        return self


class Create(Input):
    """An input that inserts a row: its ``id`` is made here, as RoboCo does (see ``new_id``)."""

    id: uuid.UUID = Field(default_factory=new_id)


class StampedCreate(Create):
    """A ``Create`` whose row records when it was made: ``created_at`` is now (see ``utcnow``)."""

    created_at: AwareDatetime = Field(default_factory=utcnow)


class Patch(Input):
    """A partial update: only the fields the caller set are written.

    Setting a field to ``None`` means "write NULL", which only nullable columns accept; a field
    left out is left alone. Repositories take ``changes()``, never the whole dump.
    """

    __nullable__: ClassVar[frozenset[str]] = frozenset()
    __secret_inputs__: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_into_not_null(self) -> Self:
        refused = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None
            and name not in self.__nullable__
            and name not in self.__secret_inputs__
        )
        if refused:
            raise ValueError(f"cannot set NOT NULL column(s) to null: {', '.join(refused)}")
        return self

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """Every column a patch can write, in field order: its fields (by alias) but the
        secret inputs. The names of its update statement's ``:set_<column>`` flags."""
        return tuple(
            f.alias or name
            for name, f in cls.model_fields.items()
            if name not in cls.__secret_inputs__
        )

    def changes(self) -> dict[str, Any]:
        """Column name -> new value for every field the caller set, secrets excluded."""
        return self.model_dump(
            exclude_unset=True, by_alias=True, exclude=set(self.__secret_inputs__)
        )


class SecretChange(StrEnum):
    """What an update does to an encrypted column."""

    KEEP = "keep"
    CLEAR = "clear"
    SET = "set"


def secret_change(value: SecretStr | None) -> SecretChange:
    """Decode RoboCo's token convention: ``None`` keeps, ``""`` clears, anything else sets."""
    if value is None:
        return SecretChange.KEEP
    if value.get_secret_value() == "":
        return SecretChange.CLEAR
    return SecretChange.SET


def blank_secret_to_none(value: SecretStr | None) -> SecretStr | None:
    """On create an empty token means "no token": there is nothing to encrypt."""
    if value is not None and value.get_secret_value() == "":
        return None
    return value


__all__ = [
    "Input",
    "JsonArray",
    "JsonObject",
    "Name",
    "Patch",
    "Row",
    "SecretChange",
    "Slug",
    "Title",
    "blank_secret_to_none",
    "new_id",
    "secret_change",
    "utcnow",
]
