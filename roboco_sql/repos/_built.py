"""A model a repository function builds from its own arguments (not one the caller passed):
pydantic's refusal of it, multi-line and not ours, becomes the project's one-line
ValidationError naming the field."""

from __future__ import annotations

from typing import TypeVar

import pydantic

from roboco_sql.errors import ValidationError

M = TypeVar("M", bound=pydantic.BaseModel)


def built(entity: str, model: type[M], **fields: object) -> M:
    """``model(**fields)``; refused as ``"<entity>: <field> <why>"`` (the first error pydantic
    found; a model-level rule's message names its field itself)."""
    try:
        return model(**fields)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        why = " ".join(str(first["msg"]).removeprefix("Value error, ").split())
        raise ValidationError(f"{entity}: {where} {why}" if where else f"{entity}: {why}") from None
