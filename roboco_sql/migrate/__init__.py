"""The migration runner: a linear chain of plain SQL files, applied under one advisory lock.

``status`` is loaded on first use (PEP 562): a migrate does not run it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roboco_sql.migrate.chain import Chain, Migration, load_chain
from roboco_sql.migrate.runner import MigrationReport, migrate, stamp

if TYPE_CHECKING:
    from roboco_sql.migrate.standing import status

__all__ = ["Chain", "Migration", "MigrationReport", "load_chain", "migrate", "stamp", "status"]


def __getattr__(name: str) -> Any:
    if name != "status":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from roboco_sql.migrate.standing import status

    globals()["status"] = status
    return status
