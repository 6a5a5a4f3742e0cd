"""roboco_sql: RoboCo's PostgreSQL state layer as plain SQL.

The orchestrator awaits ``init_db()`` at startup and ``open_pool()`` for its pool, and
borrows with ``connection(pool)``, which turns pool exhaustion and a lost server into one-line
DatabaseUnavailable errors. With hot standbys (ROBOCO_DATABASE_REPLICA_URLS), ``open_cluster()``
holds a pool per server and ``read_connection(cluster)`` lends read-only work a fresh replica.

The names below are loaded on first use (PEP 562): ``python -m roboco_sql migrate`` imports
this package first, and must not pay for the pool, the replicas or the async boot it never runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from roboco_sql import errors
from roboco_sql.errors import (
    Conflict,
    DatabaseUnavailable,
    EncryptionError,
    MigrationError,
    NotFound,
    RagDisabled,
    RobocoSQLError,
    SchemaGone,
    TransitionRefused,
    ValidationError,
)

if TYPE_CHECKING:
    from roboco_sql.boot import init_db
    from roboco_sql.config import Settings
    from roboco_sql.db import connection, open_pool, resolve_url
    from roboco_sql.migrate.runner import MigrationReport
    from roboco_sql.replicas import Cluster, Lsn, open_cluster, read_connection

# public name -> the module that defines it
_LAZY = {
    "init_db": "roboco_sql.boot",
    "Settings": "roboco_sql.config",
    "connection": "roboco_sql.db",
    "open_pool": "roboco_sql.db",
    "resolve_url": "roboco_sql.db",
    "MigrationReport": "roboco_sql.migrate.runner",
    "Cluster": "roboco_sql.replicas",
    "Lsn": "roboco_sql.replicas",
    "open_cluster": "roboco_sql.replicas",
    "read_connection": "roboco_sql.replicas",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'roboco_sql' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Cluster",
    "Conflict",
    "DatabaseUnavailable",
    "EncryptionError",
    "Lsn",
    "MigrationError",
    "MigrationReport",
    "NotFound",
    "RagDisabled",
    "RobocoSQLError",
    "SchemaGone",
    "Settings",
    "TransitionRefused",
    "ValidationError",
    "connection",
    "errors",
    "init_db",
    "open_cluster",
    "open_pool",
    "read_connection",
    "resolve_url",
]
