"""roboco_sql: RoboCo's PostgreSQL state layer as plain SQL.

The orchestrator awaits ``init_db()`` at startup and ``open_pool()`` for its pool, and
borrows with ``connection(pool)``, which turns pool exhaustion and a lost server into one-line
DatabaseUnavailable errors. With hot standbys (ROBOCO_DATABASE_REPLICA_URLS), ``open_cluster()``
holds a pool per server and ``read_connection(cluster)`` lends read-only work a fresh replica.
"""

from roboco_sql import errors
from roboco_sql.boot import init_db
from roboco_sql.config import Settings
from roboco_sql.db import connection, open_pool, resolve_url
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
from roboco_sql.migrate.runner import MigrationReport
from roboco_sql.replicas import Cluster, Lsn, open_cluster, read_connection

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
