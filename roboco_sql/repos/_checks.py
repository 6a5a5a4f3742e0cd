"""Argument checks the task list and aggregate functions run before any SQL: each names the
parameter at fault in a ValidationError."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from enum import StrEnum
from typing import TypeVar

from roboco_sql.errors import LabelRefused, ValidationError
from roboco_sql.models.enums import TaskStatus
from roboco_sql.validate import shown

E = TypeVar("E", bound=StrEnum)

INT4_MAX = 2**31 - 1


def uuid_arg(name: str, value: object) -> uuid.UUID:
    if not isinstance(value, uuid.UUID):
        raise ValidationError(f"{name} must be a UUID, not {type(value).__name__}")
    return value


def _label(cls: type[E], value: object) -> E | None:
    if isinstance(value, str):
        try:
            return cls(value)
        except ValueError:
            return None
    return None


def enum_arg(name: str, cls: type[E], value: object) -> E:
    found = _label(cls, value)
    if found is None:
        names = ", ".join(m.value for m in cls)
        raise LabelRefused(f"{name} must be one of {names}, not {shown(value)}")
    return found


def member(cls: type[E], value: object, refusal: str) -> E:
    """`value` as a member of `cls`, else a ValidationError in the caller's own words (the
    functions whose refusals predate enum_arg's wording keep them)."""
    found = _label(cls, value)
    if found is None:
        raise LabelRefused(refusal)
    return found


def optional_enum_arg(name: str, cls: type[E], value: object) -> E | None:
    return None if value is None else enum_arg(name, cls, value)


def enums_arg(name: str, cls: type[E], value: E | Collection[E]) -> list[E]:
    """One member or several, as a list (a label is one member, never its characters)."""
    if isinstance(value, str):
        return [enum_arg(name, cls, value)]
    return [enum_arg(name, cls, v) for v in value]


def statuses_arg(
    name: str, value: TaskStatus | Collection[TaskStatus] | None
) -> list[TaskStatus] | None:
    if value is None:
        return None
    out = enums_arg(name, TaskStatus, value)
    if not out:
        raise ValidationError(f"{name} must name at least one status (or be None for any)")
    return out


def aware_arg(name: str, value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValidationError(f"{name} must be a timezone-aware datetime")
    return value


def text_arg(name: str, value: object, max_length: int) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{name} must be a non-empty string")
    if len(value) > max_length:
        raise ValidationError(f"{name} must be at most {max_length} characters")
    return value


def int_arg(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{name} must be a whole number from {low} to {high}, not {shown(value)}"
        )
    return value


def sources_arg(name: str, value: Collection[str]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    out = [text_arg(name, v, 50) for v in value]
    if not out:
        raise ValidationError(f"{name} must name at least one source")
    return out
