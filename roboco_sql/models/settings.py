"""Runtime settings (key/value) and the singleton company-goals row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Self

from pydantic import AwareDatetime, Field, model_validator

from roboco_sql.models.base import Input, JsonArray, JsonObject, Patch, Row, utcnow

__all__ = [
    "COMPANY_GOALS_ID",
    "FEATURE_FLAGS",
    "SETTING_CHECKS",
    "CompanyGoals",
    "CompanyGoalsUpdate",
    "SystemSetting",
    "SystemSettingWrite",
]

COMPANY_GOALS_ID = uuid.UUID(int=0)
"""The one ``company_goals`` row always has the all-zero id (seeded by migration 032)."""

FEATURE_FLAGS: tuple[str, ...] = (
    "external_pr_enabled",
    "internal_pr_enabled",
    "research_enabled",
    "strategy_engine_enabled",
    "self_heal_enabled",
    "self_heal_originate_enabled",
    "provisioning_enabled",
    "toolchain_match_enabled",
    "conventions_enabled",
    "rag_auto_update_enabled",
    "transcript_prune_enabled",
)
"""Boolean settings RoboCo stores as ``'true'``/``'false'``; stored values override env."""


def _positive_int(value: str) -> None:
    if not value.strip().lstrip("-").isdigit():
        raise ValueError(f"expected an integer, got {value!r}")
    if int(value) < 1:
        raise ValueError("must be >= 1")


def _boolean(value: str) -> None:
    if value not in ("true", "false"):
        raise ValueError(f"expected 'true' or 'false', got {value!r}")


SETTING_CHECKS: dict[str, Callable[[str], None]] = {
    "transcript_retention_days": _positive_int,
    **dict.fromkeys(FEATURE_FLAGS, _boolean),
}
"""Every writable key and the check its text value must pass; other keys are read-only."""


class SystemSetting(Row):
    """Row of ``system_settings``; values are text, parsed by whoever reads them."""

    __table__ = "system_settings"

    key: str
    value: str
    updated_at: AwareDatetime


class CompanyGoals(Row):
    """Row of ``company_goals`` (always the single row ``COMPANY_GOALS_ID``)."""

    __table__ = "company_goals"

    id: uuid.UUID
    north_star: str
    objectives: JsonArray
    constraints: JsonArray
    operating_policy: JsonObject
    updated_at: AwareDatetime
    updated_by: uuid.UUID | None
    brand_voice: str
    company_name: str


class SystemSettingWrite(Input):
    """An upsert of one setting; unknown keys and malformed values are refused."""

    __table__ = "system_settings"

    key: str = Field(max_length=100)
    value: str
    updated_at: AwareDatetime = Field(default_factory=utcnow)

    @model_validator(mode="after")
    def _writable(self) -> Self:
        check = SETTING_CHECKS.get(self.key)
        if check is None:
            raise ValueError(f"unknown or read-only setting: {self.key}")
        try:
            check(self.value)
        except ValueError as exc:
            raise ValueError(f"{self.key}: {exc}") from None
        return self


class CompanyGoalsUpdate(Patch):
    """A charter edit; RoboCo lets only the CEO make it, which the caller checks."""

    __table__ = "company_goals"

    north_star: str | None = None
    objectives: JsonArray | None = None
    constraints: JsonArray | None = None
    operating_policy: JsonObject | None = None
    brand_voice: str | None = None
    company_name: str | None = None
    updated_by: uuid.UUID
    updated_at: AwareDatetime = Field(default_factory=utcnow)

    def changes(self) -> dict[str, Any]:
        """As ``Patch.changes``, always stamping who and when."""
        changed = super().changes()
        changed["updated_by"] = self.updated_by
        changed["updated_at"] = self.updated_at
        return changed
