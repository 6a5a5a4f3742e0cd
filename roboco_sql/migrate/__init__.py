"""The migration runner: a linear chain of plain SQL files, applied under one advisory lock."""

from roboco_sql.migrate.chain import Chain, Migration, load_chain
from roboco_sql.migrate.runner import MigrationReport, migrate, stamp, status

__all__ = ["Chain", "Migration", "MigrationReport", "load_chain", "migrate", "stamp", "status"]
