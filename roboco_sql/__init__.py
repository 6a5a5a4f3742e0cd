"""roboco_sql: RoboCo's PostgreSQL state layer as plain SQL.

The orchestrator awaits ``init_db()`` at startup and ``open_pool()`` for its connections.
"""

from roboco_sql.boot import init_db
from roboco_sql.config import Settings
from roboco_sql.db import open_pool, resolve_url
from roboco_sql.errors import *  # noqa: F403  (the error hierarchy is part of the API)
from roboco_sql.errors import __all__ as _errors
from roboco_sql.migrate.runner import MigrationReport

__all__ = ["MigrationReport", "Settings", "init_db", "open_pool", "resolve_url", *_errors]
