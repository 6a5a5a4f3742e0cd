"""The one error hierarchy every layer raises.

Each message is a single line that names the thing at fault (revision, file:line, task id,
table) and never carries a password or a token. The CLI maps the classes to exit codes.
"""

from __future__ import annotations

__all__ = [
    "ChainError",
    "ChecksumMismatch",
    "ConfigError",
    "Conflict",
    "DataLossRefused",
    "DatabaseUnavailable",
    "EncryptionError",
    "LabelRefused",
    "LockTimeout",
    "MigrationError",
    "NotFound",
    "PartiallyApplied",
    "RagDisabled",
    "RobocoSQLError",
    "SchemaGone",
    "StandbyRefused",
    "TransitionRefused",
    "ValidationError",
]


class RobocoSQLError(Exception):
    """Base of every error roboco_sql raises on purpose; a subclass may name its own exit code
    (``class X(RobocoSQLError, exit_code=3)``), else it inherits its base's."""

    exit_code = 1

    def __init_subclass__(cls, exit_code: int | None = None) -> None:
        super().__init_subclass__()
        if exit_code is not None:
            cls.exit_code = exit_code


class ConfigError(RobocoSQLError, exit_code=3):
    """A setting is missing or malformed."""


class DatabaseUnavailable(RobocoSQLError, exit_code=3):
    """The server cannot be reached, refused us, or the database does not exist."""


class MigrationError(RobocoSQLError):
    """The chain or the database's migration state forbids going on."""


class ChainError(MigrationError):
    """The migration files themselves are invalid; no database was touched."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = len(problems)
        head = problems[0] if problems else "invalid migration chain"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{head}{more}")


class ChecksumMismatch(MigrationError, exit_code=2):
    """An applied revision's file was edited or removed after it ran."""


class PartiallyApplied(MigrationError, exit_code=4):
    """A non-transactional revision stopped part-way; the next run resumes it."""


class DataLossRefused(MigrationError, exit_code=5):
    """Pending revisions would drop tables or columns that hold data; nothing was applied."""


class LockTimeout(MigrationError):
    """Another process held the migration lock past the deadline."""


class StandbyRefused(MigrationError):
    """The server is a hot standby (in recovery, read-only): migrations run on the primary."""


class ValidationError(RobocoSQLError):
    """Input was refused before any SQL ran."""


class LabelRefused(ValidationError, ValueError):
    """A label no member of the enum has: the project's refusal, and still the ValueError the
    enum's own constructor raised before these checks (a caller catching that keeps working)."""


class NotFound(RobocoSQLError):
    """The entity asked for does not exist."""


class Conflict(RobocoSQLError):
    """The write lost a race or would duplicate a unique key."""


class SchemaGone(RobocoSQLError):
    """The statement needs a table a RoboCo revision has dropped, and this database is past it."""

    def __init__(self, table: str, revision: str, keep_hint: str) -> None:
        self.table = table
        self.revision = revision
        super().__init__(
            f"{table} was dropped by RoboCo's {revision}; this database is past it ({keep_hint})"
        )


class TransitionRefused(RobocoSQLError):
    """The task state machine forbids this change."""


class EncryptionError(RobocoSQLError):
    """A token cannot be encrypted or decrypted with the configured key."""


class RagDisabled(RobocoSQLError):
    """The knowledge base is off because pgvector is not available."""
