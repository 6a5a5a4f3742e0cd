"""Runtime settings (text key/value upserts) and the singleton company-goals charter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection

from roboco_sql import queries
from roboco_sql.errors import ValidationError
from roboco_sql.models.settings import (
    COMPANY_GOALS_ID,
    CompanyGoals,
    CompanyGoalsUpdate,
    SystemSetting,
    SystemSettingWrite,
)
from roboco_sql.repos._errors import translated
from roboco_sql.repos._inputs import insert, returned
from roboco_sql.repos._patch import patch_params
from roboco_sql.repos._rows import model_row

__all__ = [
    "get_company_goals",
    "get_setting",
    "list_settings",
    "set_setting",
    "set_settings",
    "update_company_goals",
]

_Q = queries.load()
_GET = _Q["settings.get_setting"]
_LIST = _Q["settings.list_settings"]
_SET = _Q["settings.set_setting"]
_SET_MANY = _Q["settings.set_settings"]
_GET_GOALS = _Q["settings.get_company_goals"]
_UPDATE_GOALS = _Q["settings.update_company_goals"]

_ROW = model_row(SystemSetting)
_GOALS_ROW = model_row(CompanyGoals)

# CompanyGoalsUpdate's charter fields (all json but north_star); who/when are always written.
_GOALS_FIELDS = (
    "north_star",
    "objectives",
    "constraints",
    "operating_policy",
    "brand_voice",
    "company_name",
)
_GOALS_JSON = frozenset({"objectives", "constraints", "operating_policy"})


async def get_setting(conn: AsyncConnection[Any], key: str) -> SystemSetting | None:
    """One stored setting, or None (the environment default applies)."""
    return await queries.fetch_one(conn, _GET, _ROW, key=key)


async def list_settings(conn: AsyncConnection[Any]) -> list[SystemSetting]:
    """Every stored setting, by key."""
    return await queries.fetch_all(conn, _LIST, _ROW)


async def set_setting(conn: AsyncConnection[Any], write: SystemSettingWrite) -> SystemSetting:
    """Store one setting (insert or overwrite); SystemSettingWrite has checked key and value."""
    return await insert(conn, _SET, _ROW, write, entity="setting")


async def set_settings(
    conn: AsyncConnection[Any], writes: Sequence[SystemSettingWrite]
) -> list[SystemSetting]:
    """Store several settings in one statement, all or none; returned by key.

    A key given twice is a ValidationError before any SQL runs.
    """
    twice = sorted(key for key, n in Counter(w.key for w in writes).items() if n > 1)
    if twice:
        raise ValidationError(f"settings: key given more than once: {', '.join(twice)}")
    if not writes:
        return []
    with translated("setting"):
        rows = await queries.fetch_all(
            conn,
            _SET_MANY,
            _ROW,
            keys=[w.key for w in writes],
            vals=[w.value for w in writes],
            updated_ats=[w.updated_at for w in writes],
        )
    return sorted(rows, key=lambda r: r.key)


async def get_company_goals(conn: AsyncConnection[Any]) -> CompanyGoals | None:
    """The company charter (north star, objectives, constraints, policy); None if unseeded."""
    return await queries.fetch_one(conn, _GET_GOALS, _GOALS_ROW, id=COMPANY_GOALS_ID)


async def update_company_goals(
    conn: AsyncConnection[Any], patch: CompanyGoalsUpdate
) -> CompanyGoals:
    """Write the charter fields the patch set, stamping updated_by and updated_at.

    Only the CEO may do this in RoboCo; the caller checks that. The singleton (seeded by
    migration 032) is created again if it went missing, as RoboCo's upsert does.
    """
    changes = patch.changes()
    params: dict[str, object] = {
        "id": COMPANY_GOALS_ID,
        "updated_by": changes["updated_by"],
        "updated_at": changes["updated_at"],
        **patch_params(changes, _GOALS_FIELDS, json=_GOALS_JSON),
    }
    return await returned(conn, _UPDATE_GOALS, _GOALS_ROW, "company goals", **params)
