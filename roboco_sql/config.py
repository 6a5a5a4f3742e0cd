"""Settings from ROBOCO_* environment variables, with RoboCo's own names and defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from roboco_sql.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Everything roboco_sql reads from the environment, read once."""

    database_url: str | None = None
    host: str | None = None
    port: int = 5432
    user: str = "roboco"
    password: str = "roboco"
    name: str = "roboco"
    migration_database_url: str | None = None
    pool_min_size: int = 1
    pool_max_size: int = 10
    pool_timeout: float = 10.0
    prepared_statements: bool = True
    encryption_key: str = ""
    embedding_dimensions: int = 1024
    data_dir: Path = Path("data/postgres")
    # the revision init_db and migrate stop at (None: head), e.g. to keep RoboCo's messaging
    # tables, which 060_drop_messaging removes
    target_revision: str | None = None
    # our additions to keep applied (migrate/additions.py): names, "default", "none"
    additions: str = "default"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            database_url=env.get("ROBOCO_DATABASE_URL") or None,
            host=env.get("ROBOCO_DATABASE_HOST") or None,
            port=_int(env, "ROBOCO_DATABASE_PORT", 5432, minimum=1),
            user=env.get("ROBOCO_DATABASE_USER", "roboco"),
            password=env.get("ROBOCO_DATABASE_PASSWORD", "roboco"),
            name=env.get("ROBOCO_DATABASE_NAME", "roboco"),
            migration_database_url=env.get("ROBOCO_MIGRATION_DATABASE_URL") or None,
            pool_min_size=_int(env, "ROBOCO_DATABASE_POOL_MIN_SIZE", 1),
            pool_max_size=_int(env, "ROBOCO_DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            pool_timeout=_float(env, "ROBOCO_DATABASE_POOL_TIMEOUT", 10.0),
            prepared_statements=_bool(env, "ROBOCO_DATABASE_PREPARED_STATEMENTS", True),
            encryption_key=env.get("ROBOCO_ENCRYPTION_KEY", ""),
            embedding_dimensions=_int(env, "ROBOCO_EMBEDDING_DIMENSIONS", 1024, minimum=1),
            data_dir=Path(env.get("ROBOCO_DATA_DIR") or "data/postgres"),
            target_revision=env.get("ROBOCO_DATABASE_TARGET_REVISION", "").strip() or None,
            additions=env.get("ROBOCO_DATABASE_ADDITIONS", "default"),
        )
        if settings.pool_min_size > settings.pool_max_size:
            raise ConfigError(
                "ROBOCO_DATABASE_POOL_MIN_SIZE must not exceed ROBOCO_DATABASE_POOL_MAX_SIZE"
            )
        if settings.database_url is not None:
            _check_url("ROBOCO_DATABASE_URL", settings.database_url)
        if settings.migration_database_url is not None:
            _check_url("ROBOCO_MIGRATION_DATABASE_URL", settings.migration_database_url)
        return settings

    @property
    def uses_embedded(self) -> bool:
        """No server configured: commands fall back to the embedded PostgreSQL."""
        return self.database_url is None and self.host is None

    def configured_url(self) -> str | None:
        """The conninfo of the configured server, or None when the embedded one applies."""
        if self.database_url is not None:
            return normalize_url(self.database_url)
        if self.host is not None:
            return make_conninfo(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.name,
            )
        return None


def normalize_url(url: str) -> str:
    """Accept SQLAlchemy-style URLs (postgresql+asyncpg://) as RoboCo writes them."""
    scheme, sep, rest = url.partition("://")
    if sep and "+" in scheme:
        return f"{scheme.split('+', 1)[0]}://{rest}"
    return url


def _check_url(name: str, url: str) -> None:
    try:
        conninfo_to_dict(normalize_url(url))
    except Exception as exc:  # psycopg raises ProgrammingError with the URL in it
        reason = str(exc).split(":", 1)[0]
        raise ConfigError(f"{name} is not a valid PostgreSQL URL ({reason})") from None


def describe(conninfo: str) -> str:
    """host:port/dbname of a conninfo, for messages that must never show the password."""
    try:
        params = conninfo_to_dict(conninfo)
    except Exception:
        return "<unparsable connection string>"
    host = str(params.get("host") or "localhost")
    port = str(params.get("port") or "5432")
    db = str(params.get("dbname") or params.get("user") or "")
    if host.startswith("/"):
        return f"socket {host} port {port}, database {db}"
    return f"{host}:{port}, database {db}"
